from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minyi.conftest import make_user
from minyi.proposals import services
from minyi.proposals.models import Kind, Proposal
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.policy import Role

# A Tuesday in a year chinese-calendar knows; 交办 on 2025-07-01 → three months on is 国庆 (10-01..10-08).
REGISTERED_AT = dt.datetime(2025, 6, 20, 10, 0, tzinfo=SHANGHAI)
ASSIGNED_ON = dt.date(2025, 7, 1)


@pytest.fixture
def liaison(district: None) -> Any:
    return make_user("liaison", Role.LIAISON, None)


def register(by: Any, *, kind: str = Kind.NPC_SUGGESTION, now: dt.datetime = REGISTERED_AT, **extra: Any) -> Proposal:
    data = services.ProposalData(
        kind=kind,
        title=extra.pop("title", "关于加快湖滨新村老旧小区加装电梯的建议"),
        content=extra.pop("content", "湖滨新村多为六层住宅，老年住户上下楼困难，建议统筹推进加装电梯，简化审批流程。"),
        proposer_name=extra.pop("proposer_name", "沈建国"),
        proposer_group=extra.pop("proposer_group", "明湖街道代表团"),
        proposer_phone=extra.pop("proposer_phone", "13912345678"),
        session="区十七届人大五次会议",
        **extra,
    )
    return services.register_proposal(data, by=by, now=now)
