"""退单 arbitration: the dispatcher re-dispatches or rejects; counts per department; training labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from minyi.accountability import services
from minyi.accountability.models import ReturnRecord
from minyi.appeals import hooks
from minyi.appeals import services as actions
from minyi.appeals.models import Appeal
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.machine import State, TransitionError


@pytest.fixture
def learned() -> Any:
    seen: list[tuple[str, str, int | None]] = []

    def hook(appeal: Appeal, source: str) -> None:
        seen.append((appeal.number, source, getattr(appeal, "returned_from_department_id", None)))

    hooks.AFTER_DISPATCH.append(hook)
    yield seen
    hooks.AFTER_DISPATCH.remove(hook)


def test_rejected_return_goes_back_to_the_same_department(
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    learned: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appeal = appeal_in(State.IN_PROGRESS)
    zjj = appeal.department_id
    appeal = actions.return_appeal(appeal, reason="路灯归城管局管理", code="not_our_duty", by=people["handler"])
    assert appeal.state is State.RETURN_REQUESTED
    record = ReturnRecord.objects.get(appeal=appeal)
    assert (record.code, record.department_id, record.decision) == ("not_our_duty", zjj, "")
    with pytest.raises(wf.ActionForbidden):
        actions.reject_return(appeal, reason="属于本单位", by=people["handler"])
    with pytest.raises(TransitionError, match="原因"):
        actions.reject_return(appeal, reason="", by=people["dispatcher"])
    with django_capture_on_commit_callbacks(execute=True):
        appeal = actions.reject_return(appeal, reason="经核实，市政路灯属住建局职责", by=people["dispatcher"])
    assert appeal.state is State.DISPATCHED
    assert appeal.department_id == zjj
    assert appeal.claim_due_at is not None
    record.refresh_from_db()
    assert record.decision == ReturnRecord.Decision.REJECTED
    assert record.decided_by_id == people["dispatcher"].pk
    assert learned == []  # a rejected return teaches nothing
    appeal = actions.claim_appeal(appeal, by=people["handler"])  # the department must take it again
    assert appeal.state is State.IN_PROGRESS
    assert wf.replay_state(appeal) is State.IN_PROGRESS


def test_accepted_return_is_a_training_label_and_redispatch_goes_elsewhere(
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    learned: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appeal = appeal_in(State.DISPATCHED)
    zjj = appeal.department_id
    appeal = actions.return_appeal(appeal, reason="属城管局职责", code="not_our_duty", by=people["handler"])
    cgj = Department.objects.get(code="cgj")
    with pytest.raises(TransitionError, match="另一个部门"):
        actions.approve_return(appeal, by=people["dispatcher"], redispatch_to=Department.objects.get(pk=zjj))
    with django_capture_on_commit_callbacks(execute=True):
        appeal = actions.approve_return(appeal, by=people["dispatcher"], reason="同意，改派城管局", redispatch_to=cgj)
    assert appeal.state is State.DISPATCHED
    assert appeal.department_id == cgj.pk
    assert (appeal.number, "return_accepted", zjj) in learned
    record = ReturnRecord.objects.get(appeal=appeal)
    assert (record.decision, record.new_department_id) == ("redispatched", cgj.pk)

    other = appeal_in(State.DISPATCHED)
    other = actions.return_appeal(other, reason="信息不全", code="incomplete", by=people["handler"])
    with django_capture_on_commit_callbacks(execute=True):
        other = actions.approve_return(other, by=people["dispatcher"])
    assert other.state is State.PENDING_DISPATCH
    assert other.department_id is None
    third = actions.return_appeal(appeal_in(State.DISPATCHED), reason="非本单位职责", by=people["handler"])
    counts = {r["department__name"]: r for r in services.return_counts()}
    zjj_row = counts["区住房和城乡建设局"]
    assert (zjj_row["total"], zjj_row["accepted"], zjj_row["rejected"], zjj_row["pending"]) == (3, 2, 0, 1)
    assert third.state is State.RETURN_REQUESTED
