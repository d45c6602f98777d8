"""The bulk path for historical appeals: stored in their final state with a faithful audit trail.

An appeal exported from an earlier 12345 system arrives already answered (or closed).
We do not invent a different history: each appeal walks the main path of the state
machine, NEW → REGISTERED → PENDING_DISPATCH → DISPATCHED → IN_PROGRESS → REPLIED →
PENDING_CALLBACK → CLOSED, as far as its final state, through ``machine.find`` and the
same guards and effect implementations as a live action. One audit row per step, dated
when the step happened, so ``replay_state(appeal) == appeal.status`` holds and the SLA
stamps (deadlines, on-time close) are computed exactly as for live appeals.

Only one guard is trusted rather than checked: ``satisfied`` on the final close, when
the old system closed the appeal without recording a rating (we never make one up).
No notifications are sent and no webhooks fire: bulk_create sends no signals.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from minyi.appeals.models import Appeal, DailyCounter
from minyi.appeals.services import IntakeData, _build
from minyi.workflow import machine
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI, WorkingCalendar
from minyi.workflow.effects import IMPLEMENTATIONS, EffectInput, payload_of
from minyi.workflow.machine import Context, Event, State, TransitionError
from minyi.workflow.models import AuditEvent
from minyi.workflow.sla import Clock, SlaRules

MAIN_PATH: tuple[Event, ...] = (
    Event.REGISTER,
    Event.ACCEPT,
    Event.DISPATCH,
    Event.CLAIM,
    Event.REPLY,
    Event.APPROVE_REPLY,
    Event.CLOSE,
)

# The final states a historical appeal may have, and how many steps of MAIN_PATH reach each.
REACHABLE: dict[State, int] = {}
_state = State.NEW
for _i, _event in enumerate(MAIN_PATH, start=1):
    _state = machine.find(_state, _event).target
    REACHABLE[_state] = _i

# Guards that held in the old system but that its export cannot show.
TRUSTED_WHEN_UNKNOWN = {"satisfied": lambda h: h.satisfaction is None}


@dataclass
class HistoricalAppeal:
    """One appeal as an earlier system left it."""

    data: IntakeData
    created_at: dt.datetime
    final: State
    department_id: int | None = None
    reply: str = ""
    replied_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    satisfaction: int | None = None
    resolved: bool | None = None

    def when(self, event: Event) -> dt.datetime:
        if event in (Event.REPLY, Event.APPROVE_REPLY):
            return self.replied_at or self.created_at
        if event is Event.CLOSE:
            return self.closed_at or self.replied_at or self.created_at
        return self.created_at


def path_to(final: State) -> tuple[Event, ...]:
    """The events of the main path that lead from NEW to ``final``."""
    if final not in REACHABLE:
        raise TransitionError(f"历史诉求的最终状态不能是“{machine.STATE_LABELS[final]}”", code="not_on_main_path")
    return MAIN_PATH[: REACHABLE[final]]


def check(item: HistoricalAppeal) -> None:
    """Raise TransitionError if the item cannot walk to its final state (e.g. no department)."""
    _walk(item, apply_to=None)


class _MemoCalendar(WorkingCalendar):
    """The working calendar with each day's answer remembered: an import asks about the same days often."""

    def __init__(self, base: WorkingCalendar) -> None:
        super().__init__(base.overrides, base.tz)
        self._known: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = super().is_workday(day)
        return known


_memo: tuple[WorkingCalendar, _MemoCalendar] | None = None


def _memo_calendar() -> _MemoCalendar:
    """One memo per working calendar (which is itself re-read at most once a minute), shared by batches."""
    global _memo
    base = wf.get_calendar()
    if _memo is None or _memo[0] is not base:
        _memo = (base, _MemoCalendar(base))
    return _memo[1]


def _walk(
    item: HistoricalAppeal, apply_to: Appeal | None, clock: Clock | None = None, rules: SlaRules | None = None
) -> list[tuple[machine.Transition, dict[str, Any], dt.datetime]]:
    state = State.NEW
    steps: list[tuple[machine.Transition, dict[str, Any], dt.datetime]] = []
    ctx = Context(
        kind=item.data.kind,
        department_id=item.department_id,
        reply=item.reply,
        satisfaction=item.satisfaction,
    )
    for event in path_to(item.final):
        transition = machine.find(state, event)
        failed = [g for g in machine.failed_guards(transition, ctx) if not (g.name in TRUSTED_WHEN_UNKNOWN and TRUSTED_WHEN_UNKNOWN[g.name](item))]
        if failed:
            raise TransitionError("；".join(g.message for g in failed), code=failed[0].name)
        at = item.when(event)
        payload: dict[str, Any] = {}
        if apply_to is not None and clock is not None and rules is not None:
            effect_input = EffectInput(
                now=at,
                clock=clock,
                rules=rules,
                department_id=item.department_id if event is Event.DISPATCH else None,
                category_id=item.data.category.pk if event is Event.DISPATCH and item.data.category is not None else None,
                reply=item.reply if event is Event.REPLY else "",
                satisfaction=item.satisfaction if event is Event.CLOSE else None,
                resolved=item.resolved if event is Event.CLOSE else None,
            )
            for name in transition.effects:
                IMPLEMENTATIONS[name](apply_to, effect_input)  # notices are collected and dropped
            payload = payload_of(effect_input)
            payload.pop("reply", None)  # the reply text is on the appeal; keep audit rows small
            if event is Event.REGISTER:
                payload["channel_id"] = item.data.channel.pk
            payload["historical"] = True
        steps.append((transition, payload, at))
        state = transition.target
    if apply_to is not None:
        apply_to.status = state
    return steps


