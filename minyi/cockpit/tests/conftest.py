"""A small hand-built district month: five appeals on 2026-03-10 whose figures are worked out by hand.

| appeal | unit | path | response | rating | other |
| --- | --- | --- | --- | --- | --- |
| a1 | 区住建局 zjj | dispatch, claim, reply, approve, close 5/resolved | on time | 5, resolved | closed on time |
| a2 | 物业管理科 zjj-wy | dispatch, claim, reply, approve, reopen 2/unresolved | re-dispatched, unclaimed | 2, unresolved | reopened, bad rating |
| a3 | 区住建局 zjj | dispatch, return (approved), dispatch again | unclaimed | — | returned |
| b1 | 区城管局 cgj | dispatch, claim, reply, approve, close 3/resolved | on time | 3, resolved | closed on time |
| b2 | — | waiting for dispatch (青枫街道/枫亭社区) | — | — | — |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.workflow import services as wf
from minyi.workflow.machine import Event

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)


def _new(title: str, grid: str, by: Any, now: dt.datetime, channel: str = "12345", kind: str = "complaint") -> Appeal:
    data = services.IntakeData(
        channel=Channel.objects.get(code=channel),
        title=title,
        content=f"{title}，请尽快处理。",
        kind=kind,
        phone="13812345678",
        grid=GridCell.objects.get(code=grid),
    )
    return services.intake_appeal(data, by=by, now=now)[0]


@pytest.fixture
def scenario(people: dict[str, Any]) -> Iterator[dict[str, Appeal]]:
    admin = people["admin"]
    cat = Category.objects.get(code="cxjs-sz")
    zjj, wy, cgj = (Department.objects.get(code=c) for c in ("zjj", "zjj-wy", "cgj"))

    def go(appeal: Appeal, event: Event, **kw: Any) -> Appeal:
        return wf.perform(appeal, event, by=admin, now=DAY, **kw)

    def to_callback(appeal: Appeal, dept: Department) -> Appeal:
        appeal = go(appeal, Event.DISPATCH, department=dept, category=cat)
        appeal = go(appeal, Event.CLAIM)
        appeal = go(appeal, Event.REPLY, reply="已处理完毕")
        return go(appeal, Event.APPROVE_REPLY)

    with time_machine.travel(DAY, tick=False):
        a1 = go(to_callback(_new("明湖路路灯不亮", "mhjd-hb", people["operator"], DAY), zjj), Event.CLOSE, satisfaction=5, resolved=True)
        a2 = go(to_callback(_new("小区电梯故障", "mhjd-mz", people["operator"], DAY, kind="help"), wy), Event.REOPEN, satisfaction=2, resolved=False)
        a3 = go(_new("道路破损", "mhjd-hb", people["operator"], DAY), Event.DISPATCH, department=zjj, category=cat)
        a3 = go(a3, Event.RETURN, reason="不属于本单位职责")
        a3 = go(a3, Event.APPROVE_RETURN)
        a3 = go(a3, Event.DISPATCH, department=zjj, category=cat)
        b1 = go(to_callback(_new("占道经营", "qfjd-ft", people["operator"], DAY, channel="sst"), cgj), Event.CLOSE, satisfaction=3, resolved=True)
        b2 = _new("垃圾清运不及时", "qfjd-ft", people["operator"], DAY, channel="sst")
        yield {"a1": a1, "a2": a2, "a3": a3, "b1": b1, "b2": b2}
