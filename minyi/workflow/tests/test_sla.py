"""Working-day SLA deadlines across real holidays, 调休 days, pauses and unknown years."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from minyi.appeals import services
from minyi.appeals.models import Appeal
from minyi.directory.models import Department
from minyi.workflow import calendar as wcal
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI, WorkingCalendar
from minyi.workflow.machine import Event, State
from minyi.workflow.models import CalendarOverride
from minyi.workflow.sla import Budget, SlaRules, SlaState, sla_state


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def dispatched_at(moment: dt.datetime, appeal_in: Callable[..., Appeal], priority: str = "normal") -> Appeal:
    with time_machine.travel(moment, tick=False):
        appeal = appeal_in(State.PENDING_DISPATCH)
        if priority != "normal":
            Appeal.objects.filter(pk=appeal.pk).update(priority=priority)
        return wf.perform(appeal, Event.DISPATCH, by=wf.SYSTEM, department=Department.objects.get(code="zjj"))


@pytest.mark.parametrize(
    ("dispatched", "claim_due", "reply_due"),
    [
        # 2025 National Day: Oct 1-8 off; Sat Oct 11 is a 调休 working day.
        (at(2025, 9, 30, 10), at(2025, 10, 9, 10), at(2025, 10, 14, 10)),
        # 2026 Spring Festival: Feb 15-23 off; Sat Feb 14 is a 调休 working day.
        (at(2026, 2, 13, 15), at(2026, 2, 14, 15), at(2026, 2, 27, 15)),
        # 2026 New Year: Jan 1-3 off; Sun Jan 4 is a 调休 working day.
        (at(2025, 12, 31, 12), at(2026, 1, 4, 12), at(2026, 1, 8, 12)),
        # An ordinary week: Friday afternoon skips the weekend.
        (at(2026, 3, 6, 16), at(2026, 3, 9, 16), at(2026, 3, 13, 16)),
    ],
)
def test_deadlines_follow_the_state_council_calendar(
    dispatched: dt.datetime, claim_due: dt.datetime, reply_due: dt.datetime, appeal_in: Callable[..., Appeal]
) -> None:
    appeal = dispatched_at(dispatched, appeal_in)
    assert appeal.claim_due_at == claim_due
    assert appeal.reply_due_at == reply_due


def test_critical_appeals_count_clock_hours_even_on_a_weekend(appeal_in: Callable[..., Appeal]) -> None:
    appeal = dispatched_at(at(2026, 3, 7, 10), appeal_in, priority="critical")  # a Saturday
    assert appeal.reply_due_at == at(2026, 3, 7, 12)


@pytest.mark.parametrize("priority", ["normal", "urgent", "critical"])
@pytest.mark.parametrize("moment", [at(2026, 3, 7, 10), at(2026, 3, 6, 16), at(2026, 3, 9, 9)])
def test_claim_deadline_never_falls_after_the_reply_deadline(priority: str, moment: dt.datetime, appeal_in: Callable[..., Appeal]) -> None:
    appeal = dispatched_at(moment, appeal_in, priority=priority)
    assert appeal.claim_due_at is not None and appeal.reply_due_at is not None
    assert appeal.claim_due_at <= appeal.reply_due_at


def test_a_priority_raised_before_claim_brings_the_claim_deadline_forward(appeal_in: Callable[..., Appeal]) -> None:
    appeal = dispatched_at(at(2026, 3, 9, 9), appeal_in)
    with time_machine.travel(at(2026, 3, 9, 10), tick=False):
        appeal = wf.raise_priority(appeal, "critical", by=wf.SYSTEM, reason="燃气泄漏")
    assert appeal.reply_due_at == at(2026, 3, 9, 12)
    assert appeal.claim_due_at is not None and appeal.claim_due_at <= appeal.reply_due_at


def test_due_soon_at_80_percent_then_overdue(appeal_in: Callable[..., Appeal]) -> None:
    appeal = dispatched_at(at(2026, 3, 2, 9), appeal_in)
    assert appeal.reply_due_at == at(2026, 3, 9, 9)
    assert appeal.reply_warn_at == at(2026, 3, 6, 9)

    def state(moment: dt.datetime) -> SlaState:
        return sla_state(moment, due_at=appeal.reply_due_at, warn_at=appeal.reply_warn_at)

    assert state(at(2026, 3, 6, 8, 59)) is SlaState.NORMAL
    assert state(at(2026, 3, 6, 9)) is SlaState.DUE_SOON
    assert state(at(2026, 3, 9, 9, 1)) is SlaState.OVERDUE


def test_pause_stops_the_clock(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = dispatched_at(at(2026, 3, 2, 9), appeal_in)
    handler = people["handler"]
    with time_machine.travel(at(2026, 3, 2, 10), tick=False):
        appeal = services.claim_appeal(appeal, by=handler)
    with time_machine.travel(at(2026, 3, 3, 9), tick=False):
        appeal = services.suspend_appeal(appeal, reason="等待诉求人补充材料", by=handler)
    assert appeal.paused_remaining_seconds == 4 * 24 * 3600
    assert sla_state(at(2026, 3, 20), due_at=appeal.reply_due_at, warn_at=appeal.reply_warn_at, paused=True) is SlaState.PAUSED
    with time_machine.travel(at(2026, 3, 10, 9), tick=False):
        appeal = services.resume_appeal(appeal, by=handler)
    # Four working days left: Wed, Thu, Fri, then Monday.
    assert appeal.reply_due_at == at(2026, 3, 16, 9)
    assert appeal.paused_at is None


def test_approved_extension_moves_the_deadline_by_working_days(people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    appeal = dispatched_at(at(2026, 3, 2, 9), appeal_in)
    with time_machine.travel(at(2026, 3, 3, 9), tick=False):
        appeal = services.claim_appeal(appeal, by=people["handler"])
        appeal = services.request_extension(appeal, days=3, reason="需多部门会商", by=people["handler"])
        assert appeal.extension_days_requested == 3
        appeal = services.approve_extension(appeal, by=people["supervisor"])
    assert appeal.reply_due_at == at(2026, 3, 12, 9)
    assert appeal.extension_days_requested is None


def test_a_year_the_library_does_not_know_falls_back_and_warns(
    caplog: pytest.LogCaptureFixture, appeal_in: Callable[..., Appeal], people: dict[str, Any], client: Any
) -> None:
    wcal.UNKNOWN_YEARS.discard(2027)
    with caplog.at_level(logging.WARNING, logger="minyi.calendar"):
        appeal = dispatched_at(at(2026, 12, 30, 9), appeal_in)
    # Mon-Fri fallback: Jan 1 2027 (a Friday) counts until an admin says otherwise.
    assert appeal.reply_due_at == at(2027, 1, 6, 9)
    assert any("2027" in r.getMessage() for r in caplog.records)
    assert 2027 in wcal.UNKNOWN_YEARS
    client.force_login(people["admin"])
    assert "2027" in client.get("/appeals/").content.decode()

    CalendarOverride.objects.create(day=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    wf.forget_calendar()
    appeal = dispatched_at(at(2026, 12, 30, 9), appeal_in)
    assert appeal.reply_due_at == at(2027, 1, 7, 9)


def test_admin_overrides_win_over_the_library() -> None:
    cal = WorkingCalendar({dt.date(2026, 3, 7): True, dt.date(2026, 3, 9): False})
    assert cal.is_workday(dt.date(2026, 3, 7))  # a Saturday made a working day
    assert not cal.is_workday(dt.date(2026, 3, 9))  # a Monday made a holiday
    assert cal.working_time_between(at(2026, 3, 6), at(2026, 3, 10)) == dt.timedelta(days=2)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        WorkingCalendar().add_working_time(dt.datetime(2026, 3, 2, 9), dt.timedelta(hours=1))  # noqa: DTZ001


@pytest.mark.parametrize("text", ["", "5", "5d", "-1wd", "0h", "abc"])
def test_bad_budgets_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="budget"):
        Budget.parse(text)


def test_rules_are_configurable() -> None:
    rules = SlaRules.from_config({"reply": {"default": {"normal": "3wd", "urgent": "1wd", "critical": "4h"}}})
    assert rules.reply_budget("complaint", "normal") == Budget(3, "wd")
    assert rules.reply_budget("consult", "critical") == Budget(4, "h")
