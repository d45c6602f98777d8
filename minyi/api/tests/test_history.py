"""workflow.history: historical appeals walk the main path, so the audit trail replays to the stored state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minyi.appeals.models import Appeal
from minyi.appeals.services import IntakeData
from minyi.directory.models import Channel, Department
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.history import MAIN_PATH, HistoricalAppeal, import_history, path_to
from minyi.workflow.machine import State, TransitionError
from minyi.workflow.services import SYSTEM, replay_state

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2019, 4, 25, 9, 32, tzinfo=SHANGHAI)


def item(final: State, **kw: Any) -> HistoricalAppeal:
    data = IntakeData(channel=Channel.objects.get(code="wzxx"), title="物业管理有问题", content="小区物业长期不作为，请求处理。")
    return HistoricalAppeal(data=data, created_at=T0, final=final, **kw)


@pytest.mark.parametrize(
    "final",
    [
        State.REGISTERED,
        State.PENDING_DISPATCH,
        State.DISPATCHED,
        State.IN_PROGRESS,
        State.REPLIED,
        State.PENDING_CALLBACK,
        State.CLOSED,
    ],
)
def test_every_final_state_replays(final: State, district: None) -> None:
    zjj = Department.objects.get(code="zjj").pk
    replied = T0 + dt.timedelta(days=15)
    [appeal] = import_history(
        [item(final, department_id=zjj, reply="已督促物业整改。", replied_at=replied, closed_at=replied)], by=SYSTEM
    )
    appeal = Appeal.objects.get(pk=appeal.pk)
    assert appeal.state is final
    assert replay_state(appeal) is final
    assert appeal.audit.count() == len(path_to(final))
    first = appeal.audit.order_by("id").first()
    assert first is not None
    assert first.payload == {"channel_id": appeal.channel_id, "historical": True}
    assert first.reason == "历史数据导入"
    assert appeal.created_at == T0
    assert appeal.number.startswith("20190425-")
    if final is State.CLOSED:
        assert appeal.closed_at == replied
        assert appeal.reply_text == "已督促物业整改。"
        assert appeal.reply_due_at is not None
        assert appeal.closed_on_time is False
        assert list(appeal.audit.values_list("at", flat=True))[-1] == replied


def test_guards_still_hold(district: None) -> None:
    with pytest.raises(TransitionError) as missing_department:
        import_history([item(State.CLOSED, reply="已处理。")], by=SYSTEM)
    assert missing_department.value.code == "department_given"
    with pytest.raises(TransitionError):
        import_history([item(State.REPLIED, department_id=Department.objects.get(code="zjj").pk, reply="")], by=SYSTEM)
    with pytest.raises(TransitionError, match="不能是"):
        path_to(State.SUSPENDED)
    assert Appeal.objects.count() == 0
    assert MAIN_PATH[0].value == "register"
    assert MAIN_PATH[-1].value == "close"


def test_numbers_do_not_collide_with_live_intake(people: dict[str, Any]) -> None:
    from minyi.conftest import intake

    live = intake(by=people["operator"])
    day = live.created_at.astimezone(SHANGHAI)
    imported = import_history(
        [HistoricalAppeal(data=item(State.REGISTERED).data, created_at=day, final=State.REGISTERED)], by=SYSTEM
    )
    assert imported[0].number != live.number
    assert imported[0].number[:8] == live.number[:8]