def _allocate(days: list[dt.date]) -> list[str]:
    """Reserve one appeal number on each given day, in a few statements whatever the number of days.

    Same counters as ``allocate_numbers``: the rows are locked until commit, so live
    intake on the same day queues behind the import instead of reusing a number.
    """
    wanted: dict[dt.date, list[int]] = defaultdict(list)
    for index, day in enumerate(days):
        wanted[day].append(index)
    DailyCounter.objects.bulk_create([DailyCounter(day=day) for day in wanted], ignore_conflicts=True)
    counters = list(DailyCounter.objects.select_for_update().filter(day__in=list(wanted)).order_by("day"))
    numbers = [""] * len(days)
    for counter in counters:
        indexes = wanted[counter.day]
        for offset, index in enumerate(indexes, start=counter.last + 1):
            numbers[index] = f"{counter.day:%Y%m%d}-{offset:06d}"
        counter.last += len(indexes)
    DailyCounter.objects.bulk_create(counters, update_conflicts=True, unique_fields=["day"], update_fields=["last"], batch_size=500)
    return numbers


def import_history(items: Sequence[HistoricalAppeal], *, by: Any, checked: bool = False) -> list[Appeal]:
    """Store historical appeals in their final states in one transaction, with their audit rows.

    Numbers follow the day each appeal was registered (``20190425-000001``). Raises
    ValidationError or TransitionError, before writing anything, if any item is invalid
    (``checked=True``: the caller already ran ``clean()`` and ``check()`` on every item).
    """
    if not items:
        return []
    actor = wf.Actor.of(by)
    if not checked:
        for item in items:
            item.data.clean()
            check(item)
    clock, rules = Clock(_memo_calendar()), wf.get_rules()
    with transaction.atomic():
        numbers = _allocate([item.created_at.astimezone(SHANGHAI).date() for item in items])
        appeals: list[Appeal] = []
        trails: list[list[tuple[machine.Transition, dict[str, Any], dt.datetime]]] = []
        for item, number in zip(items, numbers, strict=True):
            appeal = _build(item.data, number, item.created_at, actor.user_id, None)
            trails.append(_walk(item, apply_to=appeal, clock=clock, rules=rules))
            appeals.append(appeal)
        if connection.vendor == "postgresql":
            _copy_appeals(appeals)
        else:
            Appeal.objects.bulk_create(appeals, batch_size=1000)
        if appeals[0].pk is None:  # COPY, or backends without RETURNING: read the ids back
            ids = dict(Appeal.objects.filter(number__in=numbers).values_list("number", "pk"))
            for appeal in appeals:
                appeal.pk = ids[appeal.number]
        audit = [
            (appeal.pk, at, actor.user_id, actor.label, t.event.value, t.source.value, t.target.value, "历史数据导入" if i == 0 else "", payload)
            for appeal, trail in zip(appeals, trails, strict=True)
            for i, (t, payload, at) in enumerate(trail)
        ]
        insert_rows(AuditEvent._meta.db_table, AUDIT_COLUMNS, audit)
    return appeals


AUDIT_COLUMNS = ("appeal_id", "at", "actor_id", "actor_label", "event", "from_state", "to_state", "reason", "payload")


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL COPY: several times faster than INSERT for imports (ids are not returned)."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain rows without building model instances: COPY on PostgreSQL, executemany elsewhere.

    Values are ints, strings, None, aware datetimes and dicts (JSON columns); they are
    adapted the way Django's fields would adapt them for the backend.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        copy_rows(table, columns, ([Jsonb(v) if isinstance(v, dict) else v for v in row] for row in rows))
        return
    ops = connection.ops

    def adapt(value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, dt.datetime):
            return ops.adapt_datetimefield_value(value)
        return value

    quote = ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 - quoted model names; values are parameters
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, [[adapt(v) for v in row] for row in rows[start : start + 2000]])


def _copy_appeals(appeals: list[Appeal]) -> None:
    """COPY appeals; plain values go as they are, JSON and auto_now stamps as bulk_create would store them."""
    fields = [f for f in Appeal._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    stamped = [f.attname for f in fields if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)]
    stamp = timezone.now()

    # Fields that transform their value on the way in (SM4 phones, blind indexes) go through Django's own
    # preparation, as bulk_create would do: COPY must never store a plaintext phone.
    from minyi.core.crypto import BlindIndexField, EncryptedCharField

    prepared = [i for i, f in enumerate(fields) if isinstance(f, (EncryptedCharField, BlindIndexField))]

    def row(appeal: Appeal) -> list[Any]:
        for name in stamped:
            setattr(appeal, name, stamp)
        values = [getattr(appeal, name) for name in names]
        for i in prepared:
            values[i] = fields[i].get_db_prep_save(fields[i].pre_save(appeal, True), connection)
        for i in json_at:
            values[i] = Jsonb(values[i])
        return values

    copy_rows(Appeal._meta.db_table, [f.column for f in fields], (row(a) for a in appeals))


__all__ = ["MAIN_PATH", "HistoricalAppeal", "check", "copy_rows", "import_history", "insert_rows", "path_to"]
