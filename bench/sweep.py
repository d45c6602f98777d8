"""How long the SLA sweep takes over N open appeals, and that a second run changes nothing.

    .venv/bin/python bench/sweep.py --n 100000 [--backends postgresql,sqlite]

Each backend runs in a child process on a fresh database (the PostgreSQL database
``minyi_bench_sweep``, or var/bench_sweep.sqlite3). The appeals are bulk-inserted directly
(synthetic rows: open, dispatched or in progress, deadlines spread
from 15 working days ago to 10 days ahead), then swept as of one fixed moment: the
first sweep marks 临期/超期 and climbs the ladder with audit rows and 督办单 (the cold
worst case: a backlog of ~68k overdue appeals seen for the first time); the second
must change nothing; a third, one hour later, is the steady state of a cron sweep.
Prints one JSON line per backend.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import freshdb  # bench/ is on sys.path when a script here runs

REPO = Path(__file__).resolve().parent.parent


def child(n: int) -> None:
    import datetime as dt

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    os.environ.setdefault("MINYI_DEBUG", "1")  # a benchmark is development, not production
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from minyi.accountability.models import SupervisionOrder
    from minyi.accountability.scheduler import run_sweep
    from minyi.appeals.models import Appeal
    from minyi.directory.defaults import load_defaults
    from minyi.directory.models import Channel, Department
    from minyi.workflow.calendar import SHANGHAI
    from minyi.workflow.models import AuditEvent

    load_defaults()
    now = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    channel = Channel.objects.get(code="12345")
    depts = list(Department.objects.filter(kind__in=["bureau", "street"]).values_list("pk", flat=True))
    start = time.perf_counter()
    batch = 10000
    with transaction.atomic():
        for offset in range(0, n, batch):
            rows = []
            for i in range(offset, min(n, offset + batch)):
                # Deadlines from 21 days ago to 10 days ahead; warn point 1 day before the deadline.
                due = now + dt.timedelta(minutes=(i * 7919) % (31 * 24 * 60) - 21 * 24 * 60)
                rows.append(
                    Appeal(
                        number=f"B{i:010d}",
                        channel=channel,
                        status="in_progress" if i % 3 else "dispatched",
                        title="合成基准诉求",
                        content="用于时限巡检基准测试的合成诉求内容。",
                        department_id=depts[i % len(depts)],
                        created_at=due - dt.timedelta(days=7),
                        dispatched_at=due - dt.timedelta(days=7),
                        reply_due_at=due,
                        reply_warn_at=due - dt.timedelta(days=1),
                        sla_unit="wd",
                    )
                )
            Appeal.objects.bulk_create(rows, batch_size=batch)
    insert_s = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    start = time.perf_counter()
    first = run_sweep(now).summary()
    first_s = time.perf_counter() - start
    audit_after_first = AuditEvent.objects.count()
    start = time.perf_counter()
    second = run_sweep(now).summary()
    second_s = time.perf_counter() - start
    assert AuditEvent.objects.count() == audit_after_first, "second sweep wrote audit rows"
    # The steady state: the next cron run, one hour later, over the same 100k open appeals.
    start = time.perf_counter()
    hourly = run_sweep(now + dt.timedelta(hours=1)).summary()
    hourly_s = time.perf_counter() - start
    print(
        json.dumps(
            {
                "backend": connection.vendor,
                "open_appeals": n,
                "insert_s": round(insert_s, 2),
                "first_sweep_s": round(first_s, 2),
                "first": {k: v for k, v in first.items() if k != "now"},
                "audit_rows": audit_after_first,
                "orders": SupervisionOrder.objects.count(),
                "second_sweep_s": round(second_s, 2),
                "second": {k: v for k, v in second.items() if k != "now"},
                "next_hour_sweep_s": round(hourly_s, 2),
                "next_hour": {k: v for k, v in hourly.items() if k != "now"},
            },
            ensure_ascii=False,
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="open appeals (default 100000)")
    parser.add_argument("--backends", default="postgresql", help="comma-separated: postgresql,sqlite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n)
        return 0
    for backend in args.backends.split(","):
        try:
            env = freshdb.environment(backend, "minyi_bench_sweep")
        except ValueError as exc:
            parser.error(str(exc))
        result = subprocess.run([sys.executable, __file__, "--child", "--n", str(args.n)], env=env, check=False)
        if result.returncode:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
