"""Access matrix: every role x every action x own/other department, enforced by the actions."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from minyi.appeals.models import Appeal
from minyi.appeals.queries import visible_to
from minyi.conftest import make_user
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State
from minyi.workflow.models import AuditEvent
from minyi.workflow.policy import Role

ANY_DEPT = {
    Role.OPERATOR: {
        Event.ACCEPT, Event.REJECT, Event.CLOSE_DIRECTLY, Event.APPROVE_REPLY, Event.REJECT_REPLY, Event.CLOSE, Event.REOPEN,
        Event.REFER_ARBITRATION,
    },
    Role.DISPATCHER: {
        Event.ACCEPT, Event.REJECT, Event.DISPATCH, Event.REDISPATCH, Event.MERGE,
        Event.APPROVE_EXTENSION, Event.DENY_EXTENSION, Event.APPROVE_REPLY, Event.REJECT_REPLY,
        Event.APPROVE_RETURN, Event.REJECT_RETURN, Event.UNMERGE, Event.URGE,
    },
    Role.HANDLER: set(),
    Role.SUPERVISOR: {
        Event.URGE, Event.SUPERVISE, Event.APPROVE_EXTENSION, Event.DENY_EXTENSION, Event.REJECT_REPLY,
        Event.ARBITRATE_REOPEN, Event.ARBITRATE_CLOSE,
    },
    Role.LEADER: {Event.URGE, Event.SUPERVISE, Event.LIST_SUPERVISE},
    Role.ADMIN: set(Event) - {Event.REGISTER},
    # 三员分立: the security and the audit admin act on no appeal.
    Role.SECADMIN: set(),
    Role.AUDITOR: set(),
    # The liaison office acts on proposals only, through minyi.proposals.services.
    Role.LIAISON: set(),
}
OWN_DEPT_ONLY = {Role.HANDLER: {Event.CLAIM, Event.RETURN, Event.REQUEST_EXTENSION, Event.SUSPEND, Event.RESUME, Event.REPLY}}

SOURCE: dict[Event, State] = {
    Event.ACCEPT: State.REGISTERED,
    Event.REJECT: State.REGISTERED,
    Event.CLOSE_DIRECTLY: State.PENDING_DISPATCH,
    Event.DISPATCH: State.PENDING_DISPATCH,
    Event.MERGE: State.PENDING_DISPATCH,
    Event.REDISPATCH: State.DISPATCHED,
    Event.CLAIM: State.DISPATCHED,
    Event.RETURN: State.DISPATCHED,
    Event.REQUEST_EXTENSION: State.IN_PROGRESS,
    Event.APPROVE_EXTENSION: State.IN_PROGRESS,
    Event.DENY_EXTENSION: State.IN_PROGRESS,
    Event.SUSPEND: State.IN_PROGRESS,
    Event.RESUME: State.SUSPENDED,
    Event.REPLY: State.IN_PROGRESS,
    Event.APPROVE_REPLY: State.REPLIED,
    Event.REJECT_REPLY: State.REPLIED,
    Event.SUPERVISE: State.IN_PROGRESS,
    Event.CLOSE: State.PENDING_CALLBACK,
    Event.REOPEN: State.PENDING_CALLBACK,
    Event.URGE: State.IN_PROGRESS,
    Event.LIST_SUPERVISE: State.IN_PROGRESS,
    Event.APPROVE_RETURN: State.RETURN_REQUESTED,
    Event.REJECT_RETURN: State.RETURN_REQUESTED,
    Event.REFER_ARBITRATION: State.PENDING_CALLBACK,
    Event.ARBITRATE_REOPEN: State.ARBITRATION,
    Event.ARBITRATE_CLOSE: State.ARBITRATION,
    Event.FOLLOW_MAIN: State.MERGED,
    Event.UNMERGE: State.MERGED,
}


def kwargs_for(event: Event, appeal_in: Callable[..., Appeal]) -> dict[str, Any]:
    return {
        Event.REJECT: {"reason": "内容不完整"},
        Event.CLOSE_DIRECTLY: {"reply": "已当场答复"},
        Event.DISPATCH: {"department": Department.objects.get(code="zjj")},
        Event.MERGE: {"merge_into": appeal_in(State.PENDING_DISPATCH)} if event is Event.MERGE else {},
        Event.REDISPATCH: {"department": Department.objects.get(code="cgj"), "reason": "职责调整"},
        Event.RETURN: {"reason": "非本单位职责"},
        Event.REQUEST_EXTENSION: {"reason": "需协调", "extension_days": 3},
        Event.DENY_EXTENSION: {"reason": "理由不充分"},
        Event.SUSPEND: {"reason": "等待材料"},
        Event.REPLY: {"reply": "已处理完毕"},
        Event.REJECT_REPLY: {"reason": "答复不完整"},
        Event.SUPERVISE: {"reason": "请加快办理"},
        Event.CLOSE: {"satisfaction": 4, "resolved": True},
        Event.REOPEN: {"satisfaction": 1, "resolved": False},
        Event.URGE: {"reason": "请尽快办理"},
        Event.LIST_SUPERVISE: {"reason": "严重超期"},
        Event.REJECT_RETURN: {"reason": "属于本单位职责"},
        Event.REFER_ARBITRATION: {"satisfaction": 1, "resolved": False},
        Event.ARBITRATE_REOPEN: {"reason": "仲裁：重办"},
        Event.ARBITRATE_CLOSE: {"reason": "仲裁：诉求已依法依规答复"},
        Event.FOLLOW_MAIN: {"reply": "随主件答复内容"},
        Event.UNMERGE: {"reason": "并非同一问题"},
    }.get(event, {})


CASES = [(r, e, own) for r, e, own in itertools.product(Role, SOURCE, (True, False))]


@pytest.mark.parametrize(("role", "event", "own"), CASES, ids=[f"{r}-{e}-{'own' if o else 'other'}" for r, e, o in CASES])
def test_access_matrix(role: Role, event: Event, own: bool, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(SOURCE[event], kind="consult" if event is Event.CLOSE_DIRECTLY else "complaint")
    if event in (Event.APPROVE_EXTENSION, Event.DENY_EXTENSION):
        appeal = wf.perform(appeal, Event.REQUEST_EXTENSION, by=people["admin"], reason="需协调", extension_days=3)
    if event is Event.REFER_ARBITRATION:  # only a repeat bad rating goes to arbitration
        appeal = wf.perform(appeal, Event.REOPEN, by=people["admin"], satisfaction=2, resolved=False)
        for step, kwargs in ((Event.CLAIM, {}), (Event.REPLY, {"reply": "已整改"}), (Event.APPROVE_REPLY, {})):
            appeal = wf.perform(appeal, step, by=people["admin"], **kwargs)
    actor = make_user(f"{role}-{event}-{own}", role, "zjj" if own else "cgj")
    kwargs = kwargs_for(event, appeal_in)
    allowed = event in ANY_DEPT[role] or (own and appeal.department_id is not None and event in OWN_DEPT_ONLY.get(role, set()))
    audit_before = AuditEvent.objects.filter(appeal=appeal).count()
    if allowed:
        result = wf.perform(appeal, event, by=actor, **kwargs)
        assert AuditEvent.objects.filter(appeal=appeal).count() == audit_before + 1
        assert AuditEvent.objects.filter(appeal=appeal).last().actor_id == actor.pk  # type: ignore[union-attr]
        assert wf.replay_state(result) is result.state
    else:
        with pytest.raises(wf.ActionForbidden):
            wf.perform(appeal, event, by=actor, **kwargs)
        appeal.refresh_from_db()
        assert appeal.state is SOURCE[event]
        assert AuditEvent.objects.filter(appeal=appeal).count() == audit_before


def test_anonymous_and_roleless_users_cannot_act(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = appeal_in(State.DISPATCHED)
    with pytest.raises(wf.ActionForbidden):
        wf.perform(appeal, Event.CLAIM, by=people["nobody"])
    with pytest.raises(wf.ActionForbidden):
        wf.perform(appeal, Event.CLAIM, by=None)


def test_handlers_see_only_their_department_and_units_below(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    to_bureau = appeal_in(State.DISPATCHED)  # 区住建局
    to_section = appeal_in(State.PENDING_DISPATCH)
    to_section = wf.perform(to_section, Event.DISPATCH, by=people["admin"], department=Department.objects.get(code="zjj-wy"))
    unassigned = appeal_in(State.PENDING_DISPATCH)
    assert set(visible_to(people["handler"])) == {to_bureau, to_section}
    assert set(visible_to(people["section_handler"])) == {to_section}
    assert set(visible_to(people["other_handler"])) == set()
    assert set(visible_to(people["nobody"])) == set()
    for role in ("operator", "dispatcher", "supervisor", "leader", "admin"):
        assert {to_bureau, to_section, unassigned} <= set(visible_to(people[role]))
