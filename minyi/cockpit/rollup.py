"""Maintaining the rollup tables: facts per appeal, sums per day and cube.

``refresh()`` is the periodic incremental job (``minyi cockpit refresh``, e.g. every
minute from cron or a systemd timer). It finds the appeals changed since the last run
through indexed columns only — new audit rows (``AuditEvent.id``), new appeals
(``Appeal.id``) and reply deadlines that passed (``Appeal.reply_due_at``) — re-derives
their facts, and recomputes the rollup rows of every day those facts touch, old and new.
Each refresh is one transaction. ``rebuild()`` (``minyi cockpit rebuild``) recomputes
everything from the appeal table; run it after bulk edits made outside the actions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from minyi.appeals.models import Appeal
from minyi.cockpit.kpi import COUNT_FIELDS
from minyi.cockpit.models import DIMENSIONS, AppealFact, DailyRollup, RollupState, cubes
from minyi.directory.models import Category, GridCell
from minyi.workflow.machine import OPEN_STATES, State
from minyi.workflow.models import AuditEvent

CHUNK = 5000
_OPEN = frozenset(s.value for s in OPEN_STATES)
_ANSWERED = frozenset({State.REPLIED.value, State.PENDING_CALLBACK.value})

APPEAL_FIELDS = (
    "id", "created_at", "dispatched_at", "closed_at", "department_id", "category_id", "grid_id", "channel_id",
    "kind", "status", "claimed_at", "claim_due_at", "reply_due_at", "paused_at", "sla_flag", "satisfaction",
    "resolved", "closed_on_time", "return_count", "reopen_count", "bad_rating_at", "bad_rating_callback_at",
)  # fmt: skip


class _Trees:
    """Category → level-1 ancestor and grid cell → street, loaded once per run."""

    def __init__(self) -> None:
        parents = dict(Category.objects.values_list("id", "parent_id"))
        self.category_l1: dict[int, int] = {}
        for cid in parents:
            node = cid
            while parents.get(node):
                node = parents[node]
            self.category_l1[cid] = node
        self.street = {gid: (parent or gid) for gid, parent in GridCell.objects.values_list("id", "parent_id")}


def _day(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else timezone.localtime(value).date()


def make_fact(row: dict[str, Any], trees: _Trees, now: dt.datetime) -> AppealFact:
    status = row["status"]
    is_open = status in _OPEN
    overdue = (
        is_open
        and status not in _ANSWERED
        and (row["sla_flag"] == "overdue" or (row["reply_due_at"] is not None and row["reply_due_at"] < now and row["paused_at"] is None))
    )
    claimed, claim_due = row["claimed_at"], row["claim_due_at"]
    created_day = _day(row["created_at"])
    assert created_day is not None
    return AppealFact(
        appeal_id=row["id"],
        created_day=created_day,
        dispatched_day=_day(row["dispatched_at"]),
        closed_day=_day(row["closed_at"]) if status == State.CLOSED.value else None,
        department_id=row["department_id"] or 0,
        category_id=row["category_id"] or 0,
        category_l1_id=trees.category_l1.get(row["category_id"], 0) if row["category_id"] else 0,
        grid_id=row["grid_id"] or 0,
        street_id=trees.street.get(row["grid_id"], 0) if row["grid_id"] else 0,
        channel_id=row["channel_id"] or 0,
        kind=row["kind"],
        status=status,
        claimed_on_time=claimed is not None and claim_due is not None and claimed <= claim_due,
        is_open=is_open,
        overdue=overdue,
        satisfaction=row["satisfaction"],
        resolved=row["resolved"],
        closed_on_time=row["closed_on_time"],
        returned=row["return_count"] > 0,
        reopened=row["reopen_count"] > 0,
        bad_rated=row["bad_rating_at"] is not None,
        bad_rating_called_back=row["bad_rating_at"] is not None and row["bad_rating_callback_at"] is not None,
    )


# Each measure of a cohort row as a SQL expression over one fact row (0 or 1).
_COHORT_SQL: dict[str, str] = {
    "created": "1",
    "dispatched": "CASE WHEN dispatched_day IS NOT NULL THEN 1 ELSE 0 END",
    "claimed_on_time": "CASE WHEN claimed_on_time THEN 1 ELSE 0 END",
    "closed": f"CASE WHEN status = '{State.CLOSED.value}' THEN 1 ELSE 0 END",
    "open": "CASE WHEN is_open THEN 1 ELSE 0 END",
    "overdue": "CASE WHEN overdue THEN 1 ELSE 0 END",
    "rated": "CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END",
    **{f"sat_{n}": f"CASE WHEN satisfaction = {n} THEN 1 ELSE 0 END" for n in range(1, 6)},
    "called_back": "CASE WHEN resolved IS NOT NULL THEN 1 ELSE 0 END",
    "resolved": "CASE WHEN resolved THEN 1 ELSE 0 END",
    "closed_with_due": "CASE WHEN closed_on_time IS NOT NULL THEN 1 ELSE 0 END",
    "closed_on_time": "CASE WHEN closed_on_time THEN 1 ELSE 0 END",
    "returned": "CASE WHEN returned THEN 1 ELSE 0 END",
    "reopened": "CASE WHEN reopened THEN 1 ELSE 0 END",
    "bad_rated": "CASE WHEN bad_rated THEN 1 ELSE 0 END",
    "bad_rating_called_back": "CASE WHEN bad_rating_called_back THEN 1 ELSE 0 END",
}
assert set(_COHORT_SQL) == set(COUNT_FIELDS)
_MEASURES = ("dispatched_flow", "closed_flow", *COUNT_FIELDS)


def _cube_sql(cube: str, dims: tuple[str, ...], day_filter: str) -> str:
    """One INSERT … SELECT that writes a cube's rows for the days matched by ``day_filter``.

    Cohort rows (by 受理 day) and flow rows (交办/办结 by their day) are stacked with
    UNION ALL and summed per key. Everything is generated from fixed names; the days
    come in as parameters.
    """
    fact, rollup = AppealFact._meta.db_table, DailyRollup._meta.db_table
    dim_cols = [d if d in dims else ("''" if d == "kind" else "0") for d in DIMENSIONS]
    dim_select = ", ".join(f"{expr} AS {name}" for expr, name in zip(dim_cols, DIMENSIONS, strict=True))

    def part(day_col: str, flow: dict[str, str], cohort: bool) -> str:
        cols = [f"{flow.get(m, '0')} AS {m}" for m in ("dispatched_flow", "closed_flow")]
        cols += [f"{_COHORT_SQL[m] if cohort else '0'} AS {m}" for m in COUNT_FIELDS]
        where = day_filter.format(col=day_col)
        return f"SELECT {day_col} AS day, {dim_select}, {', '.join(cols)} FROM {fact} WHERE {where}"  # noqa: S608 (fixed names)

    union = " UNION ALL ".join(
        [
            part("created_day", {}, True),
            part("dispatched_day", {"dispatched_flow": "1"}, False),
            part("closed_day", {"closed_flow": "1"}, False),
        ]
    )
    sums = ", ".join(f"SUM({m})" for m in _MEASURES)
    return (
        f"INSERT INTO {rollup} (cube, day, {', '.join(DIMENSIONS)}, {', '.join(_MEASURES)}) "  # noqa: S608 (fixed names; days are parameters)
        f"SELECT '{cube}', day, {', '.join(DIMENSIONS)}, {sums} FROM ({union}) AS t GROUP BY day, {', '.join(DIMENSIONS)}"
    )


def _write_rollups(days: Sequence[dt.date] | None) -> int:
    """Replace the rollup rows of ``days`` (of every day if None), all cubes, in SQL."""
    written = 0
    day_lists = [None] if days is None else [list(days[i : i + 200]) for i in range(0, len(days), 200)]
    with connection.cursor() as cur:
        for window in day_lists:
            if window is None:
                DailyRollup.objects.all().delete()
                day_filter, params = "{col} IS NOT NULL", []
            else:
                DailyRollup.objects.filter(day__in=window).delete()
                day_filter = "{col} IN (" + ", ".join(["%s"] * len(window)) + ")"
                params = window
            for cube, dims in cubes().items():
                cur.execute(_cube_sql(cube, dims, day_filter), params * 3)
                written += max(cur.rowcount, 0)
    return written


def _facts_sql(vendor: str) -> str:
    """INSERT … SELECT of every fact from the appeal table (rebuild), for PostgreSQL and SQLite."""
    appeal, fact = Appeal._meta.db_table, AppealFact._meta.db_table
    cat, grid = Category._meta.db_table, GridCell._meta.db_table
    if vendor == "postgresql":
        def day(col: str) -> str:
            return f"(a.{col} AT TIME ZONE %(tz)s)::date"
    else:
        def day(col: str) -> str:
            return f"date(a.{col}, %(offset)s)"
    open_list = ", ".join(f"'{s}'" for s in sorted(_OPEN))
    answered = ", ".join(f"'{s}'" for s in sorted(_ANSWERED))
    closed = State.CLOSED.value
    return f"""
