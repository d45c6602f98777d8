"""智能派单质量: how the AI dispatch's suggestions fare on live appeals (read-only).

The offline figures (macro-F1, coverage at precision 0.98) come from a benchmark. Here the
same questions are asked of the appeals a district actually registered in a period:

* **suggested**: appeals whose stored suggestion (``appeal.triage``) names at least one department;
* **coverage**: the share of those whose suggestion was confident (``auto_dispatch``: certainty at
  or above the model's threshold, and a department to send it to);
* **agreement**: the top-1 suggested department against the department the appeal was *first*
  dispatched to, and against its *final* department (after 转派 and accepted 退单); top-3 likewise;
* **precision of the confident set**: final agreement among confident suggestions, with a Wilson
  95 % interval, against the model's target precision;
* **live error rate of automatic dispatch**: of the appeals the system dispatched itself, the share
  later corrected (转派, or a 退单 a dispatcher accepted).

Everything comes from the audit trail, the one record of routing (``workflow.models.AuditEvent``):
the first ``dispatch`` row is the first dispatch (its actor is empty when the system dispatched);
the last of the ``dispatch``/``redispatch``/``approve_return`` rows decides the final department,
which is unknown while an accepted return waits for a new dispatch. A 退单 still under review and a
rejected one change nothing. See docs/triage-quality.md.

Cost: three queries, none of them per appeal. A ``COUNT`` of the period's appeals on the
``created_at`` index; the suggested appeals of the period, streamed by id (``.iterator()``, eight
small columns a row, the JSON picked apart by the database); and their routing rows, read from the
audit table's ``(event, at)`` index and streamed by appeal. The two streams are merged in Python in
constant memory, one pass. Measured in docs/triage-quality.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, BooleanField, Case, Count, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from minyi.appeals.models import Appeal
from minyi.core.context import TRIAGE_QUALITY_ROLES
from minyi.directory.models import Category
from minyi.triage import integration
from minyi.triage.models import TrainingExample
from minyi.workflow.machine import Event
from minyi.workflow.models import AuditEvent

QUALITY_ROLES = TRIAGE_QUALITY_ROLES  # supervisors, leaders, admins
PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
DEFAULT_TARGET_PRECISION = 0.98  # ``model.fit_model``'s default, used when no model is installed
Z95 = 1.959963984540054
CHUNK = 5000

ROUTING_EVENTS = (Event.DISPATCH.value, Event.REDISPATCH.value, Event.APPROVE_RETURN.value)
CORRECTION_EVENTS = (Event.REDISPATCH.value, Event.APPROVE_RETURN.value)


def wilson_interval(hits: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion; None without observations."""
    if n <= 0:
        return None
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``n``, with its value and Wilson 95 % interval (None when ``n`` is 0)."""

    hits: int = 0
    n: int = 0

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.hits, self.n)

    def as_dict(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "hits": self.hits,
            "n": self.n,
            "value": _round(self.value),
            "low": _round(interval[0]) if interval else None,
            "high": _round(interval[1]) if interval else None,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


class _Outcome(NamedTuple):
    """What happened to one suggested appeal. Hashable: identical outcomes are counted together,
    so a period of 100,000 appeals comes down to a few hundred distinct (model, category, outcome) keys."""

    confident: bool
    dispatched: bool = False  # went through a dispatch (imports that arrive dispatched do not count)
    first_agree: bool = False
    first_top3: bool = False
    final_known: bool = False  # False while an accepted 退单 waits for a new dispatch
    final_agree: bool = False
    final_top3: bool = False
    corrected: bool = False  # 转派 or accepted 退单
    auto: bool = False  # the first dispatch was the system's
    category_known: bool = False
    category_agree: bool = False


@dataclass
class _Tally:
    """Counters for one slice (the whole period, one model, one suggested category)."""

    appeals: int = 0
    suggested: int = 0
    confident: int = 0
    dispatched: int = 0
    first_agree: int = 0
    first_top3: int = 0
    final_known: int = 0
    final_agree: int = 0
    final_top3: int = 0
    corrected: int = 0
    awaiting_redispatch: int = 0
    confident_final_known: int = 0
    confident_final_agree: int = 0
    confident_first_known: int = 0
    confident_first_agree: int = 0
    auto_dispatched: int = 0
    auto_corrected: int = 0
    category_known: int = 0
    category_agree: int = 0

    def add(self, o: _Outcome, n: int) -> None:
        self.suggested += n
        self.confident += n * o.confident
        if not o.dispatched:
            return
        self.dispatched += n
        self.first_agree += n * o.first_agree
        self.first_top3 += n * o.first_top3
        self.corrected += n * o.corrected
        self.awaiting_redispatch += n * (not o.final_known)
        self.final_known += n * o.final_known
        self.final_agree += n * o.final_agree
        self.final_top3 += n * o.final_top3
        if o.confident:
            self.confident_first_known += n
            self.confident_first_agree += n * o.first_agree
            self.confident_final_known += n * o.final_known
            self.confident_final_agree += n * o.final_agree
        if o.auto:
            self.auto_dispatched += n
            self.auto_corrected += n * o.corrected
        self.category_known += n * o.category_known
        self.category_agree += n * o.category_agree

    def as_dict(self) -> dict[str, Any]:
        return {
            "appeals": self.appeals,
            "suggested": self.suggested,
            "dispatched": self.dispatched,
            "coverage": Rate(self.confident, self.suggested).as_dict(),
            "agreement_first": Rate(self.first_agree, self.dispatched).as_dict(),
            "agreement_final": Rate(self.final_agree, self.final_known).as_dict(),
            "top3_first": Rate(self.first_top3, self.dispatched).as_dict(),
            "top3_final": Rate(self.final_top3, self.final_known).as_dict(),
            "confident_precision": Rate(self.confident_final_agree, self.confident_final_known).as_dict(),
            "confident_agreement_first": Rate(self.confident_first_agree, self.confident_first_known).as_dict(),
            "corrected": Rate(self.corrected, self.dispatched).as_dict(),
            "awaiting_redispatch": self.awaiting_redispatch,
            "auto_dispatched": self.auto_dispatched,
            "auto_corrected": Rate(self.auto_corrected, self.auto_dispatched).as_dict(),
            "category_agreement": Rate(self.category_agree, self.category_known).as_dict(),
        }


@dataclass
class QualityReport:
    """What ``/triage/quality`` and ``minyi triage quality`` show; ``as_dict()`` is the JSON."""

    days: int
    since: dt.datetime
    until: dt.datetime
    total: _Tally
    by_category: dict[int | None, _Tally]
    by_model: dict[str | None, _Tally]
    category_labels: dict[int, tuple[str, str]]
    model: dict[str, Any] | None
    target_precision: float
    corrections_since_model: dict[str, int] = field(default_factory=dict)
    auto_dispatch_enabled: bool = False  # settings.MINYI_AUTO_DISPATCH now

    # The figures the page and the CLI lead with.
    @property
    def coverage(self) -> Rate:
        return Rate(self.total.confident, self.total.suggested)

    @property
    def agreement_first(self) -> Rate:
        return Rate(self.total.first_agree, self.total.dispatched)

    @property
    def agreement_final(self) -> Rate:
        return Rate(self.total.final_agree, self.total.final_known)

    @property
    def top3_final(self) -> Rate:
        return Rate(self.total.final_top3, self.total.final_known)

    @property
    def confident_precision(self) -> Rate:
        return Rate(self.total.confident_final_agree, self.total.confident_final_known)

    @property
    def auto_corrected(self) -> Rate:
        return Rate(self.total.auto_corrected, self.total.auto_dispatched)

    @property
    def precision_alarm(self) -> bool:
        """True when even the upper Wilson bound of the live precision is below the target:
        automatic dispatch is then sending more appeals to the wrong department than the model promised."""
        interval = self.confident_precision.interval
        return interval is not None and interval[1] < self.target_precision

    def category_rows(self) -> list[dict[str, Any]]:
        rows = []
        for cid, tally in self.by_category.items():
            code, label = self.category_labels.get(cid, ("", "")) if cid is not None else ("", "")
            rows.append({"category_id": cid, "code": code, "label": label or code or "—", **tally.as_dict()})
        return sorted(rows, key=lambda r: (-r["suggested"], r["code"]))

    def model_rows(self) -> list[dict[str, Any]]:
        serving = self.model["trained_at"] if self.model else None
        rows = [{"trained_at": m, "serving": m is not None and m == serving, **t.as_dict()} for m, t in self.by_model.items() if m is not None]
        return sorted(rows, key=lambda r: r["trained_at"], reverse=True)

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            **self.total.as_dict(),
            "target_precision": self.target_precision,
            "precision_alarm": self.precision_alarm,
            "auto_dispatch_enabled": self.auto_dispatch_enabled,
            "model": self.model,
            "corrections_since_model": self.corrections_since_model,
            "by_category": self.category_rows(),
            "by_model": self.model_rows(),
        }


def period(days: int, *, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start of the local day ``days - 1`` days ago, now): today and the ``days - 1`` full days before it."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    until = timezone.localtime(now or timezone.now())
    first_day = until.date() - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min), timezone.get_current_timezone())
    return since, until


def model_info() -> dict[str, Any] | None:
    """The serving model's metadata, JSON-safe; None when no model is installed."""
    model = integration.load_model()
    if model is None:
        return None
    md = model.metadata
    metrics = md.get("metrics", {}) or {}
    validation = metrics.get("validation", {}) or {}
    return {
        "trained_at": md.get("trained_at"),
        "n_train": md.get("n_train"),
        "threshold": round(float(model.threshold), 4),
        "target_precision": md.get("target_precision"),
        "abstain_on": md.get("abstain_on", "top_probability"),
        "oof_macro_f1": metrics.get("oof_macro_f1"),
        "oof_coverage": metrics.get("oof_coverage"),
        "validation_macro_f1": validation.get("macro_f1"),
        "validation_coverage": validation.get("coverage"),
        "validation_precision": validation.get("precision_at_threshold"),
    }


