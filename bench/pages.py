"""Workstation pages at real size: N appeals in PostgreSQL, then each page's server time (p95).

    .venv/bin/python bench/pages.py --n 1000000 [--repeat 20] [--keep]

Creates the database ``minyi_pages_bench`` (dropped at the end unless ``--keep``), migrates
it, loads the demo district and accounts, fills ``appeals_appeal`` with the synthetic appeals
of ``bench/cockpit.py`` (one ``INSERT … SELECT generate_series``, statuses, deadlines and ratings
drawn at random over a year, phones encrypted as the application stores them), refreshes the
cockpit's rollups, then requests every page in-process with Django's test client as the role
that uses it: the time measured is the server's (view, templates, SQL), without the network.
Prints one ``key=value`` line per page, then a last line:

    pages n=N repeat=R worst=<page> worst_p95_ms=X over_200ms=K
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "minyi_pages_bench"


def cockpit_fill() -> str:
    """bench/cockpit.py's fill, with the phone as the application stores it (ciphertext and blind index)."""
    spec = importlib.util.spec_from_file_location("bench_cockpit", REPO / "bench" / "cockpit.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fill = str(module.FILL)
    fill = fill.replace("'13800000000'", "%(phone)s").replace("false, ''\n", "false, %(phone_index)s\n")
    if "%(phone)s" not in fill or "%(phone_index)s" not in fill:
        raise SystemExit("bench/cockpit.py's FILL changed: update bench/pages.py")
    return fill


def child(n: int, repeat: int, reuse: bool) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    os.environ.setdefault("MINYI_DEBUG", "1")  # a benchmark is development, not production
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from minyi.appeals.demo import ensure_demo_accounts
    from minyi.appeals.models import Appeal
    from minyi.directory.defaults import load_defaults

    load_defaults()
    ensure_demo_accounts()
    # A database kept by an earlier run (--keep, then --reuse): time the pages only.
    fill_and_rebuild = not (reuse and Appeal.objects.count() >= n)
    if fill_and_rebuild:
        fill(n)
    run_pages(n, repeat)


def fill(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from tqdm import tqdm

    from minyi.cockpit import rollup
    from minyi.conftest import intake
    from minyi.directory.models import Category, Channel, Department, GridCell

    users = get_user_model().objects
    sample = intake(by=users.get(username="operator"), title="样本诉求")  # a real row: the phone's ciphertext to copy
    with connection.cursor() as cur:
        cur.execute("SELECT phone, phone_index FROM appeals_appeal WHERE id = %s", [sample.pk])
        phone, phone_index = cur.fetchone()
    ids = {
        "channels": list(Channel.objects.values_list("id", flat=True)),
        "grids": list(GridCell.objects.filter(level="community").values_list("id", flat=True)),
        "categories": list(Category.objects.filter(level=3).values_list("id", flat=True)),
        "departments": list(Department.objects.filter(code__in=["zjj", "cgj", "hbj", "scjgj", "mhjd", "qfjd"]).values_list("id", flat=True)),
    }
    params: dict[str, Any] = {**ids, **{f"n_{k}": len(v) for k, v in ids.items()}, "phone": phone, "phone_index": phone_index}
    sql, step = cockpit_fill(), 100_000
    t0 = time.perf_counter()
    with connection.cursor() as cur, tqdm(total=n, desc="fill", unit="appeal", disable=not sys.stderr.isatty()) as bar:
        for lo in range(1, n + 1, step):
            hi = min(n, lo + step - 1)
            cur.execute(sql, {**params, "lo": lo, "hi": hi})
            bar.update(hi - lo + 1)
        cur.execute("ANALYZE")
    print(f"fill_s={time.perf_counter() - t0:.1f}", flush=True)
    t0 = time.perf_counter()
    rollup.rebuild()
    print(f"rollup_rebuild_s={time.perf_counter() - t0:.1f}", flush=True)


def run_pages(n: int, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from minyi.appeals.models import Appeal

    users = get_user_model().objects
    busy = Appeal.objects.filter(status="in_progress", department__code="zjj").order_by("-id").first()
    assert busy is not None
    pages = [
        ("operator", "/desk/intake"),
        ("dispatcher", "/desk/dispatch"),
        ("dispatcher", "/desk/dispatch?tab=returned"),
        ("h-zjj", "/desk/inbox"),
        ("h-zjj", "/desk/inbox?tab=doing"),
        ("supervisor", "/desk/supervise"),
        ("supervisor", "/appeals/"),
        ("supervisor", "/appeals/?status=in_progress&sla=overdue"),
        ("supervisor", "/appeals/?page=200"),
        ("supervisor", "/appeals/?q=" + busy.number),
        ("h-zjj", f"/appeals/{busy.number}"),
        ("leader", "/cockpit/"),
    ]
    clients: dict[str, Client] = {}
    results = []
    for who, path in pages:
        client = clients.get(who)
        if client is None:
            client = clients[who] = Client()
            client.force_login(users.get(username=who))
        first = client.get(path)  # warm: templates compiled, caches filled
        assert first.status_code == 200, (path, first.status_code)
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        samples.sort()
        p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
        results.append((path, p95))
        print(f"page={path} role={who} p50_ms={statistics.median(samples):.1f} p95_ms={p95:.1f}", flush=True)
    worst = max(results, key=lambda r: r[1])
    over = sum(1 for _, p in results if p > 200)
    print(f"pages n={n} repeat={repeat} worst={worst[0]} worst_p95_ms={worst[1]:.1f} over_200ms={over}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep (skips the fill when it holds N appeals)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.repeat, args.reuse)
        return 0
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if not (args.reuse and exists):
            conn.execute(f"DROP DATABASE IF EXISTS {DB}")
            conn.execute(f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{DB}", "MINYI_NOTIFY_BACKEND": "null", "MINYI_LOG_LEVEL": "WARNING"}
    try:
        cmd = [sys.executable, __file__, "--child", "--n", str(args.n), "--repeat", str(args.repeat), *(["--reuse"] if args.reuse else [])]
        return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        if not (args.keep or args.reuse):
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    sys.exit(main())
