"""Appeals per second over HTTP through the production stack, with AI suggestions on.

    python bench/http_intake.py --clients 16 --n 3000 [--model var/models/bench-triage.npz]
                                [--web-workers 2] [--threads 4] [--celery 1 --concurrency 1]

It starts the stack itself (``bench/stack.py``): a fresh PostgreSQL database, ``minyi serve``
(gunicorn), ``minyi worker`` (Celery on the machine's Redis), production settings. ``--clients``
threads, each on its own keep-alive connection, POST single appeals to ``/api/v1/appeals`` with
an idempotency key each. The last line:

    http_intake clients=C n=N appeals/s=X p50_ms= p99_ms= errors=E suggestions_lag_s=L rss_mb=R

``appeals/s`` counts answers 201 over the wall time of the load; ``suggestions_lag_s`` is how long
after the last answer the last suggestion was stored; ``rss_mb`` sums gunicorn's and Celery's processes.
The load generator shares the machine's cores with the stack and PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import threading
import time
from pathlib import Path

from stack import REPO, Stack, payload, post, production_env


def run_load(stack: Stack, clients: int, n: int, offset: int = 0) -> tuple[float, list[float], int, int]:
    latencies: list[float] = []
    created = errors = 0
    lock = threading.Lock()
    per_client = [list(range(offset + c, offset + n, clients)) for c in range(clients)]

    def client(ids: list[int]) -> None:
        nonlocal created, errors
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
        mine: list[float] = []
        ok = bad = 0
        for i in ids:
            began = time.perf_counter()
            try:
                status = post(conn, stack.api_key, payload(i), f"bench-{i}")
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - began)
            ok, bad = (ok + 1, bad) if status == 201 else (ok, bad + 1)
        with lock:
            latencies.extend(mine)
            created += ok
            errors += bad

    threads = [threading.Thread(target=client, args=(ids,)) for ids in per_client]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, created, errors


def wait_for_suggestions(stack: Stack, expected: int, timeout: float = 600) -> float:
    """Seconds until every appeal has its stored suggestion (or the timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        [(done,)] = stack.sql("SELECT count(*) FROM appeals_appeal WHERE triage::text <> '{}'")
        if int(done) >= expected:  # type: ignore[call-overload]
            return time.monotonic() - started
        time.sleep(0.2)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--model", type=Path, default=REPO / "var" / "models" / "bench-triage.npz")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--celery", type=int, default=1, help="Celery worker processes (each with --concurrency)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--port", type=int, default=18700)
    args = parser.parse_args()
    model = args.model if args.model.is_file() else None
    if model is None:
        print(f"no model at {args.model}: suggestions carry urgency, place and duplicates only (train one with minyi triage train)")
    stack = Stack(production_env("minyi_http_intake", model), args.port)
    stack.prepare()
    try:
        stack.start_web(args.web_workers, args.threads)
        for _ in range(args.celery):
            stack.start_worker(args.concurrency)
        run_load(stack, min(args.clients, 4), args.warmup, offset=10_000_000)  # warm every worker (model load, caches)
        wait_for_suggestions(stack, args.warmup)
        wall, latencies, created, errors = run_load(stack, args.clients, args.n)
        lag = wait_for_suggestions(stack, args.warmup + created)
        rss = stack.rss_mb()
    finally:
        stack.stop()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"http_intake clients={args.clients} n={args.n} appeals/s={created / wall:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"errors={errors} suggestions_lag_s={lag:.1f} rss_mb={rss:.0f}"
    )


if __name__ == "__main__":
    main()