def corrections_since(trained_at: str | None) -> dict[str, int]:
    """Training examples (dispatchers' decisions and corrections) stored after ``trained_at``, by source."""
    examples = TrainingExample.objects.all()
    if trained_at:
        try:
            when = dt.datetime.fromisoformat(trained_at)
        except ValueError:
            when = None
        if when is not None:
            if timezone.is_naive(when):
                when = timezone.make_aware(when, dt.UTC)
            examples = examples.filter(created_at__gt=when)
    counts = {str(source): n for source, n in examples.values_list("source").annotate(n=Count("pk")).order_by()}
    return {"total": sum(counts.values()), **{s: counts.get(s, 0) for s in TrainingExample.Source.values}}


def _int(path: str) -> Cast:
    return Cast(KT(path), BigIntegerField())


# The parts of the stored suggestion that are read: top-3 departments, top category, the model that made it.
_D1, _D2, _D3 = "triage__departments__0__id", "triage__departments__1__id", "triage__departments__2__id"
_TOP_CATEGORY, _MODEL = "triage__categories__0__id", "triage__model"


def _suggested(since: dt.datetime, until: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Appeals registered in the period whose suggestion names a department, by id, a few columns each."""
    return (
        Appeal.objects.filter(created_at__gte=since, created_at__lt=until)
        .annotate(d1=_int(_D1), d2=_int(_D2), d3=_int(_D3), top_category=_int(_TOP_CATEGORY), model_at=KT(_MODEL))
        .filter(d1__isnull=False)
        .annotate(confident=Case(When(triage__auto_dispatch=True, then=Value(True)), default=Value(False), output_field=BooleanField()))
        .order_by("pk")
        .values_list("pk", "model_at", "top_category", "category_id", "d1", "d2", "d3", "confident")
        .iterator(chunk_size=CHUNK)
    )


def _routing(since: dt.datetime, until: dt.datetime) -> Iterator[tuple[Any, ...]]:
    """Routing rows (dispatch, 转派, accepted 退单) of the appeals registered in the period, by appeal and time.

    ``at >= since`` is implied (nothing happens to an appeal before it is registered) and lets the
    database read the rows from the ``(event, at)`` index instead of probing each appeal's trail.
    """
    return (
        AuditEvent.objects.filter(event__in=ROUTING_EVENTS, at__gte=since, appeal__created_at__gte=since, appeal__created_at__lt=until)
        .order_by("appeal_id", "id")
        .values_list("appeal_id", "event", "actor_id", _int("payload__department_id"))
        .iterator(chunk_size=CHUNK)
    )


_DISPATCH, _APPROVE_RETURN = Event.DISPATCH.value, Event.APPROVE_RETURN.value


def _outcome(suggestion: tuple[Any, ...], events: list[tuple[Any, ...]]) -> _Outcome:
    """One appeal's suggestion against its routing rows (appeal_id, event, actor_id, department_id)."""
    _pk, _model, top_category, category_id, d1, d2, d3, confident = suggestion
    first = next((e for e in events if e[1] == _DISPATCH), None)
    if first is None:
        return _Outcome(bool(confident))
    last = events[-1]
    final = None if last[1] == _APPROVE_RETURN else last[3]
    tops = (d1, d2, d3)
    category_known = category_id is not None and top_category is not None
    return _Outcome(
        confident=bool(confident),
        dispatched=True,
        first_agree=first[3] == d1,
        first_top3=first[3] is not None and first[3] in tops,
        final_known=final is not None,
        final_agree=final is not None and final == d1,
        final_top3=final is not None and final in tops,
        corrected=any(e[1] in CORRECTION_EVENTS for e in events),
        auto=first[2] is None,
        category_known=category_known,
        category_agree=category_known and category_id == top_category,
    )


def _joined(suggested: Iterator[tuple[Any, ...]], routing: Iterator[tuple[Any, ...]]) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Merge the two id-ordered streams: each suggested appeal with its routing rows (constant memory)."""
    pending = next(routing, None)
    for suggestion in suggested:
        pk = suggestion[0]
        while pending is not None and pending[0] < pk:
            pending = next(routing, None)
        events = []
        while pending is not None and pending[0] == pk:
            events.append(pending)
            pending = next(routing, None)
        yield suggestion, events


def compute(days: int = DEFAULT_DAYS, *, now: dt.datetime | None = None) -> QualityReport:
    """The live quality of AI dispatch over appeals registered in the last ``days`` days."""
    since, until = period(days, now=now)
    total = _Tally(appeals=Appeal.objects.filter(created_at__gte=since, created_at__lt=until).count())
    outcomes: Counter[tuple[str | None, int | None, _Outcome]] = Counter()
    with transaction.atomic():  # one snapshot for both streams (and PostgreSQL's server-side cursors)
        if connection.vendor == "postgresql":
            # .iterator() reads through server-side cursors, which PostgreSQL plans for the first 10 % of
            # the rows (walking the whole appeal table in id order); we read them all. And the JIT
            # compiler would spend longer on these plans than running them takes.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
                cursor.execute("SET LOCAL jit = off")
        for suggestion, events in _joined(_suggested(since, until), _routing(since, until)):
            outcomes[suggestion[1], suggestion[2], _outcome(suggestion, events)] += 1
    by_category: dict[int | None, _Tally] = {}
    by_model: dict[str | None, _Tally] = {}
    for (model_at, top_category, outcome), n in outcomes.items():
        for tally in (total, by_model.setdefault(model_at, _Tally()), by_category.setdefault(top_category, _Tally())):
            tally.add(outcome, n)
    for tally in (*by_model.values(), *by_category.values()):
        tally.appeals = tally.suggested
    labels = {c.pk: (c.code, c.path()) for c in Category.objects.select_related("parent__parent").filter(pk__in=[k for k in by_category if k is not None])}
    info = model_info()
    target = float(info["target_precision"]) if info and info.get("target_precision") else DEFAULT_TARGET_PRECISION
    return QualityReport(
        days=days,
        since=since,
        until=until,
        total=total,
        by_category=by_category,
        by_model=by_model,
        category_labels=labels,
        model=info,
        target_precision=target,
        corrections_since_model=corrections_since(info["trained_at"] if info else None),
        auto_dispatch_enabled=bool(settings.MINYI_AUTO_DISPATCH),
    )


def sources_label() -> dict[str, str]:
    """Training-example sources with their Chinese names, for the page."""
    return {str(value): str(label) for value, label in TrainingExample.Source.choices}


__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "PERIODS", "QUALITY_ROLES", "QualityReport", "Rate", "compute", "corrections_since", "model_info",
           "period", "sources_label", "wilson_interval"]
