"""催签 and 回访超期 reminders of the SLA sweep: after the deadline only, once only, to the right people."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import time_machine
from django.core.management import call_command
from django.utils import timezone, translation

from minyi.accountability.models import Notification, Rectification, Reminder
from minyi.accountability.scheduler import run_sweep
from minyi.accountability.tests.conftest import MONDAY
from minyi.appeals import services as actions
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.directory.models import Department
from minyi.workflow import services as wf
from minyi.workflow.machine import State
from minyi.workflow.models import AuditEvent

MINUTE = dt.timedelta(minutes=1)


def _sweep_at(moment: dt.datetime, capture: Any) -> dict[str, Any]:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return run_sweep().summary()


def _notified(user: Any, kind: str) -> int:
    return Notification.objects.filter(user=user, kind__startswith=kind).count()


def _dispatched_monday(appeal_in: Callable[..., Appeal]) -> Appeal:
    with time_machine.travel(MONDAY, tick=False):
        appeal = appeal_in(State.DISPATCHED, now=timezone.now())
    appeal.refresh_from_db()
    return appeal


def test_claim_reminder_fires_after_the_deadline_and_not_before(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = _dispatched_monday(appeal_in)
    due = appeal.claim_due_at
    assert due == dt.datetime(2026, 11, 17, 9, 0, tzinfo=MONDAY.tzinfo)  # Mon 09:00 + 1 working day

    for moment in (due - MINUTE, due):  # before, and at the deadline itself: not yet late
        summary = _sweep_at(moment, django_capture_on_commit_callbacks)
        assert summary["claim_reminder"] == 0
    assert not Reminder.objects.filter(appeal=appeal).exists()
    assert _notified(people["handler"], "claim_reminder") == 0

    summary = _sweep_at(due + MINUTE, django_capture_on_commit_callbacks)
    assert summary["claim_reminder"] == 1
    reminder = Reminder.objects.get(appeal=appeal)
    assert (reminder.kind, reminder.due_at, reminder.department_id) == (Reminder.Kind.CLAIM, due, appeal.department_id)
    audit = AuditEvent.objects.filter(appeal=appeal, event="claim_reminder").get()
    assert (audit.from_state, audit.to_state, audit.actor_id) == ("dispatched", "dispatched", None)
    # The department's handlers hear of it; a sub-unit's handler, another department and the centre do not.
    for name in ("handler", "handler2"):
        assert _notified(people[name], "claim_reminder") == 1
    for name in ("section_handler", "other_handler", "operator", "supervisor"):
        assert _notified(people[name], "claim_reminder") == 0
    sent = [n for n in notify.OUTBOX if n.kind.startswith("claim_reminder")]
    assert len(sent) == 1
    assert sent[0].appeal_number == appeal.number
    assert appeal.number in sent[0].body
    appeal.refresh_from_db()
    assert appeal.state is State.DISPATCHED  # a reminder changes no status
    assert wf.replay_state(appeal) is State.DISPATCHED


def test_claim_reminder_fires_once_across_sweeps(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    appeal = _dispatched_monday(appeal_in)
    assert appeal.claim_due_at is not None
    late = appeal.claim_due_at + dt.timedelta(hours=1)
    assert _sweep_at(late, django_capture_on_commit_callbacks)["claim_reminder"] == 1
    audit_before = AuditEvent.objects.count()
    notifications_before = Notification.objects.count()

    again = _sweep_at(late, django_capture_on_commit_callbacks)  # the same moment: nothing changes
    assert again["claim_reminder"] == 0
    assert not any(v for k, v in again.items() if k != "now")
    assert AuditEvent.objects.count() == audit_before
    assert Notification.objects.count() == notifications_before

    later = _sweep_at(late + dt.timedelta(hours=3), django_capture_on_commit_callbacks)  # still unclaimed, still once
    assert later["claim_reminder"] == 0
    assert Reminder.objects.filter(appeal=appeal, kind=Reminder.Kind.CLAIM).count() == 1
    assert AuditEvent.objects.filter(appeal=appeal, event="claim_reminder").count() == 1
    assert _notified(people["handler"], "claim_reminder") == 1


def test_claimed_appeals_are_skipped_and_a_new_deadline_earns_a_new_reminder(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    claimed = _dispatched_monday(appeal_in)
    waiting = _dispatched_monday(appeal_in)
    assert claimed.claim_due_at is not None
    with time_machine.travel(claimed.claim_due_at - dt.timedelta(hours=1), tick=False):
        actions.claim_appeal(claimed, by=people["handler"])
    late = claimed.claim_due_at + dt.timedelta(hours=1)
    assert _sweep_at(late, django_capture_on_commit_callbacks)["claim_reminder"] == 1
    assert not Reminder.objects.filter(appeal=claimed).exists()
    assert Reminder.objects.filter(appeal=waiting).exists()

    # Returned and redispatched to 区城管局: a new claim clock, a new reminder, to the new department.
    with time_machine.travel(late, tick=False):
        actions.return_appeal(waiting, reason="非本单位职责", code="not_our_duty", by=people["handler"])
        waiting = actions.approve_return(waiting, by=people["dispatcher"], redispatch_to=Department.objects.get(code="cgj"))
    assert waiting.claim_due_at is not None and waiting.claim_due_at > late
    assert _sweep_at(waiting.claim_due_at - MINUTE, django_capture_on_commit_callbacks)["claim_reminder"] == 0
    assert _sweep_at(waiting.claim_due_at + MINUTE, django_capture_on_commit_callbacks)["claim_reminder"] == 1
    assert Reminder.objects.filter(appeal=waiting, kind=Reminder.Kind.CLAIM).count() == 2
    assert _notified(people["other_handler"], "claim_reminder") == 1
    assert _notified(people["handler"], "claim_reminder") == 1  # only the first round


def test_overdue_callback_notifies_operators_and_supervisors_once(
    appeal_in: Callable[..., Appeal], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        appeal = appeal_in(State.PENDING_CALLBACK, now=timezone.now())
        appeal = actions.record_callback(appeal, satisfaction=1, resolved=False, comment="路灯还是不亮", by=people["operator"])
    with time_machine.travel(MONDAY + dt.timedelta(hours=6), tick=False):  # 整改: claimed and answered the same day
        appeal = actions.claim_appeal(appeal, by=people["handler"])
        appeal = actions.reply_appeal(appeal, reply="已整改：更换全部路灯灯具", by=people["handler"])
        appeal = actions.approve_reply(appeal, by=people["dispatcher"])
    case = Rectification.objects.get(appeal=appeal)
    due = case.callback_due_at
    assert due is not None

    assert _sweep_at(due - MINUTE, django_capture_on_commit_callbacks)["callback_overdue"] == 0
    assert _notified(people["supervisor"], "callback_overdue") == 0

    assert _sweep_at(due + MINUTE, django_capture_on_commit_callbacks)["callback_overdue"] == 1
    reminder = Reminder.objects.get(appeal=appeal, kind=Reminder.Kind.CALLBACK)
    assert (reminder.rectification_id, reminder.due_at) == (case.pk, due)
    assert AuditEvent.objects.filter(appeal=appeal, event="callback_overdue").count() == 1
    for name in ("operator", "supervisor"):
        assert _notified(people[name], "callback_overdue") == 1
    for name in ("handler", "dispatcher", "leader"):
        assert _notified(people[name], "callback_overdue") == 0

    for moment in (due + MINUTE, due + dt.timedelta(days=2)):  # the same moment, and later: nothing new
        assert _sweep_at(moment, django_capture_on_commit_callbacks)["callback_overdue"] == 0
    assert Reminder.objects.filter(appeal=appeal, kind=Reminder.Kind.CALLBACK).count() == 1
    assert _notified(people["operator"], "callback_overdue") == 1
    assert [n.kind for n in notify.OUTBOX].count("callback_overdue:central") == 1


def test_dry_run_counts_reminders_without_sending(appeal_in: Callable[..., Appeal]) -> None:
    appeal = _dispatched_monday(appeal_in)
    assert appeal.claim_due_at is not None
    when = (appeal.claim_due_at + MINUTE).isoformat()
    out = io.StringIO()
    call_command("sla", "sweep", "--now", when, "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["claim_reminder"] == 1
    assert not Reminder.objects.exists()
    out = io.StringIO()
    call_command("sla", "sweep", "--now", when, "--json", stdout=out)
    assert json.loads(out.getvalue())["claim_reminder"] == 1
    assert Reminder.objects.count() == 1


def _claim_and_reply_overdue(appeal_in: Callable[..., Appeal], capture: Any) -> tuple[Appeal, list[notify.Notice]]:
    """One sweep that both 催签 (claim late) and 催办 (reply late) the same dispatched, unclaimed appeal."""
    appeal = _dispatched_monday(appeal_in)
    assert appeal.reply_due_at is not None
    notify.OUTBOX.clear()
    summary = _sweep_at(appeal.reply_due_at + dt.timedelta(hours=1), capture)
    assert (summary["claim_reminder"], summary["urge"]) == (1, 1)
    return appeal, list(notify.OUTBOX)


def test_reminder_and_escalation_notices_are_written_in_the_site_language_not_the_callers(
    appeal_in: Callable[..., Appeal], django_capture_on_commit_callbacks: Any
) -> None:
    with translation.override("en"):  # e.g. a sweep started from a page viewed in English
        appeal, sent = _claim_and_reply_overdue(appeal_in, django_capture_on_commit_callbacks)
    by_kind = {n.kind: n for n in sent}
    claim, urge = by_kind["claim_reminder:department"], by_kind["sla_urge:department"]
    assert claim.subject == "【催签】区住房和城乡建设局：1 件诉求"
    assert claim.body == f"您单位有 1 件已交办的诉求超过签收时限仍未签收，请尽快签收办理。诉求编号：{appeal.number}"
    assert urge.subject == "【催办】区住房和城乡建设局：1 件诉求"
    assert urge.body == "您单位有 1 件诉求已超过答复时限，请尽快办理。"


def test_notice_texts_are_translated_when_sent(
    appeal_in: Callable[..., Appeal], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.LANGUAGE_CODE = "en"  # a site run in English: labels the catalogue knows come out in English
    _appeal, sent = _claim_and_reply_overdue(appeal_in, django_capture_on_commit_callbacks)
    urge = next(n for n in sent if n.kind == "sla_urge:department")
    assert urge.subject == "[Send reminder] 区住房和城乡建设局: 1 appeal(s)"  # msgids 【%(label)s】… and 催办
    assert Notification.objects.filter(kind="sla_urge:department", subject=urge.subject).exists()
