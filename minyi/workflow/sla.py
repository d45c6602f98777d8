"""SLA budgets per kind x priority, and the deadlines they give on a working calendar.

Budgets are written like ``"5wd"`` (working days) or ``"2h"`` (clock hours, for
特急 matters that cannot wait for Monday). Configured in ``settings.MINYI_SLA``.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from minyi.workflow.calendar import DAY, WorkingCalendar

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal

_BUDGET_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|h)\s*$")


class SlaState(enum.StrEnum):
    NONE = "none"
    NORMAL = "normal"
    DUE_SOON = "due_soon"  # 临期
    OVERDUE = "overdue"  # 超期
    PAUSED = "paused"


SLA_STATE_LABELS: Mapping[SlaState, str] = {
    SlaState.NONE: "—",
    SlaState.NORMAL: "正常",
    SlaState.DUE_SOON: "临期",
    SlaState.OVERDUE: "超期",
    SlaState.PAUSED: "暂停计时",
}


@dataclass(frozen=True)
class Budget:
    amount: float
    unit: Literal["wd", "h"]

    @classmethod
    def parse(cls, text: str) -> Budget:
        match = _BUDGET_RE.match(text)
        if not match:
            raise ValueError(f"invalid SLA budget {text!r}: write e.g. '5wd' (working days) or '2h' (hours)")
        amount = float(match.group(1))
        if amount <= 0:
            raise ValueError(f"SLA budget must be positive: {text!r}")
        unit: Literal["wd", "h"] = "wd" if match.group(2) == "wd" else "h"
        return cls(amount, unit)

    def span(self) -> dt.timedelta:
        return DAY * self.amount if self.unit == "wd" else dt.timedelta(hours=self.amount)


DEFAULT_SLA: dict[str, Any] = {
    "claim": "1wd",
    "due_soon_fraction": 0.8,
    "reply": {
        "default": {"normal": "5wd", "urgent": "1wd", "critical": "2h"},
        "consult": {"normal": "1wd", "urgent": "1wd", "critical": "2h"},
    },
}


@dataclass(frozen=True)
class SlaRules:
    claim: Budget
    reply: Mapping[str, Mapping[str, Budget]]
    due_soon_fraction: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SlaRules:
        merged = {**DEFAULT_SLA, **config}
        reply = {
            kind: {prio: Budget.parse(text) for prio, text in by_priority.items()}
            for kind, by_priority in merged["reply"].items()
        }
        if "default" not in reply:
            raise ValueError("MINYI_SLA['reply'] needs a 'default' entry")
        fraction = float(merged["due_soon_fraction"])
        if not 0 < fraction < 1:
            raise ValueError("due_soon_fraction must be between 0 and 1")
        return cls(Budget.parse(merged["claim"]), reply, fraction)

    def reply_budget(self, kind: str, priority: str) -> Budget:
        by_priority = self.reply.get(kind, self.reply["default"])
        return by_priority.get(priority) or self.reply["default"][priority]


class Clock:
    """Deadlines for one budget on one calendar."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    def add(self, start: dt.datetime, span: dt.timedelta, unit: str) -> dt.datetime:
        if unit == "wd":
            return self.calendar.add_working_time(start, span)
        return start + span

    def elapsed(self, start: dt.datetime, end: dt.datetime, unit: str) -> dt.timedelta:
        if unit == "wd":
            return self.calendar.working_time_between(start, end)
        return end - start

    def deadline(self, start: dt.datetime, budget: Budget) -> dt.datetime:
        return self.add(start, budget.span(), budget.unit)

    def warn_point(self, start: dt.datetime, budget: Budget, fraction: float) -> dt.datetime:
        return self.add(start, budget.span() * fraction, budget.unit)


# Appeals that answer to a fixed date rather than a kind x priority budget (建议提案: three months
# from the 交办 meeting, ``minyi.proposals.deadlines``). A domain registers a rule in its AppConfig.ready;
# a rule returns the reply deadline for the appeal whose reply clock starts at ``now``, or None when
# the appeal is not its kind. The first answer wins; with none, the budget applies as before.
FixedDeadline = Callable[["Appeal", dt.datetime, "Clock"], "dt.datetime | None"]
FIXED_DEADLINES: list[FixedDeadline] = []


def fixed_deadline(appeal: Appeal, now: dt.datetime, clock: Clock) -> dt.datetime | None:
    for rule in FIXED_DEADLINES:
        due = rule(appeal, now, clock)
        if due is not None:
            return due
    return None


def sla_state(
    now: dt.datetime,
    *,
    due_at: dt.datetime | None,
    warn_at: dt.datetime | None,
    paused: bool = False,
) -> SlaState:
    if due_at is None:
        return SlaState.NONE
    if paused:
        return SlaState.PAUSED
    if now > due_at:
        return SlaState.OVERDUE
    if warn_at is not None and now >= warn_at:
        return SlaState.DUE_SOON
    return SlaState.NORMAL
