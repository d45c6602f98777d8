"""The KPI engine: pure formulas over a counts record.

The same :class:`Counts` is filled from a live query over appeals
(:func:`counts_aggregates`) or summed from rollup rows, so one set of formulas serves
``minyi stats``, the cockpit, rankings and bulletins.

| key | 名称 | numerator | denominator |
| --- | --- | --- | --- |
| response | 响应率 | claimed within the claim limit (claimed_at <= claim_due_at) | dispatched |
| resolution | 解决率 | resolved=True | called back (resolved not null) |
| satisfaction | 满意率 | rating levels weighted (5,4→1.0; 3→0.8; 2,1→0) | rated (satisfaction not null) |
| on_time | 按时办结率 | closed_on_time=True | closed with a due date (closed_on_time not null) |
| return | 退单率 | appeals with return_count>0 | dispatched |
| reopen | 重办率 | appeals with reopen_count>0 | rated |
| bad_rating_callback | 差评整改回访率 | bad_rating_callback_at not null | bad_rating_at not null |

A rate with nothing to count is ``None``, never a made-up 100%.

Settings (all optional), ``MINYI_KPI = {...}``:

- ``satisfaction_weights``: ``{5: 1.0, 4: 1.0, 3: 0.8, 2: 0.0, 1: 0.0}``
- ``rates``: override a formula, ``{"response": ["claimed_on_time", "dispatched"]}``;
  the numerator may be ``"satisfaction_points"`` (the weighted ratings)
- ``targets``: ``{"response": 0.98, "resolution": 0.8, "satisfaction": 0.9, ...}``
- ``composite_weights``: weights of the 处办质效 composite score; rates in
  ``LOWER_IS_BETTER`` enter as ``1 - rate``
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q

RATE_KEYS = ("response", "resolution", "satisfaction", "on_time", "return", "reopen", "bad_rating_callback")

RATE_LABELS: Mapping[str, str] = {
    "response": "响应率",
    "resolution": "解决率",
    "satisfaction": "满意率",
    "on_time": "按时办结率",
    "return": "退单率",
    "reopen": "重办率",
    "bad_rating_callback": "差评整改回访率",
}

LOWER_IS_BETTER = frozenset({"return", "reopen"})

DEFAULT_FORMULAS: Mapping[str, tuple[str, str]] = {
    "response": ("claimed_on_time", "dispatched"),
    "resolution": ("resolved", "called_back"),
    "satisfaction": ("satisfaction_points", "rated"),
    "on_time": ("closed_on_time", "closed_with_due"),
    "return": ("returned", "dispatched"),
    "reopen": ("reopened", "rated"),
    "bad_rating_callback": ("bad_rating_called_back", "bad_rated"),
}

DEFAULT_SATISFACTION_WEIGHTS: Mapping[int, float] = {5: 1.0, 4: 1.0, 3: 0.8, 2: 0.0, 1: 0.0}

DEFAULT_TARGETS: Mapping[str, float] = {
    "response": 0.98,
    "resolution": 0.80,
    "satisfaction": 0.90,
    "on_time": 0.95,
    "return": 0.05,
    "reopen": 0.05,
    "bad_rating_callback": 1.0,
}

DEFAULT_COMPOSITE_WEIGHTS: Mapping[str, float] = {
    "response": 0.2,
    "resolution": 0.3,
    "satisfaction": 0.3,
    "on_time": 0.1,
    "return": 0.05,
    "reopen": 0.05,
}


@dataclass(frozen=True)
class Counts:
    """Everything the formulas need; adding two Counts adds every field."""

    created: int = 0  # 受理
    dispatched: int = 0  # 交办 (dispatched_at not null)
    claimed_on_time: int = 0
    closed: int = 0  # 办结
    open: int = 0  # 在办
    overdue: int = 0  # 超期 (open and past the reply limit)
    rated: int = 0
    sat_1: int = 0
    sat_2: int = 0
    sat_3: int = 0
    sat_4: int = 0
    sat_5: int = 0
    called_back: int = 0
    resolved: int = 0
    closed_with_due: int = 0
    closed_on_time: int = 0
    returned: int = 0
    reopened: int = 0
    bad_rated: int = 0
    bad_rating_called_back: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self)})

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Counts:
        return cls(**{f.name: int(row.get(f.name) or 0) for f in dataclasses.fields(cls)})

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


COUNT_FIELDS = tuple(f.name for f in dataclasses.fields(Counts))


def total(rows: Iterable[Counts]) -> Counts:
    acc = Counts()
    for row in rows:
        acc = acc + row
    return acc


def _config() -> Mapping[str, Any]:
    return getattr(settings, "MINYI_KPI", {}) or {}


def satisfaction_weights() -> dict[int, float]:
    weights = dict(DEFAULT_SATISFACTION_WEIGHTS)
    weights.update({int(k): float(v) for k, v in _config().get("satisfaction_weights", {}).items()})
    return weights


def formulas() -> dict[str, tuple[str, str]]:
    result = dict(DEFAULT_FORMULAS)
    for key, (num, den) in _config().get("rates", {}).items():
        result[key] = (num, den)
    return result


def targets() -> dict[str, float]:
    return {**DEFAULT_TARGETS, **_config().get("targets", {})}


def composite_weights() -> dict[str, float]:
    return {**DEFAULT_COMPOSITE_WEIGHTS, **_config().get("composite_weights", {})}


def _value(c: Counts, name: str) -> float:
    if name == "satisfaction_points":
        w = satisfaction_weights()
        return float(sum(w.get(level, 0.0) * int(getattr(c, f"sat_{level}")) for level in range(1, 6)))
    return float(getattr(c, name))


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def rate(c: Counts, key: str) -> float | None:
    num, den = formulas()[key]
    return ratio(_value(c, num), _value(c, den))


def rates(c: Counts) -> dict[str, float | None]:
    """Every rate of :data:`RATE_KEYS` (plus configured extra formulas)."""
    return {key: rate(c, key) for key in formulas()}


def composite(r: Mapping[str, float | None], weights: Mapping[str, float] | None = None) -> float | None:
    """处办质效 composite score, 0–100: weighted mean of the available rates.

    Rates that are ``None`` drop out and the remaining weights are renormalised, so a
    department with no ratings yet is scored on what it has. ``None`` if nothing counts.
    """
    weights = composite_weights() if weights is None else weights
    acc = 0.0
    weight_sum = 0.0
    for key, w in weights.items():
        value = r.get(key)
        if value is None or w <= 0:
            continue
        acc += w * ((1.0 - value) if key in LOWER_IS_BETTER else value)
        weight_sum += w
    return round(100.0 * acc / weight_sum, 2) if weight_sum else None


def counts_aggregates(now: Any = None) -> dict[str, Any]:
    """Aggregate expressions over ``Appeal`` that fill a :class:`Counts` in one query."""
    from minyi.workflow.machine import OPEN_STATES, State

    open_states = [s.value for s in OPEN_STATES]
    answered = [State.REPLIED.value, State.PENDING_CALLBACK.value]
    aggs: dict[str, Any] = {
        "created": Count("id"),
        "dispatched": Count("id", filter=Q(dispatched_at__isnull=False)),
        "claimed_on_time": Count("id", filter=Q(claimed_at__isnull=False, claim_due_at__isnull=False, claimed_at__lte=F("claim_due_at"))),
        "closed": Count("id", filter=Q(status=State.CLOSED.value)),
        "open": Count("id", filter=Q(status__in=open_states)),
        "rated": Count("id", filter=Q(satisfaction__isnull=False)),
        "called_back": Count("id", filter=Q(resolved__isnull=False)),
        "resolved": Count("id", filter=Q(resolved=True)),
        "closed_with_due": Count("id", filter=Q(closed_on_time__isnull=False)),
        "closed_on_time": Count("id", filter=Q(closed_on_time=True)),
        "returned": Count("id", filter=Q(return_count__gt=0)),
        "reopened": Count("id", filter=Q(reopen_count__gt=0)),
        "bad_rated": Count("id", filter=Q(bad_rating_at__isnull=False)),
        "bad_rating_called_back": Count("id", filter=Q(bad_rating_at__isnull=False, bad_rating_callback_at__isnull=False)),
    }
    for level in range(1, 6):
        aggs[f"sat_{level}"] = Count("id", filter=Q(satisfaction=level))
    overdue = Q(sla_flag="overdue")
    if now is not None:
        overdue |= Q(reply_due_at__lt=now, paused_at__isnull=True)
    aggs["overdue"] = Count("id", filter=overdue & Q(status__in=open_states) & ~Q(status__in=answered))
    return aggs
