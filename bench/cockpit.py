"""Cockpit queries at scale: N synthetic appeals straight into PostgreSQL, then every query timed.

    .venv/bin/python bench/cockpit.py --n 1000000 [--repeat 30] [--days 365] [--keep]

Creates the database ``minyi_cockpit_bench`` (dropped at the end unless ``--keep``),
migrates it, fills ``appeals_appeal`` with one ``INSERT … SELECT generate_series`` of
synthetic appeals spread over the last ``--days`` days (statuses, ratings, returns, reopens
and deadlines drawn at random), then times ``minyi cockpit rebuild``, each cockpit query
(p50/p95 over ``--repeat`` runs) and an incremental refresh after 1,000 new appeals.
Prints one JSON object, with the scan nodes of the finest-grain query's plan. The live
``stats()`` over the appeal table is timed once for comparison. Fewer ``--days`` give
the appeals per day of a larger volume (5M over 365 days ≈ 500k over 30) at a fraction
of the fill time: the refresh cost follows the changed appeals, the old day-by-day
recompute followed the appeals per day.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "minyi_cockpit_bench"

FILL = """
INSERT INTO appeals_appeal (
  number, channel_id, kind, priority, status, submitter_type, submitter_name, credit_code, phone, title, content, address,
  grid_id, category_id, department_id, created_at, accepted_at, dispatched_at, claimed_at, replied_at, closed_at,
  claim_due_at, reply_due_at, reply_warn_at, sla_unit, reply_text, satisfaction, resolved, rating_comment, closed_on_time,
  bad_rating_at, bad_rating_callback_at, sla_flag, escalation_level, return_count, reopen_count, triage, updated_at, public_token, reply_public, phone_index)
SELECT 'B' || lpad(g::text, 10, '0'), ch, k, 'normal', st, 'person', '', '', '13800000000', '路灯不亮 ' || g, '明湖路一段路灯不亮。', '',
  gr, cat, CASE WHEN st = 'pending_dispatch' THEN NULL ELSE dep END, c, c,
  CASE WHEN st = 'pending_dispatch' THEN NULL ELSE c + interval '1 hour' END,
  CASE WHEN st IN ('pending_dispatch', 'dispatched') THEN NULL ELSE c + interval '1 hour' + r1 * interval '30 hours' END,
  CASE WHEN st IN ('closed', 'pending_callback') THEN c + r2 * interval '14 days' END,
  CASE WHEN st = 'closed' THEN c + r2 * interval '14 days' + interval '1 day' END,
  CASE WHEN st = 'pending_dispatch' THEN NULL ELSE c + interval '25 hours' END,
  c + interval '10 days', c + interval '8 days', 'wd', '',
  CASE WHEN st = 'closed' THEN sat END, CASE WHEN st = 'closed' THEN sat >= 3 END, '',
  CASE WHEN st = 'closed' THEN r2 * 14 <= 10 END,
  CASE WHEN st = 'closed' AND sat <= 2 THEN c + interval '15 days' END,
  CASE WHEN st = 'closed' AND sat <= 2 AND r1 < 0.5 THEN c + interval '17 days' END,
  '', 0, (r3 < 0.05)::int, (r3 > 0.97)::int, '{}'::jsonb, c, md5(g::text || random()::text), false, ''