INSERT INTO {fact} (appeal_id, created_day, dispatched_day, closed_day, department_id, category_id, category_l1_id,
  grid_id, street_id, channel_id, kind, status, claimed_on_time, is_open, overdue, satisfaction, resolved, closed_on_time,
  returned, reopened, bad_rated, bad_rating_called_back)
SELECT a.id, {day("created_at")}, {day("dispatched_at")},
  CASE WHEN a.status = '{closed}' THEN {day("closed_at")} END,
  COALESCE(a.department_id, 0), COALESCE(a.category_id, 0), COALESCE(gp.id, p.id, c.id, 0),
  COALESCE(a.grid_id, 0), COALESCE(g.parent_id, g.id, 0), a.channel_id, a.kind, a.status,
  COALESCE(a.claimed_at IS NOT NULL AND a.claim_due_at IS NOT NULL AND a.claimed_at <= a.claim_due_at, FALSE),
  a.status IN ({open_list}),
  COALESCE(a.status IN ({open_list}) AND a.status NOT IN ({answered})
    AND (a.sla_flag = 'overdue' OR (a.reply_due_at < %(now)s AND a.paused_at IS NULL)), FALSE),
  a.satisfaction, a.resolved, a.closed_on_time, a.return_count > 0, a.reopen_count > 0,
  a.bad_rating_at IS NOT NULL, (a.bad_rating_at IS NOT NULL AND a.bad_rating_callback_at IS NOT NULL)
