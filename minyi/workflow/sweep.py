"""The SLA sweep: mark appeals 临期/超期 and climb the escalation ladder, set-based.

Every pass is one ``UPDATE … WHERE <condition> RETURNING`` over indexed columns; the
rows it returns get one audit row each, inserted in bulk (on PostgreSQL in the same
statement). A pass only touches rows whose flag or level is not yet what it should
be, so running the sweep twice changes nothing the second time.

Ladder (thresholds in ``settings.MINYI_ESCALATION``, measured from the reply deadline):

| level | event | default | who hears |
| --- | --- | --- | --- |
| 1 催办 | ``urge`` | as soon as overdue (``"0wd"``) | the department |
| 2 督办 | ``supervise`` | overdue by 2 working days | the department (its head answers in writing) |
| 3 挂牌督办 | ``list_supervise`` | overdue by 5 working days | the department and the leaders; listed on the cockpit |

An appeal first seen far past its deadline climbs all due steps in one run, with one
audit row per step.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from minyi.workflow.machine import EVENT_LABELS, SLA_STATES, Event
from minyi.workflow.models import AuditEvent
from minyi.workflow.sla import Clock

SYSTEM_LABEL = "系统（时限巡检）"
DUE_SOON_EVENT = "sla_due_soon"  # not machine events: replay ignores them
OVERDUE_EVENT = "sla_overdue"

LADDER: tuple[tuple[int, Event], ...] = ((1, Event.URGE), (2, Event.SUPERVISE), (3, Event.LIST_SUPERVISE))
ESCALATION_LABELS: Mapping[int, str] = {0: "", 1: "催办", 2: "督办", 3: "挂牌督办"}
DEFAULT_ESCALATION: dict[str, str] = {"urge": "0wd", "supervise": "2wd", "list_supervise": "5wd"}

_OFFSET_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|h)\s*$")


@dataclass(frozen=True)
class Offset:
    """How long past the reply deadline a step waits: working days or clock hours; 0 is allowed."""

    amount: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> Offset:
        match = _OFFSET_RE.match(str(text))
        if not match:
            raise ValueError(f"invalid escalation threshold {text!r}: write e.g. '2wd' or '12h'")
        return cls(float(match.group(1)), match.group(2))

    def cutoff(self, now: dt.datetime, clock: Clock) -> dt.datetime:
        """Appeals whose deadline is at or before this moment are at least this far overdue."""
        if self.unit == "wd":
            return clock.calendar.sub_working_time(now, dt.timedelta(days=self.amount))
        return now - dt.timedelta(hours=self.amount)

    def label(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}个工作日" if self.unit == "wd" else f"{amount}小时"


def escalation_rules() -> dict[int, Offset]:
    config = {**DEFAULT_ESCALATION, **getattr(settings, "MINYI_ESCALATION", {})}
    rules = {level: Offset.parse(config[event.value]) for level, event in LADDER}
    spans = [rules[level] for level, _ in LADDER]
    if any(a.unit == b.unit and a.amount > b.amount for a, b in itertools.pairwise(spans)):
        raise ValueError("MINYI_ESCALATION thresholds must not decrease along the ladder")
    return rules


@dataclass
class Changed:
    """Rows one pass changed: (appeal id, status, department id)."""

    rows: list[tuple[int, str, int | None]] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [r[0] for r in self.rows]

    def by_department(self) -> dict[int | None, list[int]]:
        result: dict[int | None, list[int]] = {}
        for appeal_id, _, dept in self.rows:
            result.setdefault(dept, []).append(appeal_id)
        return result


@dataclass
class SweepResult:
    now: dt.datetime
    due_soon: Changed = field(default_factory=Changed)
    overdue: Changed = field(default_factory=Changed)
    cleared: int = 0
    escalated: dict[int, Changed] = field(default_factory=lambda: {level: Changed() for level, _ in LADDER})
    # Counts of what callers add to the sweep (accountability's 催签 and 回访超期 reminders).
    reminders: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "due_soon": len(self.due_soon.rows),
            "overdue": len(self.overdue.rows),
            "cleared": self.cleared,
            "urge": len(self.escalated[1].rows),
            "supervise": len(self.escalated[2].rows),
            "list_supervise": len(self.escalated[3].rows),
            **self.reminders,
        }

    def changed_anything(self) -> bool:
        s = self.summary()
        return any(v for k, v in s.items() if k != "now")


def _base() -> Q:
    return Q(status__in=[s.value for s in SLA_STATES], paused_at__isnull=True, reply_due_at__isnull=False)


def _update_returning(condition: Q, assignments: Mapping[str, Any], audit: tuple[str, str] | None, now: dt.datetime) -> Changed:
    """UPDATE appeals matching ``condition`` and return what changed; with ``audit`` = (event, reason),
    write one audit row per changed appeal (from_state = to_state: no status changes here)."""
    from minyi.appeals.models import Appeal

    inner = Appeal.objects.filter(condition).order_by().values("id")
    inner_sql, inner_params = inner.query.sql_with_params()
    table = Appeal._meta.db_table
    qn = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value(now)
    sets = ", ".join(f"{qn(col)} = %s" for col in [*assignments, "updated_at"])
    set_params = [*assignments.values(), at]
    update = f"UPDATE {qn(table)} SET {sets} WHERE {qn('id')} IN ({inner_sql}) RETURNING id, status, department_id"  # noqa: S608
    params = [*set_params, *inner_params]
    with connection.cursor() as cursor:
        if audit is not None and connection.vendor == "postgresql":
            event, reason = audit
            audit_table = qn(AuditEvent._meta.db_table)
            sql = (
                f"WITH changed AS ({update}), "  # noqa: S608
                f"ins AS (INSERT INTO {audit_table} (appeal_id, at, actor_id, actor_label, event, from_state, to_state, reason, payload) "
                "SELECT id, %s, NULL, %s, %s, status, status, %s, %s::jsonb FROM changed) "
                "SELECT id, status, department_id FROM changed"
            )
            cursor.execute(sql, [*params, at, SYSTEM_LABEL, event, reason, json.dumps({"by": "sla_sweep"})])
            return Changed([(r[0], r[1], r[2]) for r in cursor.fetchall()])
        cursor.execute(update, params)
        changed = Changed([(r[0], r[1], r[2]) for r in cursor.fetchall()])
    if audit is not None and changed.rows:
        event, reason = audit
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    appeal_id=appeal_id,
                    at=now,
                    actor_id=None,
                    actor_label=SYSTEM_LABEL,
                    event=event,
                    from_state=status,
                    to_state=status,
                    reason=reason,
                    payload={"by": "sla_sweep"},
                )
                for appeal_id, status, _ in changed.rows
            ],
            batch_size=2000,
        )
    return changed


def _reason(level: int, offset: Offset) -> str:
    event = LADDER[level - 1][1]
    if offset.amount:
        return f"超过答复时限{offset.label()}以上，系统自动{EVENT_LABELS[event]}"
    return f"已超过答复时限，系统自动{EVENT_LABELS[event]}"


_PG_SWEEP = """
WITH cand AS (
    SELECT id, status, department_id, sla_flag AS old_flag, escalation_level AS old_level,
           CASE WHEN reply_due_at < %(now)s THEN 'overdue' ELSE 'due_soon' END AS new_flag,
           CASE WHEN reply_due_at < %(now)s AND reply_due_at <= %(c3)s THEN 3
                WHEN reply_due_at < %(now)s AND reply_due_at <= %(c2)s THEN 2
                WHEN reply_due_at < %(now)s AND reply_due_at <= %(c1)s THEN 1
                ELSE 0 END AS lvl
    FROM {appeal}
    WHERE status = ANY(%(states)s) AND paused_at IS NULL AND reply_due_at IS NOT NULL
      AND (reply_due_at < %(now)s OR reply_warn_at <= %(now)s)
), tgt AS (
    SELECT id, status, department_id, old_flag, new_flag, old_level, GREATEST(old_level, lvl) AS new_level
    FROM cand WHERE new_flag <> old_flag OR lvl > old_level
), upd AS (
    UPDATE {appeal} a
    SET sla_flag = t.new_flag, escalation_level = t.new_level, updated_at = %(now)s,
        escalated_at = CASE WHEN t.new_level > t.old_level THEN %(now)s ELSE a.escalated_at END
    FROM tgt t WHERE a.id = t.id
), steps AS (
    SELECT t.id, 0 AS seq, CASE WHEN t.new_flag = 'overdue' THEN %(ev_overdue)s ELSE %(ev_due_soon)s END AS event,
           CASE WHEN t.new_flag = 'overdue' THEN %(r_overdue)s ELSE %(r_due_soon)s END AS reason, t.status
    FROM tgt t WHERE t.new_flag <> t.old_flag
    UNION ALL
    SELECT t.id, l.level, l.event, l.reason, t.status
    FROM tgt t JOIN (VALUES (1, %(ev1)s, %(r1)s), (2, %(ev2)s, %(r2)s), (3, %(ev3)s, %(r3)s)) AS l(level, event, reason)
      ON l.level > t.old_level AND l.level <= t.new_level
), ins AS (
    INSERT INTO {audit} (appeal_id, at, actor_id, actor_label, event, from_state, to_state, reason, payload)
    SELECT id, %(now)s, NULL, %(label)s, event, status, status, reason, %(payload)s::jsonb FROM steps ORDER BY id, seq
)
SELECT id, status, department_id, old_flag, new_flag, old_level, new_level FROM tgt
"""


def _sweep_postgresql(result: SweepResult, now: dt.datetime, cutoffs: dict[int, dt.datetime], rules: dict[int, Offset]) -> None:
    """The whole sweep of flagged rows as one statement: each appeal row is written at most once."""
    from minyi.appeals.models import Appeal

    qn = connection.ops.quote_name
    sql = _PG_SWEEP.format(appeal=qn(Appeal._meta.db_table), audit=qn(AuditEvent._meta.db_table))
    params: dict[str, Any] = {
        "now": now,
        "c1": cutoffs[1],
        "c2": cutoffs[2],
        "c3": cutoffs[3],
        "states": sorted(s.value for s in SLA_STATES),
        "ev_overdue": OVERDUE_EVENT,
        "ev_due_soon": DUE_SOON_EVENT,
        "r_overdue": "已超过答复时限",
        "r_due_soon": "即将到达答复时限",
        "label": SYSTEM_LABEL,
        "payload": json.dumps({"by": "sla_sweep"}),
    }
    for level, event in LADDER:
        params[f"ev{level}"] = event.value
        params[f"r{level}"] = _reason(level, rules[level])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for appeal_id, status, dept, old_flag, new_flag, old_level, new_level in rows:
        row = (appeal_id, status, dept)
        if new_flag != old_flag:
            (result.overdue if new_flag == "overdue" else result.due_soon).rows.append(row)
        for level in range(old_level + 1, new_level + 1):
            result.escalated[level].rows.append(row)


def sweep(now: dt.datetime | None = None, *, clock: Clock | None = None) -> SweepResult:
    """Run every pass once, in one transaction. Idempotent for a given ``now``."""
    from minyi.workflow.services import get_clock

    now = now or timezone.now()
    clock = clock or get_clock()
    rules = escalation_rules()
    cutoffs = {level: rules[level].cutoff(now, clock) for level, _ in LADDER}
    result = SweepResult(now)
    base = _base()
    overdue = base & Q(reply_due_at__lt=now)
    due_soon = base & Q(reply_due_at__gte=now, reply_warn_at__lte=now)
    stale = (Q(sla_flag="overdue") & ~overdue) | (Q(sla_flag="due_soon") & ~due_soon)
    if connection.vendor == "postgresql":
        with transaction.atomic():
            _sweep_postgresql(result, now, cutoffs, rules)
            result.cleared = len(_update_returning(stale, {"sla_flag": ""}, None, now).rows)
        return result
    with transaction.atomic():
        result.overdue = _update_returning(
            overdue & ~Q(sla_flag="overdue"), {"sla_flag": "overdue"}, (OVERDUE_EVENT, "已超过答复时限"), now
        )
        result.due_soon = _update_returning(
            due_soon & ~Q(sla_flag="due_soon"), {"sla_flag": "due_soon"}, (DUE_SOON_EVENT, "即将到达答复时限"), now
        )
        result.cleared = len(_update_returning(stale, {"sla_flag": ""}, None, now).rows)
        at = connection.ops.adapt_datetimefield_value(now)
        for level, event in LADDER:
            deadline = Q(reply_due_at__lt=now) & Q(reply_due_at__lte=cutoffs[level])
            result.escalated[level] = _update_returning(
                base & deadline & Q(escalation_level__lt=level),
                {"escalation_level": level, "escalated_at": at},
                (event.value, _reason(level, rules[level])),
                now,
            )
    return result


def pending_counts(now: dt.datetime | None = None) -> dict[str, int]:
    """What a sweep at ``now`` would change, without changing it (for ``minyi sla sweep --dry-run``)."""
    from minyi.appeals.models import Appeal

    now = now or timezone.now()
    base = _base()
    return {
        "overdue": Appeal.objects.filter(base & Q(reply_due_at__lt=now) & ~Q(sla_flag="overdue")).count(),
        "due_soon": Appeal.objects.filter(base & Q(reply_due_at__gte=now, reply_warn_at__lte=now) & ~Q(sla_flag="due_soon")).count(),
    }


def chunks(ids: Sequence[int], size: int = 1000) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
