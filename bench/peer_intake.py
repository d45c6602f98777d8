"""One client, the same appeal texts, minyi against the peer ``baisitong2`` in the same run.

    python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install baisitong2==1.0.2   # once, outside the repository
    python bench/peer_intake.py --peer-python /tmp/peer-venv/bin/python [--n 1000]

The peer (FastAPI + SQLite, rule-based analysis, no auth, no audit) runs as its own command on
a throw-away SQLite file; minyi runs its production stack (``bench/stack.py``: gunicorn, Celery,
Redis, PostgreSQL, triage on, API key, audit rows, outbox). One client sends ``--n`` appeals to
each, one after another, on a keep-alive connection, the peer first. The last line:

    peer_intake n=N minyi/s=X peer/s=Y ratio=R minyi_p50_ms= peer_p50_ms=

The peer's code is never committed; it is installed from PyPI into a venv of its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from stack import REPO, Stack, payload, post, production_env


def one_client(send: object, n: int) -> tuple[float, float]:
    """Appeals per second and p50 latency (ms) for ``n`` sequential requests through ``send(i) -> status``."""
    times = []
    started = time.perf_counter()
    for i in range(n):
        began = time.perf_counter()
        status = send(i)  # type: ignore[operator]
        if status not in (200, 201):
            raise SystemExit(f"request {i} answered {status}")
        times.append(time.perf_counter() - began)
    return n / (time.perf_counter() - started), statistics.median(times) * 1000


def run_peer(python: str, n: int, port: int) -> tuple[float, float]:
    workdir = tempfile.mkdtemp(prefix="peer-")
    env = {**os.environ, "LLM_API_KEY": "", "LOG_LEVEL": "WARNING", "DATABASE_URL": f"sqlite:///{workdir}/peer.db"}
    with open(Path(workdir) / "peer.log", "wb") as log:
        args = [python, "-m", "baisitong2", "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(args, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            try:
                conn.request("GET", "/docs")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the peer did not start; see {workdir}/peer.log") from None
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                time.sleep(0.3)

        def send(i: int) -> int:
            p = payload(i)
            body = json.dumps({"content": f"{p['title']}：{p['content']}", "source": "12345转办", "contact": p["phone"]}, ensure_ascii=False).encode()
            conn.request("POST", "/api/appeals", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            return response.status

        for i in range(20):  # warm-up
            send(10_000_000 + i)
        return one_client(send, n)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run_minyi(n: int, port: int, model: Path) -> tuple[float, float]:
    stack = Stack(production_env("minyi_peer_intake", model if model.is_file() else None), port)
    stack.prepare()
    try:
        stack.start_web(os.cpu_count() or 1, 4)
        stack.start_worker(1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(20):  # warm-up
            post(conn, stack.api_key, payload(10_000_000 + i), f"warm-{i}")
        return one_client(lambda i: post(conn, stack.api_key, payload(i), f"peer-{i}"), n)
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", required=True, help="python of a venv with baisitong2 installed")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--model", type=Path, default=REPO / "var" / "models" / "bench-triage.npz")
    args = parser.parse_args()
    peer_rate, peer_p50 = run_peer(args.peer_python, args.n, 18731)
    minyi_rate, minyi_p50 = run_minyi(args.n, 18730, args.model)
    print(
        f"peer_intake n={args.n} minyi/s={minyi_rate:.1f} peer/s={peer_rate:.1f} ratio={minyi_rate / peer_rate:.2f} "
        f"minyi_p50_ms={minyi_p50:.1f} peer_p50_ms={peer_p50:.1f}"
    )


if __name__ == "__main__":
    main()
