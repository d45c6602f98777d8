"""Rows per second through ``minyi import`` (validation + atomic batches), on SQLite and PostgreSQL.

    .venv/bin/python bench/import.py --data ../shared/data/teddycup2020c/full/附件4.csv \\
        [--mapping examples/mappings/teddycup.toml] [--backends sqlite,postgresql] [--batch-size 1000]

Each backend runs in a child process on a fresh database (a SQLite file under
$MINYI_VAR_DIR or /tmp, or the PostgreSQL database ``minyi_bench_import``). The file is
imported twice: the first run reports rows/s, the second must create nothing. Prints
one JSON line per backend. The data file is read in place, never copied.

With ``--workers N`` (PostgreSQL), N Celery workers run beside the import (Redis broker, the
model in ``--model``): each batch queues its AI suggestions in its own transaction, and the run
also reports how long after the import's end the last appeal got its suggestions. Last line:

    import rows/s=X triaged_lag_s=L
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/minyi_bench_import"


def child(data: str, mapping_path: str, batch_size: int, wait_for_triage: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    os.environ.setdefault("MINYI_DEBUG", "1")  # a benchmark is development, not production
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from minyi.api.importer import Mapping, run_import
    from minyi.appeals.models import Appeal
    from minyi.directory.defaults import load_defaults
    from minyi.workflow.models import AuditEvent
    from minyi.workflow.services import SYSTEM, replay_state

    load_defaults()
    mapping = Mapping.load(mapping_path)

    start, cpu = time.perf_counter(), time.process_time()
    first = run_import(data, mapping, by=SYSTEM, batch_size=batch_size)
    first_s, first_cpu = time.perf_counter() - start, time.process_time() - cpu
    if not first.report.ok:
        print(first.report.summary(), file=sys.stderr)
        raise SystemExit(1)
    lag = None
    if wait_for_triage:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and Appeal.objects.filter(triage={}).exists():
            time.sleep(0.2)
        lag = round(time.perf_counter() - start - first_s, 1) if not Appeal.objects.filter(triage={}).exists() else None
    appeals, audit = Appeal.objects.count(), AuditEvent.objects.count()

    start = time.perf_counter()
    second = run_import(data, mapping, by=SYSTEM, batch_size=batch_size)
    second_s = time.perf_counter() - start
    sample = list(Appeal.objects.order_by("?")[:200])
    consistent = all(replay_state(a) == a.state for a in sample)
    print(
        json.dumps(
            {
                "backend": connection.vendor,
                "rows": first.report.rows,
                "created": first.created,
                "seconds": round(first_s, 2),
                "rows_per_s": round(first.report.rows / first_s, 1),
                "client_cpu_seconds": round(first_cpu, 2),  # this process only: less sensitive to a busy machine
                "load_average": round(os.getloadavg()[0], 1),
                "audit_rows": audit,
                "reimport": {"created": second.created, "skipped": second.skipped, "seconds": round(second_s, 2)},
                "unchanged_on_reimport": Appeal.objects.count() == appeals and AuditEvent.objects.count() == audit,
                "replay_matches_status": consistent,
                "triaged_lag_s": lag,
            },
            ensure_ascii=False,
        )
    )
    print(f"import rows/s={first.report.rows / first_s:.1f} triaged_lag_s={lag if lag is not None else 'n/a'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="CSV or XLSX export to import")
    parser.add_argument("--mapping", default=str(REPO / "examples" / "mappings" / "teddycup.toml"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0, help="Celery workers computing suggestions beside the import (PostgreSQL)")
    parser.add_argument("--model", default=str(REPO / "var" / "models" / "bench-triage.npz"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = str(Path(args.data).resolve())
    if args.child:
        child(data, args.mapping, args.batch_size, wait_for_triage=args.workers > 0)
        return 0
    for backend in args.backends.split(","):
        env = {**os.environ, "MINYI_NOTIFY_BACKEND": "null", "MINYI_LOG_LEVEL": "WARNING"}
        if backend == "sqlite":
            folder = Path(os.environ.get("MINYI_VAR_DIR") or tempfile.gettempdir())
            db = folder / "bench-import.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            env["DATABASE_URL"] = f"sqlite:///{db}"
        elif backend == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS minyi_bench_import")
                conn.execute("CREATE DATABASE minyi_bench_import")
            env["DATABASE_URL"] = PG_BENCH
        else:
            parser.error(f"unknown backend {backend}")
        workers: list[subprocess.Popen[bytes]] = []
        if args.workers and backend == "postgresql":
            import redis

            broker = "redis://127.0.0.1:6379/10"
            redis.Redis.from_url(broker).flushdb()
            env.update(
                MINYI_JOBS_TRANSPORT="celery", MINYI_BROKER_URL=broker, MINYI_TRIAGE_SUGGEST_MODE="async", MINYI_TRIAGE_MODEL=args.model, MINYI_DEBUG="1"
            )
            minyi = str(REPO / ".venv" / "bin" / "minyi")
            workers = [
                subprocess.Popen(
                    [minyi, "worker", "--concurrency", "1", "--loglevel", "WARNING"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                for _ in range(args.workers)
            ]
        else:
            env["MINYI_TRIAGE_SUGGEST_MODE"] = "sync"  # no workers: the import alone, as before
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--data",
            data,
            "--mapping",
            args.mapping,
            "--batch-size",
            str(args.batch_size),
            "--workers",
            str(args.workers if workers else 0),
        ]
        try:
            result = subprocess.run(cmd, env=env, check=False)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
        if result.returncode:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
