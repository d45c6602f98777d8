"""Raising the priority of a dispatched appeal shortens its reply deadline (never extends it), audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import Event, State

pytestmark = pytest.mark.django_db


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


MONDAY_9 = at(2026, 3, 2, 9)  # an ordinary working week


def dispatched(appeal_in: Callable[..., Appeal], priority: str = "normal", moment: dt.datetime = MONDAY_9) -> Appeal:
    with time_machine.travel(moment, tick=False):
        appeal = appeal_in(State.PENDING_DISPATCH)
        Appeal.objects.filter(pk=appeal.pk).update(priority=priority)
        return wf.perform(appeal, Event.DISPATCH, by=wf.SYSTEM, department=Department.objects.get(code="zjj"))


def raise_at(moment: dt.datetime, appeal: Appeal, priority: str, by: Any, capture: Any) -> Appeal:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return wf.raise_priority(appeal, priority, by=by, reason="燃气泄漏/煤气味")


def test_a_raise_after_dispatch_shortens_the_reply_clock_audits_and_tells_the_department(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = dispatched(appeal_in)
    assert (appeal.reply_due_at, appeal.claim_due_at) == (at(2026, 3, 9, 9), at(2026, 3, 3, 9))  # 一般: 5 working days
    notify.OUTBOX.clear()

    appeal = raise_at(at(2026, 3, 2, 10), appeal, "critical", people["dispatcher"], django_capture_on_commit_callbacks)

    assert appeal.priority == "critical"
    # 特急 is 2 clock hours, counted from when the urgency became known; due soon at 80 %.
    assert (appeal.reply_due_at, appeal.reply_warn_at) == (at(2026, 3, 2, 12), at(2026, 3, 2, 11, 36))
    assert (appeal.sla_unit, appeal.reply_budget_seconds) == ("h", 2 * 3600)
    assert appeal.claim_due_at == at(2026, 3, 2, 12)  # brought forward: no claim deadline after the reply deadline
    stored = Appeal.objects.get(pk=appeal.pk)
    assert (stored.priority, stored.reply_due_at) == ("critical", at(2026, 3, 2, 12))
    assert stored.state is State.DISPATCHED and wf.replay_state(stored) is State.DISPATCHED
    row = stored.audit.get(event=wf.PRIORITY_EVENT)
    assert (row.actor_label, row.from_state, row.to_state, row.reason) == ("disp", "dispatched", "dispatched", "燃气泄漏/煤气味")
    assert row.payload == {"from": "normal", "to": "critical", "reply_due_at": [at(2026, 3, 9, 9).isoformat(), at(2026, 3, 2, 12).isoformat()]}
    assert row.event_label() == "提高紧急程度"
    [notice] = [n for n in notify.OUTBOX if n.kind == "priority_raised:department"]
    assert people["handler"].pk in notice.user_ids and people["other_handler"].pk not in notice.user_ids
    assert "特急" in notice.subject and "2026-03-02 12:00" in notice.body and notice.appeal_number == appeal.number


def test_a_raise_never_extends_a_deadline_that_is_already_shorter(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = dispatched(appeal_in, "urgent")
    assert appeal.reply_due_at == at(2026, 3, 3, 9)  # 紧急: 1 working day
    warn = appeal.reply_warn_at
    notify.OUTBOX.clear()
    # Tue 08:00 + 2 hours would be later than Tue 09:00: the deadline stays.
    appeal = raise_at(at(2026, 3, 3, 8), appeal, "critical", people["supervisor"], django_capture_on_commit_callbacks)
    appeal.refresh_from_db()
    assert appeal.priority == "critical"
    assert (appeal.reply_due_at, appeal.reply_warn_at, appeal.sla_unit) == (at(2026, 3, 3, 9), warn, "wd")
    assert appeal.audit.get(event=wf.PRIORITY_EVENT).payload == {"from": "urgent", "to": "critical"}
    assert not [n for n in notify.OUTBOX if n.kind.startswith("priority_raised")]


def test_a_paused_clock_resumes_with_the_shorter_remaining_time(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = dispatched(appeal_in)
    with time_machine.travel(at(2026, 3, 2, 10), tick=False):
        appeal = services.claim_appeal(appeal, by=people["handler"])
        appeal = services.suspend_appeal(appeal, reason="等待诉求人补充材料", by=people["handler"])
    assert appeal.paused_remaining_seconds == 5 * 24 * 3600 - 3600
    appeal = raise_at(at(2026, 3, 3, 10), appeal, "urgent", people["dispatcher"], django_capture_on_commit_callbacks)
    assert (appeal.state, appeal.paused_remaining_seconds, appeal.sla_unit) == (State.SUSPENDED, 24 * 3600, "wd")
    with time_machine.travel(at(2026, 3, 4, 15), tick=False):
        appeal = services.resume_appeal(appeal, by=people["handler"])
    assert appeal.reply_due_at == at(2026, 3, 5, 15)  # one working day from the resumption


def test_before_dispatch_only_the_priority_changes_and_dispatch_starts_the_clock_from_it(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        appeal = appeal_in(State.PENDING_DISPATCH)
    appeal = raise_at(MONDAY_9, appeal, "critical", people["dispatcher"], django_capture_on_commit_callbacks)
    assert appeal.reply_due_at is None
    assert appeal.audit.get(event=wf.PRIORITY_EVENT).payload == {"from": "normal", "to": "critical"}
    with time_machine.travel(at(2026, 3, 2, 9, 30), tick=False):
        appeal = services.dispatch_appeal(appeal, Department.objects.get(code="zjj"), by=people["dispatcher"])
    assert appeal.reply_due_at == at(2026, 3, 2, 11, 30)


def test_a_replied_appeal_keeps_its_deadline(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        appeal = appeal_in(State.REPLIED)
    due = appeal.reply_due_at
    appeal = raise_at(at(2026, 3, 2, 10), appeal, "critical", people["dispatcher"], django_capture_on_commit_callbacks)
    assert (appeal.priority, appeal.reply_due_at) == ("critical", due)


def test_lowering_changes_nothing_and_only_central_roles_may_raise(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = dispatched(appeal_in, "urgent")
    rows = appeal.audit.count()
    for same_or_lower in ("urgent", "normal"):
        unchanged = raise_at(at(2026, 3, 2, 10), appeal, same_or_lower, people["dispatcher"], django_capture_on_commit_callbacks)
        assert (unchanged.priority, unchanged.reply_due_at) == ("urgent", appeal.reply_due_at)
    assert appeal.audit.count() == rows
    with pytest.raises(wf.ActionForbidden):
        wf.raise_priority(appeal, "critical", by=people["handler"])
    with pytest.raises(ValueError, match="unknown priority"):
        wf.raise_priority(appeal, "whenever", by=people["dispatcher"])
    assert Appeal.objects.get(pk=appeal.pk).priority == "urgent"
