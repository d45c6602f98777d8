"""Implementations of the side effects named in the transition table.

Each effect mutates the locked appeal row in memory (the caller saves it once) or
schedules a notification to be sent after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minyi.workflow.calendar import DAY
from minyi.workflow.sla import Budget, Clock, SlaRules, fixed_deadline

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal


@dataclass
class EffectInput:
    """What the action was given, for the effects that need it."""

    now: dt.datetime
    clock: Clock
    rules: SlaRules
    department_id: int | None = None
    category_id: int | None = None
    reply: str = ""
    satisfaction: int | None = None
    resolved: bool | None = None
    comment: str = ""
    extension_days: int = 0
    merge_into_id: int | None = None
    reason_code: str = ""
    callback_method: str = ""  # 电话/短信/上门 … for 回访 (appeals.models.CallbackMethod)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (audience, kind)


Effect = Callable[["Appeal", EffectInput], None]

PRIORITY_UP = {"normal": "urgent", "urgent": "critical", "critical": "critical"}


def _set_reply_deadline(appeal: Appeal, start: dt.datetime, budget: Budget, e: EffectInput) -> None:
    appeal.sla_unit = budget.unit
    appeal.reply_budget_seconds = int(budget.span().total_seconds())
    appeal.reply_due_at = e.clock.deadline(start, budget)
    appeal.reply_warn_at = e.clock.warn_point(start, budget, e.rules.due_soon_fraction)
    appeal.paused_at = None
    appeal.paused_remaining_seconds = None


def _set_fixed_deadline(appeal: Appeal, start: dt.datetime, due: dt.datetime, e: EffectInput) -> None:
    """A deadline fixed by a domain rule (``sla.FIXED_DEADLINES``): the budget is the working time up to it."""
    span = e.clock.elapsed(start, due, "wd")
    appeal.sla_unit = "wd"
    appeal.reply_budget_seconds = max(int(span.total_seconds()), 0)
    appeal.reply_due_at = due
    appeal.reply_warn_at = e.clock.add(start, span * e.rules.due_soon_fraction, "wd") if span > dt.timedelta() else due
    appeal.paused_at = None
    appeal.paused_remaining_seconds = None


def _warn_from_remaining(appeal: Appeal, start: dt.datetime, remaining: dt.timedelta, e: EffectInput) -> None:
    budget = dt.timedelta(seconds=appeal.reply_budget_seconds or 0)
    before_warn = remaining - budget * (1 - e.rules.due_soon_fraction)
    unit = appeal.sla_unit or "wd"
    appeal.reply_due_at = e.clock.add(start, remaining, unit) if remaining > dt.timedelta() else start + remaining
    appeal.reply_warn_at = e.clock.add(start, before_warn, unit) if before_warn > dt.timedelta() else start


def stamp_accepted(appeal: Appeal, e: EffectInput) -> None:
    appeal.accepted_at = appeal.accepted_at or e.now


def stamp_dispatched(appeal: Appeal, e: EffectInput) -> None:
    appeal.dispatched_at = e.now
    appeal.claimed_at = None


def set_department(appeal: Appeal, e: EffectInput) -> None:
    appeal.department_id = e.department_id
    if e.category_id is not None:
        appeal.category_id = e.category_id


def clear_department(appeal: Appeal, e: EffectInput) -> None:
    appeal.department_id = None
    appeal.claim_due_at = None


def cap_claim_deadline(appeal: Appeal) -> None:
    """A department must be able to claim before it has to reply: 特急's 2-hour reply beats the 1-day claim."""
    if appeal.claim_due_at is not None and appeal.reply_due_at is not None and appeal.claim_due_at > appeal.reply_due_at:
        appeal.claim_due_at = appeal.reply_due_at


def start_claim_clock(appeal: Appeal, e: EffectInput) -> None:
    appeal.claim_due_at = e.clock.deadline(e.now, e.rules.claim)
    cap_claim_deadline(appeal)


def start_reply_clock(appeal: Appeal, e: EffectInput) -> None:
    due = fixed_deadline(appeal, e.now, e.clock)
    if due is not None:
        _set_fixed_deadline(appeal, e.now, due, e)
    else:
        _set_reply_deadline(appeal, e.now, e.rules.reply_budget(appeal.kind, appeal.priority), e)
    cap_claim_deadline(appeal)
    # A new deadline starts a new SLA story: the sweep re-marks and re-escalates from scratch.
    appeal.sla_flag = ""
    appeal.escalation_level = 0


def stamp_claimed(appeal: Appeal, e: EffectInput) -> None:
    appeal.claimed_at = e.now


def count_return(appeal: Appeal, e: EffectInput) -> None:
    appeal.return_count += 1


def pause_clock(appeal: Appeal, e: EffectInput) -> None:
    appeal.paused_at = e.now
    if appeal.reply_due_at is not None:
        remaining = e.clock.elapsed(e.now, appeal.reply_due_at, appeal.sla_unit or "wd")
        appeal.paused_remaining_seconds = int(remaining.total_seconds())


def resume_clock(appeal: Appeal, e: EffectInput) -> None:
    if appeal.paused_remaining_seconds is not None:
        _warn_from_remaining(appeal, e.now, dt.timedelta(seconds=appeal.paused_remaining_seconds), e)
    appeal.paused_at = None
    appeal.paused_remaining_seconds = None


def record_extension_request(appeal: Appeal, e: EffectInput) -> None:
    appeal.extension_days_requested = e.extension_days


