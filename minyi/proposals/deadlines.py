"""A proposal's answer is due three months after its 交办 meeting, on the working-day calendar.

The date three calendar months on (the same day of the month, or the month's last day), moved to
the next working day when it falls on a weekend or holiday; due by the end of that day. A proposal
handled again after 不满意 (重办) is due one month after the reopening, by the same rule.
Registered in ``workflow.sla.FIXED_DEADLINES``, so the appeal's reply clock, its 临期 point
(80 % of the working time), 挂起/恢复 and the SLA sweep all follow it.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from typing import TYPE_CHECKING

from minyi.workflow.calendar import DAY, SHANGHAI, WorkingCalendar

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal
    from minyi.workflow.sla import Clock

MONTHS = 3
REOPEN_MONTHS = 1


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def due_day(start: dt.date, calendar: WorkingCalendar, months: int = MONTHS) -> dt.date:
    """The last day to answer: ``months`` after ``start``, on a working day."""
    day = add_months(start, months)
    for _ in range(60):
        if calendar.is_workday(day):
            return day
        day += DAY
    raise ValueError("no working day within 60 days of the deadline; check the calendar overrides")


def end_of(day: dt.date) -> dt.datetime:
    """Midnight after ``day``, Asia/Shanghai: the working calendar counts whole days."""
    return dt.datetime.combine(day + DAY, dt.time(), tzinfo=SHANGHAI)


def proposal_deadline(appeal: Appeal, now: dt.datetime, clock: Clock) -> dt.datetime | None:
    """``workflow.sla.FIXED_DEADLINES`` rule: the reply deadline of a proposal's appeal, None for others.

    One primary-key lookup when a reply clock starts (dispatch, 重办), nothing on other steps.
    """
    from minyi.proposals.models import Proposal

    if appeal.pk is None:
        return None
    assigned_on = Proposal.objects.filter(appeal_id=appeal.pk).values_list("assigned_on", flat=True).first()
    if assigned_on is None:
        return None
    if appeal.reopen_count:
        return end_of(due_day(now.astimezone(SHANGHAI).date(), clock.calendar, REOPEN_MONTHS))
    return end_of(due_day(assigned_on, clock.calendar))
