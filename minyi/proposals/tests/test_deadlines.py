"""Three months from 交办 on the working-day calendar, governing the appeal's SLA."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from minyi.directory.models import Department
from minyi.proposals import services
from minyi.proposals.deadlines import add_months, due_day, end_of
from minyi.proposals.tests.conftest import ASSIGNED_ON, register
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI, WorkingCalendar
from minyi.workflow.machine import Event, State
from minyi.workflow.sla import SlaState, sla_state


def test_add_months_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(dt.date(2025, 7, 1), 3) == dt.date(2025, 10, 1)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2023, 11, 29), 3) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 10, 15), 3) == dt.date(2026, 1, 15)


def test_due_day_moves_past_holidays_and_weekends() -> None:
    cal = WorkingCalendar()
    assert due_day(dt.date(2025, 7, 1), cal) == dt.date(2025, 10, 9)  # 国庆中秋 10-01..10-08
    assert due_day(dt.date(2025, 8, 31), cal) == dt.date(2025, 12, 1)  # 11-30 is a Sunday
    assert due_day(dt.date(2025, 3, 12), cal) == dt.date(2025, 6, 12)  # a plain Thursday
    # An admin override wins: make 2025-06-12 a day off and the deadline moves to Friday.
    assert due_day(dt.date(2025, 3, 12), WorkingCalendar({dt.date(2025, 6, 12): False})) == dt.date(2025, 6, 13)


@pytest.mark.django_db
def test_assignment_sets_the_appeals_reply_clock_to_three_months(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    zjj = Department.objects.get(code="zjj")
    with time_machine.travel(dt.datetime(2025, 7, 3, 9, 0, tzinfo=SHANGHAI), tick=False):
        proposal = services.assign_proposal(proposal, lead=zjj, assigned_on=ASSIGNED_ON, by=liaison)
    appeal = proposal.appeal
    assert appeal.state is State.DISPATCHED and appeal.department == zjj
    assert appeal.reply_due_at == end_of(dt.date(2025, 10, 9)) == dt.datetime(2025, 10, 10, tzinfo=SHANGHAI)
    assert appeal.sla_unit == "wd"
    # 临期 at 80 % of the working time between dispatch and the deadline, well after the ordinary 5 days.
    assert appeal.reply_warn_at is not None
    assert dt.datetime(2025, 9, 1, tzinfo=SHANGHAI) < appeal.reply_warn_at < appeal.reply_due_at
    # The SLA state follows the date: normal in August, due soon in late September, overdue after 10-09.
    assert sla_state(dt.datetime(2025, 8, 1, tzinfo=SHANGHAI), due_at=appeal.reply_due_at, warn_at=appeal.reply_warn_at) is SlaState.NORMAL
    assert sla_state(dt.datetime(2025, 9, 30, tzinfo=SHANGHAI), due_at=appeal.reply_due_at, warn_at=appeal.reply_warn_at) is SlaState.DUE_SOON
    assert sla_state(dt.datetime(2025, 10, 10, 8, tzinfo=SHANGHAI), due_at=appeal.reply_due_at, warn_at=appeal.reply_warn_at) is SlaState.OVERDUE


@pytest.mark.django_db
def test_ordinary_appeals_keep_their_budget(people: dict[str, Any], appeal_in: Any) -> None:
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        appeal = appeal_in(State.DISPATCHED)
    assert appeal.reply_due_at == dt.datetime(2025, 7, 8, 9, 0, tzinfo=SHANGHAI)  # 5 working days


@pytest.mark.django_db
def test_raising_priority_does_not_shorten_a_proposals_deadline(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    with time_machine.travel(dt.datetime(2025, 7, 3, 9, 0, tzinfo=SHANGHAI), tick=False):
        proposal = services.assign_proposal(proposal, lead=Department.objects.get(code="zjj"), assigned_on=ASSIGNED_ON, by=liaison)
        appeal = wf.raise_priority(proposal.appeal, "critical", by=people["dispatcher"], reason="代表催问")
    assert appeal.priority == "critical"
    assert appeal.reply_due_at == dt.datetime(2025, 10, 10, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_reopening_gives_one_month_from_the_reopening(liaison: Any, people: dict[str, Any]) -> None:
    proposal = register(liaison)
    zjj = Department.objects.get(code="zjj")
    at = dt.datetime(2025, 7, 3, 9, 0, tzinfo=SHANGHAI)
    proposal = services.assign_proposal(proposal, lead=zjj, assigned_on=ASSIGNED_ON, by=liaison, now=at)
    wf.perform(proposal.appeal, Event.CLAIM, by=people["handler"], now=at + dt.timedelta(hours=2))
    services.send_letter(
        proposal, classification="B", body="已将湖滨新村加装电梯列入明年计划，正在开展入户意见征集。", by=people["handler"], now=at + dt.timedelta(days=20)
    )
    services.approve_letter(proposal, by=liaison, now=at + dt.timedelta(days=21))
    reopen_at = dt.datetime(2025, 8, 4, 10, 0, tzinfo=SHANGHAI)
    services.rate_proposal(proposal, satisfaction="unsatisfied", comment="进度太慢", by=liaison, now=reopen_at)
    proposal.appeal.refresh_from_db()
    assert proposal.appeal.state is State.DISPATCHED and proposal.appeal.reopen_count == 1
    assert proposal.appeal.reply_due_at == end_of(dt.date(2025, 9, 4))
