"""Two real minyi instances, city and district, exchanging 1,000 orders over the signed protocol.

    .venv/bin/python bench/exchange.py [--orders 1000] [--city-db minyi_h5_city] [--district-db minyi_h5_district]
                                       [--ports 8510,8511] [--kill district|city] [--kill-after 0.35]

Both run ``minyi serve`` on PostgreSQL (separate databases, recreated). The city registers the
orders and dispatches them to its department for the district platform; the district claims,
handles and replies (some after a 退单 the city refuses, some through 延期); the city approves
the replies, calls back (a few bad ratings order a 重办) and closes. When ``--kill-after`` of the
orders are closed on the city, the ``--kill`` instance is killed with SIGKILL and restarted.

Then both databases are compared, order by order: ``pulled`` orders that reached the district;
``lost`` events one side sent that the other never applied (and orders that never arrived);
``duplicated`` events applied more often than they were sent; ``mismatched`` orders whose final
state, reply or rating differ between the sides (plus recorded mismatches). Last line:
``exchange pulled=N lost=L duplicated=D mismatched=M seconds=S``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from minyi.exchange.testing import Instance, setup_pair  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/"
# Event counts that must agree per order: (sender's event, receiver's event) for each direction.
UP = [("claim", "claim"), ("return", "return"), ("request_extension", "request_extension"), ("approve_reply", "reply")]
DOWN = [
    ("reject_return", "reject_return"),
    ("approve_extension", "approve_extension"),
    ("deny_extension", "deny_extension"),
    ("reopen", "reopen"),
    ("close", "close"),
]


def recreate(name: str) -> str:
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG + name


def snapshot(url: str) -> tuple[dict[str, tuple[str, str, int | None]], Counter[tuple[str, str]], int, int]:
    """(order → (status, reply, rating)), (order, event) → count, undelivered events, open mismatches."""
    with psycopg.connect(url) as conn:
        final = {
            row[0]: (row[1], row[2], row[3])
            for row in conn.execute(
                "SELECT l.order_id, a.status, a.reply_text, a.satisfaction FROM exchange_link l JOIN appeals_appeal a ON a.id = l.appeal_id"
            )
        }
        counts: Counter[tuple[str, str]] = Counter()
        for order_id, event, n in conn.execute(
            "SELECT l.order_id, e.event, count(*) FROM exchange_link l JOIN workflow_auditevent e ON e.appeal_id = l.appeal_id GROUP BY 1, 2"
        ):
            counts[(order_id, event)] = n
        backlog = conn.execute("SELECT count(*) FROM exchange_outboundevent WHERE delivered_at IS NULL").fetchone()[0]
        mismatches = conn.execute("SELECT count(*) FROM exchange_mismatch WHERE resolved_at IS NULL").fetchone()[0]
    return final, counts, int(backlog), int(mismatches)


def closed_on(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM exchange_link l JOIN appeals_appeal a ON a.id = l.appeal_id WHERE a.status = 'closed'").fetchone()[0])


def actor(instance: Instance, role: str, orders: int) -> subprocess.Popen[bytes]:
    env = {**instance.env, "MINYI_JOBS_PERIODIC": "0"}
    log = (instance.var_dir / f"actor-{role}.log").open("ab")
    return subprocess.Popen([sys.executable, str(REPO / "bench" / "exchange_actor.py"), role, str(orders)], env=env, stdout=log, stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--city-db", default="minyi_h5_city")
    parser.add_argument("--district-db", default="minyi_h5_district")
    parser.add_argument("--ports", default="8510,8511")
    parser.add_argument("--kill", choices=["district", "city", "none"], default="district")
    parser.add_argument("--kill-after", type=float, default=0.35, help="fraction of orders closed on the city before the kill")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    var = REPO / "var" / "bench-exchange"
    city = Instance("city", ports[0], recreate(args.city_db), var / "city")
    district = Instance("district", ports[1], recreate(args.district_db), var / "district")
    for inst in (city, district):
        inst.minyi("migrate", "-v0")
    setup_pair(city, district, auto_dispatch="hbj")
    city.start(workers=2)
    district.start(workers=2)
    victim = {"city": city, "district": district}.get(args.kill)
    started = time.monotonic()
    actors = [actor(city, "city", args.orders), actor(district, "district", args.orders)]
    killed = False
    try:
        while any(p.poll() is None for p in actors):
            if time.monotonic() - started > args.timeout:
                raise SystemExit("timed out; see var/bench-exchange/*/")
            if victim is not None and not killed and closed_on(city.database_url) >= args.kill_after * args.orders:
                victim.kill()
                print(f"killed the {victim.name} server with SIGKILL at {time.monotonic() - started:.0f} s", flush=True)
                time.sleep(5)
                victim.start(workers=2)
                print(f"restarted it at {time.monotonic() - started:.0f} s", flush=True)
                killed = True
            time.sleep(2)
        if any(p.returncode for p in actors):
            raise SystemExit("an actor failed; see var/bench-exchange/*/actor-*.log")
        seconds = time.monotonic() - started
        for _ in range(3):  # the last callbacks' events may still be on their way: let the outbox finish
            city_final, city_counts, city_backlog, city_mm = snapshot(city.database_url)
            district_final, district_counts, district_backlog, district_mm = snapshot(district.database_url)
            if city_backlog == district_backlog == 0:
                break
            city.call("sync")
            district.call("sync")
    finally:
        city.kill()
        district.kill()
    lost = duplicated = 0
    for order_id in city_final:
        if order_id not in district_final:
            lost += 1
            continue
        for pairs, sender, receiver in ((UP, district_counts, city_counts), (DOWN, city_counts, district_counts)):
            for sent_event, applied_event in pairs:
                diff = receiver[(order_id, applied_event)] - sender[(order_id, sent_event)]
                duplicated += max(0, diff)
                lost += max(0, -diff)
    lost += city_backlog + district_backlog
    mismatched = sum(1 for order_id, value in city_final.items() if district_final.get(order_id, value) != value) + city_mm + district_mm
    kinds = Counter(event for (_, event), n in city_counts.items() for _ in range(n))
    print(
        json.dumps(
            {
                "orders": len(city_final),
                "city_events": {
                    k: kinds[k]
                    for k in ("claim", "return", "reject_return", "request_extension", "approve_extension", "deny_extension", "reply", "reopen", "close")
                },
                "killed": args.kill if killed else None,
            },
            ensure_ascii=False,
        )
    )
    print(f"exchange pulled={len(district_final)} lost={lost} duplicated={duplicated} mismatched={mismatched} seconds={seconds:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("MINYI_DEBUG", "1")
    main()
