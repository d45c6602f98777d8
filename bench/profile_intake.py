"""Where one API intake's time goes, in-process, on PostgreSQL: Python, SQL, and the top functions.

    python bench/profile_intake.py [--n 500] [--top 25]

A fresh PostgreSQL database, production-like settings (suggestions as an outbox job, not inline),
an API key; ``--n`` requests through Django's test client to ``POST /api/v1/appeals`` (the whole
stack of middleware, auth, validation, the action and the answer, without the HTTP server).
SQL time is measured around each statement (``connection.execute_wrapper``); the rest is Python.
It prints cProfile's top functions by cumulative time, then the last line:

    profile_intake n=N ms_per_appeal=X sql_ms=S python_ms=P statements=Q
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time

import freshdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.environ.update(freshdb.environment("postgresql", "minyi_profile_intake"))
    os.environ.update(MINYI_DEBUG="1", MINYI_TRIAGE_SUGGEST_MODE="async", MINYI_JOBS_TRANSPORT="celery", MINYI_LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from minyi.api.keys import create_api_key
    from minyi.directory.defaults import load_defaults
    from minyi.jobs import transport

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    load_defaults()
    transport.deliver = lambda ids, topic=None: None  # the broker hand-off is not what we measure here
    _, raw = create_api_key("profile", ["appeals:read", "appeals:write"], rate_limit=10**9)
    client = Client()

    def one(i: int) -> None:
        text = "明湖路一段路灯已经一周不亮，晚上出行不安全，请尽快维修。"
        body = {"channel": "12345", "title": f"明湖路路灯不亮{i}", "content": text, "phone": f"139{i:08d}"}
        response = client.post("/api/v1/appeals", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=raw, HTTP_IDEMPOTENCY_KEY=f"p{i}")
        assert response.status_code == 201, response.content

    for i in range(30):
        one(10_000_000 + i)
    sql = {"s": 0.0, "n": 0}

    def timed(execute, statement, params, many, context):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["s"] += time.perf_counter() - began
            sql["n"] += 1

    profiler = cProfile.Profile()
    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        profiler.enable()
        for i in range(args.n):
            one(i)
        profiler.disable()
        wall = time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    ms = wall / args.n * 1000
    sql_ms = sql["s"] / args.n * 1000
    print(f"profile_intake n={args.n} ms_per_appeal={ms:.2f} sql_ms={sql_ms:.2f} python_ms={ms - sql_ms:.2f} statements={sql['n'] / args.n:.1f}")


if __name__ == "__main__":
    main()
