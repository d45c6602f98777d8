"""Seeding the demo proposals against seeding as many ordinary demo appeals, in the same run.

    .venv/bin/python bench/proposals_seed.py [--backend sqlite|postgresql] [--name minyi_bench_proposals]

A fresh database (``freshdb``), migrated; then 255 ordinary demo appeals (``appeals.demo.Seeder``,
each through intake and the workflow's actions) and the 255 demo proposals
(``proposals.demo.seed_proposals``: bulk registration, then 交办, opinions, 面商, letters, ratings
through the actions). Prints ``key=value`` lines; the last one is the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import freshdb  # noqa: E402

CHILD = """
import datetime as dt, time, django
django.setup()
from django.conf import settings
from django.db import transaction
from minyi.appeals.demo import DEMO_PASSWORD, Seeder, ensure_demo_accounts
from minyi.directory.defaults import load_defaults
from minyi.proposals.demo import seed_proposals
from minyi.proposals.models import Proposal
from minyi.workflow.calendar import SHANGHAI
anchor = dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)
load_defaults(); ensure_demo_accounts()
settings.MINYI_NOTIFY_BACKEND = "null"; settings.MINYI_TRIAGE_SUGGEST_MODE = "sync"
seeder = Seeder(7, anchor)
t = time.perf_counter()
with transaction.atomic():
    for _ in range(255):
        seeder.one()
appeals_s = time.perf_counter() - t
t = time.perf_counter()
made = seed_proposals(7, anchor, password=DEMO_PASSWORD)
proposals_s = time.perf_counter() - t
assert made == Proposal.objects.count() == 255
print(f"appeals_255_s={appeals_s:.2f}")
print(f"proposals_255_s={proposals_s:.2f}")
print(f"proposals_per_appeal_ratio={proposals_s / appeals_s:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--name", default="minyi_bench_proposals")
    args = parser.parse_args()
    env = {
        **freshdb.environment(args.backend, args.name),
        "DJANGO_SETTINGS_MODULE": "minyi.dev_settings",
        "MINYI_DEBUG": "1",
        "MINYI_JOBS_TRANSPORT": "sync",  # no background worker competing for the SQLite write lock
    }
    python = str(REPO / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=REPO)
    print(f"backend={args.backend} date={dt.date.today().isoformat()}", flush=True)  # noqa: DTZ011
    subprocess.run([python, "-c", CHILD], env=env, check=True, cwd=REPO)


if __name__ == "__main__":
    main()