FROM (
  SELECT g, now() - random() * interval '365 days' AS c, random() AS r1, random() AS r2, random() AS r3,
    (%(channels)s::bigint[])[1 + floor(random() * %(n_channels)s)::int] AS ch,
    (ARRAY['complaint','complaint','complaint','help','consult','report','suggestion'])[1 + floor(random() * 7)::int] AS k,
    (%(grids)s::bigint[])[1 + floor(random() * %(n_grids)s)::int] AS gr,
    (%(categories)s::bigint[])[1 + floor(random() * %(n_categories)s)::int] AS cat,
    (%(departments)s::bigint[])[1 + floor(random() * %(n_departments)s)::int] AS dep,
    (ARRAY['closed','closed','closed','closed','closed','closed','closed','in_progress','in_progress','dispatched',
           'pending_callback','pending_dispatch','replied'])[1 + floor(random() * 13)::int] AS st,
    (ARRAY[5,5,5,5,4,4,3,2,1])[1 + floor(random() * 9)::int] AS sat
  FROM generate_series(%(lo)s, %(hi)s) AS g
) AS s
"""


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1)}


def child(n: int, repeat: int, days: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    os.environ.setdefault("MINYI_DEBUG", "1")  # a benchmark is development, not production
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from minyi.cockpit import queries, rollup
    from minyi.cockpit.services import stats
    from minyi.directory.defaults import load_defaults
    from minyi.directory.models import Category, Channel, Department, GridCell

    load_defaults()
    ids = {
        "channels": list(Channel.objects.values_list("id", flat=True)),
        "grids": list(GridCell.objects.filter(level="community").values_list("id", flat=True)),
        "categories": list(Category.objects.filter(level=3).values_list("id", flat=True)),
        "departments": list(Department.objects.exclude(parent=None).values_list("id", flat=True)),
    }
    params: dict[str, Any] = {**ids, **{f"n_{k}": len(v) for k, v in ids.items()}}
    out: dict[str, Any] = {"n": n, "days": days}
    fill = FILL.replace("interval '365 days'", f"interval '{int(days)} days'")
    t0 = time.perf_counter()
    step = 500_000
    with connection.cursor() as cur:
        for lo in range(1, n + 1, step):
            cur.execute(fill, {**params, "lo": lo, "hi": min(n, lo + step - 1)})
        cur.execute("ANALYZE appeals_appeal")
    out["fill_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    out["rebuild"] = rollup.rebuild()
    out["rebuild_s"] = round(time.perf_counter() - t0, 1)
    with connection.cursor() as cur:
        cur.execute("ANALYZE cockpit_dailyrollup")
        cur.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('cockpit_dailyrollup')),"
            " pg_size_pretty(pg_total_relation_size('cockpit_appealfact')), pg_size_pretty(pg_total_relation_size('appeals_appeal'))"
        )
        out["sizes"] = dict(zip(("rollup", "facts", "appeals"), cur.fetchone() or (), strict=False))
    year, month = queries.period("year"), queries.period("month")
    last365 = queries.Period(year.end.replace(year=year.end.year - 1), year.end, "近一年")
    checks: dict[str, Callable[[], Any]] = {
        "totals(today/week/month/year)": queries.totals,
        "headline_rates(year)": lambda: queries.headline_rates(year),
        "ranking(month)": lambda: queries.ranking(month),
        "ranking(365 days)": lambda: queries.ranking(last365),
        "grid_table(365 days)": lambda: queries.grid_table(last365),
        "trend(365 days)": lambda: queries.trend(last365),
        "mix(365 days)": lambda: queries.mix(last365),
        "full cube: one department x category, 365 days": lambda: queries.summed("full", last365, ["category_id"], department_id=ids["departments"][0]),
    }
    out["queries"] = {name: timed(fn, repeat) for name, fn in checks.items()}
    from django.db.models import Sum

    from minyi.cockpit.models import MEASURES, DailyRollup

    drill = DailyRollup.objects.filter(cube="full", day__gte=last365.start, day__lte=last365.end, department_id=ids["departments"][0])
    plan = drill.order_by().values("category_id").annotate(**{m: Sum(m) for m in MEASURES}).explain()  # as queries.summed
    out["finest_grain_plan"] = [line.strip(" ->") for line in plan.splitlines() if "Scan" in line]
    t0 = time.perf_counter()
    stats()
    out["live_stats_over_appeals_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    with connection.cursor() as cur:
        cur.execute(fill, {**params, "lo": n + 1, "hi": n + 1000})
        # The day's new appeals: received today, every stamp shifted with it (as in production).
        stamps = ("dispatched_at", "claimed_at", "replied_at", "closed_at", "claim_due_at", "reply_due_at", "reply_warn_at", "bad_rating_at")
        shift = ", ".join(f"{c} = {c} + (now() - created_at)" for c in stamps)
        cur.execute(f"UPDATE appeals_appeal SET created_at = now(), {shift} WHERE id > %s", [n])
    t0 = time.perf_counter()
    out["refresh_after_1000_new_today"] = rollup.refresh()
    out["refresh_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    print(json.dumps(out, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--days", type=int, default=365, help="spread the appeals over this many days")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.repeat, args.days)
        return 0
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DB}", "MINYI_NOTIFY_BACKEND": "null", "MINYI_LOG_LEVEL": "WARNING"}
    try:
        cmd = [sys.executable, __file__, "--child", "--n", str(args.n), "--repeat", str(args.repeat), "--days", str(args.days)]
        return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        if not args.keep:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    sys.exit(main())