def extend_deadline(appeal: Appeal, e: EffectInput) -> None:
    days = appeal.extension_days_requested or 0
    if appeal.reply_due_at is not None and days:
        extra = DAY * days
        appeal.reply_due_at = e.clock.add(appeal.reply_due_at, extra, "wd")
        appeal.reply_budget_seconds = int((appeal.reply_budget_seconds or 0) + extra.total_seconds())
        remaining = e.clock.elapsed(e.now, appeal.reply_due_at, "wd")
        appeal.sla_unit = "wd"
        _warn_from_remaining(appeal, e.now, remaining, e)
    appeal.extension_days_requested = None


def clear_extension_request(appeal: Appeal, e: EffectInput) -> None:
    appeal.extension_days_requested = None


def stamp_replied(appeal: Appeal, e: EffectInput) -> None:
    appeal.replied_at = e.now
    if e.reply:
        appeal.reply_text = e.reply


def stamp_closed(appeal: Appeal, e: EffectInput) -> None:
    appeal.closed_at = e.now
    if appeal.reply_due_at is not None:
        answered = appeal.replied_at or e.now
        appeal.closed_on_time = answered <= appeal.reply_due_at
    appeal.sla_flag = ""


def record_rating(appeal: Appeal, e: EffectInput) -> None:
    # A rating after an earlier bad one is the callback that the bad rating demanded.
    if appeal.bad_rating_at is not None and appeal.bad_rating_callback_at is None:
        appeal.bad_rating_callback_at = e.now
    appeal.satisfaction = e.satisfaction
    appeal.resolved = e.resolved
    appeal.rating_comment = e.comment
    if e.satisfaction is not None and e.satisfaction <= 2:
        appeal.bad_rating_at = e.now
        appeal.bad_rating_callback_at = None


def raise_priority(appeal: Appeal, e: EffectInput) -> None:
    appeal.priority = PRIORITY_UP[appeal.priority]


def count_reopen(appeal: Appeal, e: EffectInput) -> None:
    appeal.reopen_count += 1
    appeal.replied_at = None


def set_merged_into(appeal: Appeal, e: EffectInput) -> None:
    # The sub is parked under its main appeal: its own clocks stop, the main's answer will close it.
    appeal.merged_into_id = e.merge_into_id
    appeal.claim_due_at = None
    appeal.reply_due_at = None
    appeal.reply_warn_at = None
    appeal.sla_flag = ""


def clear_merged_into(appeal: Appeal, e: EffectInput) -> None:
    appeal.merged_into_id = None
    appeal.department_id = None


def follow_main_reply(appeal: Appeal, e: EffectInput) -> None:
    """The main appeal's approved answer becomes the sub's answer; the sub is then called back on its own."""
    appeal.reply_text = e.reply
    appeal.replied_at = e.now
    if e.department_id is not None:
        appeal.department_id = e.department_id
    appeal.accepted_at = appeal.accepted_at or e.now


def _escalate(level: int) -> Effect:
    def effect(appeal: Appeal, e: EffectInput) -> None:
        if appeal.escalation_level < level:
            appeal.escalation_level = level
        appeal.escalated_at = e.now

    effect.__name__ = f"escalate_{level}"
    return effect


def clear_sla_flag(appeal: Appeal, e: EffectInput) -> None:
    appeal.sla_flag = ""


def stamp_bad_rating_callback(appeal: Appeal, e: EffectInput) -> None:
    """Arbitration closes a twice-unsatisfied appeal: telling the citizen the outcome is the callback."""
    if appeal.bad_rating_at is not None and appeal.bad_rating_callback_at is None:
        appeal.bad_rating_callback_at = e.now


def _notify(audience: str) -> Effect:
    def effect(appeal: Appeal, e: EffectInput) -> None:
        e.notices.append((audience, audience))

    effect.__name__ = f"notify_{audience}"
    return effect


IMPLEMENTATIONS: dict[str, Effect] = {
    "stamp_accepted": stamp_accepted,
    "stamp_dispatched": stamp_dispatched,
    "set_department": set_department,
    "start_claim_clock": start_claim_clock,
    "stamp_claimed": stamp_claimed,
    "start_reply_clock": start_reply_clock,
    "clear_department": clear_department,
    "count_return": count_return,
    "pause_clock": pause_clock,
    "resume_clock": resume_clock,
    "record_extension_request": record_extension_request,
    "extend_deadline": extend_deadline,
    "clear_extension_request": clear_extension_request,
    "stamp_replied": stamp_replied,
    "stamp_closed": stamp_closed,
    "record_rating": record_rating,
    "raise_priority": raise_priority,
    "count_reopen": count_reopen,
    "set_merged_into": set_merged_into,
    "notify_department": _notify("department"),
    "notify_submitter": _notify("submitter"),
    "notify_supervisors": _notify("supervisors"),
    "notify_dispatchers": _notify("dispatchers"),
    "notify_leaders": _notify("leaders"),
    "escalate_urge": _escalate(1),
    "escalate_supervise": _escalate(2),
    "escalate_list": _escalate(3),
    "clear_sla_flag": clear_sla_flag,
    "stamp_bad_rating_callback": stamp_bad_rating_callback,
    "follow_main_reply": follow_main_reply,
    "clear_merged_into": clear_merged_into,
}


def payload_of(e: EffectInput) -> dict[str, Any]:
    """The parts of the input worth keeping in the audit row."""
    data: dict[str, Any] = {}
    kept = ("department_id", "category_id", "reply", "satisfaction", "resolved", "comment", "extension_days", "merge_into_id", "reason_code", "callback_method")
    for key in kept:
        value = getattr(e, key)
        if value not in (None, "", 0):
            data[key] = value
    return data