FROM {appeal} a
LEFT JOIN {cat} c ON c.id = a.category_id
LEFT JOIN {cat} p ON p.id = c.parent_id
LEFT JOIN {cat} gp ON gp.id = p.parent_id
LEFT JOIN {grid} g ON g.id = a.grid_id
"""  # noqa: S608 (fixed names; values are parameters)


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def refresh_appeals(appeal_ids: Iterable[int], now: dt.datetime | None = None) -> set[dt.date]:
    """Re-derive the facts of these appeals and recompute the days they touch."""
    now = now or timezone.now()
    trees = _Trees()
    days: set[dt.date] = set()
    for batch in _chunks(sorted(set(appeal_ids))):
        for old in AppealFact.objects.filter(appeal_id__in=batch).values_list("created_day", "dispatched_day", "closed_day"):
            days.update(d for d in old if d is not None)
        facts = [make_fact(row, trees, now) for row in Appeal.objects.filter(id__in=batch).values(*APPEAL_FIELDS)]
        AppealFact.objects.filter(appeal_id__in=batch).delete()
        AppealFact.objects.bulk_create(facts)
        for f in facts:
            days.update(d for d in (f.created_day, f.dispatched_day, f.closed_day) if d is not None)
    if days:
        _write_rollups(sorted(days))
    return days


@transaction.atomic
def refresh(now: dt.datetime | None = None) -> dict[str, int]:
    """The incremental job: changed appeals since the watermark → facts → rollup days."""
    now = now or timezone.now()
    state, _ = RollupState.objects.select_for_update().get_or_create(id=1)
    audit_hi = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    appeal_hi = Appeal.objects.order_by("-id").values_list("id", flat=True).first() or 0
    changed: set[int] = set(
        AuditEvent.objects.filter(id__gt=state.last_audit_id, id__lte=audit_hi).values_list("appeal_id", flat=True).distinct()
    )
    changed.update(Appeal.objects.filter(id__gt=state.last_appeal_id, id__lte=appeal_hi).values_list("id", flat=True))
    if state.refreshed_at is not None:
        # Deadlines that passed since the last run turn open appeals overdue with no write.
        changed.update(Appeal.objects.filter(reply_due_at__gt=state.refreshed_at, reply_due_at__lte=now).values_list("id", flat=True))
    days = refresh_appeals(changed, now)
    state.last_audit_id, state.last_appeal_id, state.refreshed_at = audit_hi, appeal_hi, now
    state.save()
    return {"appeals": len(changed), "days": len(days)}


@transaction.atomic
def rebuild(now: dt.datetime | None = None, progress: Any = None) -> dict[str, int]:
    """Recompute every fact and rollup row from the appeal table."""
    now = now or timezone.now()
    state, _ = RollupState.objects.select_for_update().get_or_create(id=1)
    audit_hi = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    appeal_hi = Appeal.objects.order_by("-id").values_list("id", flat=True).first() or 0
    AppealFact.objects.all().delete()
    offset = timezone.localtime(now).utcoffset() or dt.timedelta()
    db_now = now if connection.vendor == "postgresql" else now.astimezone(dt.UTC).replace(tzinfo=None)
    params: dict[str, Any] = {"now": db_now, "tz": str(timezone.get_current_timezone()), "offset": f"{offset.total_seconds():+.0f} seconds"}
    with connection.cursor() as cur:
        cur.execute(_facts_sql(connection.vendor), params)
    facts = AppealFact.objects.count()
    if progress:
        progress(facts)
    rows = _write_rollups(None)
    state.last_audit_id, state.last_appeal_id, state.refreshed_at, state.rebuilt_at = audit_hi, appeal_hi, now, now
    state.save()
    return {"facts": facts, "rollup_rows": rows}
