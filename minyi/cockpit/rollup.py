"""Maintaining the rollup tables: facts per appeal, sums per day and cube.

``refresh()`` is the periodic incremental job (``minyi cockpit refresh``, e.g. every
minute from cron or a systemd timer). It finds the appeals changed since the last run
through indexed columns only — new audit rows (``AuditEvent.id``), new appeals
(``Appeal.id``) and reply deadlines that passed (``Appeal.reply_due_at``) — re-derives
their facts, and applies the difference to the rollup: the changed appeals' sums under
their old facts are subtracted and the sums under their new facts added, cell by cell
(``INSERT … ON CONFLICT DO UPDATE``), and cells left empty are deleted. Its cost follows
the number of changed appeals, not the size of the days they touch. This holds because
the rollup is always exactly the sum of the facts (what ``rebuild`` writes); tests check
that refresh and rebuild agree. Each refresh is one transaction. ``rebuild()`` (``minyi
cockpit rebuild``) recomputes everything from the appeal table; run it after bulk edits
made outside the actions, and after changing ``MINYI_COCKPIT_CUBES``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
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
UPSERT_ROWS = 400  # rows per INSERT … ON CONFLICT (× 33 parameters, under SQLite's limit)
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


# Each measure of a cohort row over one fact, 0 or 1: as SQL for ``rebuild`` and as Python
# for ``refresh``, side by side so that they are changed together (tests check they agree).
_CLOSED = State.CLOSED.value


def _rated(level: int) -> Callable[[AppealFact], bool]:
    return lambda f: f.satisfaction == level


_COHORT: dict[str, tuple[str, Callable[[AppealFact], bool]]] = {
    "created": ("1", lambda f: True),
    "dispatched": ("CASE WHEN dispatched_day IS NOT NULL THEN 1 ELSE 0 END", lambda f: f.dispatched_day is not None),
    "claimed_on_time": ("CASE WHEN claimed_on_time THEN 1 ELSE 0 END", lambda f: bool(f.claimed_on_time)),
    "closed": (f"CASE WHEN status = '{_CLOSED}' THEN 1 ELSE 0 END", lambda f: f.status == _CLOSED),
    "open": ("CASE WHEN is_open THEN 1 ELSE 0 END", lambda f: bool(f.is_open)),
    "overdue": ("CASE WHEN overdue THEN 1 ELSE 0 END", lambda f: bool(f.overdue)),
    "rated": ("CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END", lambda f: f.satisfaction is not None),
    **{f"sat_{n}": (f"CASE WHEN satisfaction = {n} THEN 1 ELSE 0 END", _rated(n)) for n in range(1, 6)},
    "called_back": ("CASE WHEN resolved IS NOT NULL THEN 1 ELSE 0 END", lambda f: f.resolved is not None),
    "resolved": ("CASE WHEN resolved THEN 1 ELSE 0 END", lambda f: bool(f.resolved)),
    "closed_with_due": ("CASE WHEN closed_on_time IS NOT NULL THEN 1 ELSE 0 END", lambda f: f.closed_on_time is not None),
    "closed_on_time": ("CASE WHEN closed_on_time THEN 1 ELSE 0 END", lambda f: bool(f.closed_on_time)),
    "returned": ("CASE WHEN returned THEN 1 ELSE 0 END", lambda f: bool(f.returned)),
    "reopened": ("CASE WHEN reopened THEN 1 ELSE 0 END", lambda f: bool(f.reopened)),
    "bad_rated": ("CASE WHEN bad_rated THEN 1 ELSE 0 END", lambda f: bool(f.bad_rated)),
    "bad_rating_called_back": ("CASE WHEN bad_rating_called_back THEN 1 ELSE 0 END", lambda f: bool(f.bad_rating_called_back)),
}
assert set(_COHORT) == set(COUNT_FIELDS)
_COHORT_SQL = {m: sql for m, (sql, _) in _COHORT.items()}
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


def _write_rollups() -> int:
    """Replace every rollup row, all cubes, in SQL (rebuild)."""
    written = 0
    DailyRollup.objects.all().delete()
    with connection.cursor() as cur:
        for cube, dims in cubes().items():
            cur.execute(_cube_sql(cube, dims, "{col} IS NOT NULL"), [])
            written += max(cur.rowcount, 0)
    return written


Cell = tuple[Any, ...]  # (cube, day, *DIMENSIONS): the unique key of a rollup row


def _add_cells(facts: Iterable[AppealFact], sign: int, into: dict[Cell, list[int]]) -> None:
    """Add ``sign`` × what these facts contribute to each rollup cell (as ``rebuild`` sums them) to ``into``."""
    width = len(_MEASURES)
    dispatched_flow, closed_flow = [1] + [0] * (width - 1), [0, 1] + [0] * (width - 2)
    kept = cubes().items()
    for f in facts:
        cohort = [0, 0, *(int(_COHORT[m][1](f)) for m in COUNT_FIELDS)]
        parts = [(f.created_day, cohort), (f.dispatched_day, dispatched_flow), (f.closed_day, closed_flow)]
        for cube, dims in kept:
            key = tuple(getattr(f, d) if d in dims else ("" if d == "kind" else 0) for d in DIMENSIONS)
            for day, measures in parts:
                if day is None:
                    continue
                acc = into.setdefault((cube, day, *key), [0] * width)
                for i, v in enumerate(measures):
                    acc[i] += sign * v


def _apply_delta(delta: dict[Cell, list[int]]) -> int:
    """Add ``delta`` to the rollup cell by cell; delete the cells it empties. Returns the cells changed."""
    rollup = DailyRollup._meta.db_table
    changed = [(cell, d) for cell, d in delta.items() if any(d)]
    if not changed:
        return 0
    key = ("cube", "day", *DIMENSIONS)
    cols = (*key, *_MEASURES)
    row = "(" + ", ".join(["%s"] * len(cols)) + ")"
    upsert = (
        f"INSERT INTO {rollup} ({', '.join(cols)}) VALUES {{values}} "  # noqa: S608 (fixed names; values are parameters)
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(f"{m} = {rollup}.{m} + EXCLUDED.{m}" for m in _MEASURES)
    )
    # Every row the rebuild writes has a 受理, 交办 or 办结 in it; a cell left with none of
    # them is empty (a cohort measure counts only appeals received there) and goes.
    heads = [_MEASURES.index(m) for m in ("created", "dispatched_flow", "closed_flow")]
    drop = (
        f"DELETE FROM {rollup} WHERE {' AND '.join(f'{k} = %s' for k in key)} "  # noqa: S608 (fixed names; values are parameters)
        "AND created = 0 AND dispatched_flow = 0 AND closed_flow = 0"
    )
    with connection.cursor() as cur:
        for i in range(0, len(changed), UPSERT_ROWS):
            chunk = changed[i : i + UPSERT_ROWS]
            cur.execute(upsert.format(values=", ".join([row] * len(chunk))), [v for cell, d in chunk for v in (*cell, *d)])
        shrunk = [cell for cell, d in changed if any(d[i] < 0 for i in heads)]
        if shrunk:
            cur.executemany(drop, shrunk)
    return len(changed)


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


def refresh_appeals(appeal_ids: Iterable[int], now: dt.datetime | None = None) -> tuple[set[dt.date], int]:
    """Re-derive the facts of these appeals and apply the difference to the rollup.

    Returns the days touched (old and new facts) and the number of rollup cells changed.
    """
    now = now or timezone.now()
    trees = _Trees()
    days: set[dt.date] = set()
    cells = 0
    for batch in _chunks(sorted(set(appeal_ids))):
        old = list(AppealFact.objects.filter(appeal_id__in=batch))
        facts = [make_fact(row, trees, now) for row in Appeal.objects.filter(id__in=batch).values(*APPEAL_FIELDS)]
        delta: dict[Cell, list[int]] = {}
        _add_cells(old, -1, delta)
        _add_cells(facts, +1, delta)
        AppealFact.objects.filter(appeal_id__in=batch).delete()
        AppealFact.objects.bulk_create(facts)
        cells += _apply_delta(delta)
        for f in (*old, *facts):
            days.update(d for d in (f.created_day, f.dispatched_day, f.closed_day) if d is not None)
    return days, cells


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
    days, cells = refresh_appeals(changed, now)
    state.last_audit_id, state.last_appeal_id, state.refreshed_at = audit_hi, appeal_hi, now
    state.save()
    return {"appeals": len(changed), "days": len(days), "cells": cells}


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
    rows = _write_rollups()
    state.last_audit_id, state.last_appeal_id, state.refreshed_at, state.rebuilt_at = audit_hi, appeal_hi, now, now
    state.save()
    return {"facts": facts, "rollup_rows": rows}


def ensure_current(now: dt.datetime | None = None) -> dict[str, int]:
    """Bring the rollups up to date before figures are read for a document (a bulletin, an export).

    Never built: a full ``rebuild`` (set-based SQL). Otherwise the incremental ``refresh``, which
    costs what changed since the last run (nothing when the scheduler ran a moment ago).
    """
    built = RollupState.objects.filter(id=1, refreshed_at__isnull=False).exists()
    return refresh(now) if built else rebuild(now)
