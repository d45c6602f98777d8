"""The SLA sweep walks the escalation ladder under controlled time, idempotently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from minyi.accountability.models import Notification, SupervisionOrder
from minyi.accountability.scheduler import run_sweep
from minyi.accountability.tests.conftest import MONDAY
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.workflow import services as wf
from minyi.workflow.calendar import WorkingCalendar
from minyi.workflow.machine import Event, State
from minyi.workflow.models import AuditEvent
from minyi.workflow.sla import Clock
from minyi.workflow.sweep import Offset

DAY = dt.timedelta(days=1)


def _events(appeal: Appeal) -> list[str]:
    return list(AuditEvent.objects.filter(appeal=appeal).order_by("id").values_list("event", flat=True))


@pytest.fixture
def dispatched_monday(appeal_in: Callable[..., Appeal]) -> Appeal:
    with time_machine.travel(MONDAY, tick=False):
        appeal = appeal_in(State.IN_PROGRESS, now=timezone.now())
    # 一般 complaint: 5 working days → due Saturday 00:00 + … ; read it back rather than assume.
    appeal.refresh_from_db()
    return appeal


def test_overdue_climbs_urge_supervise_list_and_is_idempotent(
    dispatched_monday: Appeal,
    people: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    appeal = dispatched_monday
    due = appeal.reply_due_at
    assert due is not None
    assert due.date() == dt.date(2026, 11, 23)  # Mon 09:00 + 5 working days (weekend skipped)

    # Day 4: inside the last 20% → 临期, nothing escalated.
    with time_machine.travel(dt.datetime(2026, 11, 20, 18, 0, tzinfo=due.tzinfo), tick=False):
        result = run_sweep()
    appeal.refresh_from_db()
    assert appeal.sla_flag == "due_soon"
    assert appeal.escalation_level == 0
    assert result.summary()["due_soon"] >= 1

    # Just past the deadline → 超期 + 催办, notification to the department.
    with time_machine.travel(due + dt.timedelta(hours=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        run_sweep()
    appeal.refresh_from_db()
    assert (appeal.sla_flag, appeal.escalation_level) == ("overdue", 1)
    assert _events(appeal)[-2:] == ["sla_overdue", "urge"]
    assert any(n.kind.startswith("sla_urge") and people["handler"].pk in n.user_ids for n in notify.OUTBOX)
    assert Notification.objects.filter(user=people["handler"], kind__startswith="sla_urge").exists()

    # Two more working days → 督办 with a supervision order to answer in writing.
    with time_machine.travel(due + 2 * DAY + dt.timedelta(hours=1), tick=False):
        run_sweep()
    appeal.refresh_from_db()
    assert appeal.escalation_level == 2
    order = SupervisionOrder.objects.get(appeal=appeal, level=2)
    assert order.department_id == appeal.department_id
    assert order.response_due_at > order.issued_at

    # Five working days overdue (a weekend in between) → 挂牌督办; leaders hear of it.
    moment = due + 7 * DAY + dt.timedelta(hours=1)
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        run_sweep()
        audit_before = AuditEvent.objects.count()
        again = run_sweep()  # idempotent: nothing changes the second time
    appeal.refresh_from_db()
    assert appeal.escalation_level == 3
    assert not again.changed_anything()
    assert AuditEvent.objects.count() == audit_before
    assert [e for e in _events(appeal) if e in ("urge", "supervise", "list_supervise")] == ["urge", "supervise", "list_supervise"]
    assert Notification.objects.filter(user=people["leader"], kind__startswith="sla_list_supervise").exists()
    assert wf.replay_state(appeal) is appeal.state  # the escalation events are declared self-loops


def test_a_late_first_sweep_climbs_every_step_at_once(dispatched_monday: Appeal) -> None:
    appeal = dispatched_monday
    assert appeal.reply_due_at is not None
    with time_machine.travel(appeal.reply_due_at + 20 * DAY, tick=False):
        result = run_sweep()
    appeal.refresh_from_db()
    assert appeal.escalation_level == 3
    assert result.summary()["urge"] == result.summary()["supervise"] == result.summary()["list_supervise"] == 1
    assert SupervisionOrder.objects.filter(appeal=appeal).count() == 2


def test_paused_and_replied_appeals_are_not_swept_and_lose_their_flag(dispatched_monday: Appeal, people: dict[str, Any]) -> None:
    appeal = dispatched_monday
    assert appeal.reply_due_at is not None
    late = appeal.reply_due_at + dt.timedelta(hours=2)
    with time_machine.travel(late, tick=False):
        run_sweep()
        appeal.refresh_from_db()
        assert appeal.sla_flag == "overdue"
        wf.perform(appeal, Event.SUSPEND, by=people["handler"], reason="等待诉求人补充材料")
        run_sweep()
    appeal.refresh_from_db()
    assert appeal.sla_flag == ""  # a paused clock is neither due soon nor overdue


def test_reply_clears_the_flag_and_a_reopen_restarts_the_ladder(dispatched_monday: Appeal, people: dict[str, Any]) -> None:
    appeal = dispatched_monday
    assert appeal.reply_due_at is not None
    with time_machine.travel(appeal.reply_due_at + 3 * DAY, tick=False):
        run_sweep()
        appeal = wf.perform(appeal, Event.REPLY, by=people["handler"], reply="已处理")
    assert appeal.sla_flag == ""
    assert appeal.escalation_level >= 1  # history of the first round stays until a new clock starts


def test_thresholds_are_configurable(settings: Any, dispatched_monday: Appeal) -> None:
    settings.MINYI_ESCALATION = {"urge": "0wd", "supervise": "4h", "list_supervise": "8h"}
    appeal = dispatched_monday
    assert appeal.reply_due_at is not None
    with time_machine.travel(appeal.reply_due_at + dt.timedelta(hours=5), tick=False):
        run_sweep()
    appeal.refresh_from_db()
    assert appeal.escalation_level == 2
    settings.MINYI_ESCALATION = {"supervise": "9wd", "list_supervise": "1wd"}
    with pytest.raises(ValueError, match="must not decrease"):
        run_sweep()


def test_working_day_cutoff_skips_the_weekend() -> None:
    calendar = WorkingCalendar()
    saturday_noon = dt.datetime(2026, 11, 21, 12, 0, tzinfo=MONDAY.tzinfo)
    cutoff = Offset.parse("1wd").cutoff(saturday_noon, Clock(calendar))
    assert cutoff == dt.datetime(2026, 11, 20, 0, 0, tzinfo=MONDAY.tzinfo)  # all of Friday counts, the weekend does not
    assert calendar.working_time_between(cutoff, saturday_noon) == DAY


def test_sla_command_sweeps_and_prints_json(dispatched_monday: Appeal) -> None:
    import io
    import json

    from django.core.management import call_command

    assert dispatched_monday.reply_due_at is not None
    out = io.StringIO()
    when = (dispatched_monday.reply_due_at + DAY).isoformat()
    call_command("sla", "sweep", "--now", when, "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["overdue"] == 1
    assert figures["urge"] == 1
    out = io.StringIO()
    call_command("sla", "sweep", "--now", when, "--json", stdout=out)
    assert json.loads(out.getvalue())["overdue"] == 0
