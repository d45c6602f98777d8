"""Appeals created per second through the action layer, on SQLite and on PostgreSQL.

    .venv/bin/python bench/intake.py --n 2000 [--bulk 20000] [--backends sqlite,postgresql]

Each backend runs in a child process on a fresh database (var/bench.sqlite3, or the
PostgreSQL database ``minyi_bench``). ``single`` is ``intake_appeal`` one call, one
transaction at a time (the hotline path); ``bulk`` is ``bulk_intake`` in batches of
1,000 (imports). Both write the audit rows. Prints one JSON line per backend.

``MINYI_TRIAGE_SUGGEST_MODE=sync|async`` (environment) picks where single intake computes
the AI suggestions; ``all_suggestions_stored_s`` is when the last one was stored.
``--paced`` times each call on an idle server (the previous call's background job has
finished, untimed): the hotline operator's wait; without it the loop is closed and the
background jobs compete with the calls for the same two cores.
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


def child(n: int, bulk: int, paced: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    os.environ.setdefault("MINYI_DEBUG", "1")  # a benchmark is development, not production
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from minyi.appeals.services import IntakeData, bulk_intake, intake_appeal
    from minyi.directory.defaults import load_defaults
    from minyi.directory.models import Channel, GridCell
    from minyi.directory.services import create_staff
    from minyi.workflow.policy import Role

    load_defaults()
    user = create_staff("bench-operator", Role.OPERATOR, "sjj-12345")
    channel = Channel.objects.get(code="12345")
    grid = GridCell.objects.get(code="mhjd-hb")

    def item(i: int) -> IntakeData:
        return IntakeData(
            channel=channel,
            title=f"明湖路路灯不亮 {i}",
            content="明湖路一段路灯已经一周不亮，晚上出行不安全，请尽快维修。",
            phone=f"139{i:08d}",
            grid=grid,
        )

    from django.conf import settings

    from minyi.jobs import registry

    calls: list[float] = []
    start = time.perf_counter()
    for i in range(n):
        began = time.perf_counter()
        intake_appeal(item(i), by=user, idempotency_key=f"bench-{i}")
        calls.append(time.perf_counter() - began)
        if paced:  # one call at a time on an idle server: its background job ends first (not timed)
            registry.drain()
    single_s = sum(calls) if paced else time.perf_counter() - start
    # In "async" mode the suggestions may still be waiting in the outbox: run them before the bulk run.
    registry.drain(10**7)
    stored_s = time.perf_counter() - start
    calls.sort()

    start = time.perf_counter()
    for offset in range(0, bulk, 1000):
        bulk_intake([item(i) for i in range(offset, min(bulk, offset + 1000))], by=user)
    bulk_s = time.perf_counter() - start

    print(
        json.dumps(
            {
                "backend": connection.vendor,
                "single": {
                    "n": n,
                    "suggest_mode": settings.MINYI_TRIAGE_SUGGEST_MODE,
                    "seconds": round(single_s, 2),
                    "per_s": round(n / single_s, 1),
                    "call_ms_median": round(1000 * calls[len(calls) // 2], 1) if calls else None,
                    "call_ms_p95": round(1000 * calls[int(len(calls) * 0.95)], 1) if calls else None,
                    "paced": paced,
                    "all_suggestions_stored_s": round(stored_s, 2),
                },
                "bulk": {"n": bulk, "seconds": round(bulk_s, 2), "per_s": round(bulk / bulk_s, 1) if bulk else None},
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="single intakes (default 2000)")
    parser.add_argument("--bulk", type=int, default=20000, help="appeals through bulk_intake (default 20000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--paced", action="store_true", help="single intakes one at a time, each after the previous one's background suggestions")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.bulk, args.paced)
        return 0
    for backend in args.backends.split(","):
        try:
            env = freshdb.environment(backend, "minyi_bench")
        except ValueError as exc:
            parser.error(str(exc))
        result = subprocess.run(
            [sys.executable, __file__, "--child", "--n", str(args.n), "--bulk", str(args.bulk), *(["--paced"] if args.paced else [])], env=env, check=False
        )
        if result.returncode:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
