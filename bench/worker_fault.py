"""Nothing acknowledged is lost or duplicated when a web process and a Celery worker die mid-load.

    python bench/worker_fault.py [--n 2000] [--clients 8] [--model var/models/bench-triage.npz]

The production stack (``bench/stack.py``) with two gunicorn workers and two Celery workers, a
webhook subscribed to "created" that points at a receiver in this process. Clients send ``--n``
intakes with an idempotency key each and retry any request that got no answer or an error, with
the same key, as a real integration would. A third of the way in, one gunicorn worker and one
Celery worker are killed with SIGKILL (gunicorn replaces its worker; the Celery worker stays dead,
so its prefetched tasks are recovered only through the outbox relay). The last line:

    worker_fault acknowledged=A stored=S suggestions=G lost=L duplicated=D webhooks_lost=W

A: appeals the server acknowledged (201/200); S: appeals in the database; G: those with stored
suggestions; L: acknowledged numbers missing from the database; D: extra rows for one key;
W: "created" deliveries the receiver never got (it deduplicates on X-Minyi-Delivery).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stack import PYTHON, REPO, Stack, children, payload, production_env


class Receiver:
    """A webhook receiver that counts distinct deliveries of 'created' (and their appeals)."""

    def __init__(self) -> None:
        self.deliveries: set[str] = set()
        self.numbers: set[str] = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.deliveries.add(self.headers.get("X-Minyi-Delivery", ""))
                    receiver.numbers.add(json.loads(body)["appeal"]["number"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def subscribe(stack: Stack, port: int) -> None:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'minyi.settings'); django.setup()\n"
        "from minyi.api.models import Webhook\n"
        f"Webhook.objects.create(name='fault', url='http://127.0.0.1:{port}/hook', secret='fault-secret', events='created')\n"
    )
    subprocess.run([PYTHON, "-c", code], env=stack.env, check=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--model", type=Path, default=REPO / "var" / "models" / "bench-triage.npz")
    parser.add_argument("--port", type=int, default=18720)
    args = parser.parse_args()
    stack = Stack(production_env("minyi_worker_fault", args.model if args.model.is_file() else None), args.port)
    stack.prepare()
    receiver = Receiver()
    subscribe(stack, receiver.port)
    acknowledged: dict[int, str] = {}
    lock = threading.Lock()
    sent = 0
    killed: list[str] = []
    try:
        stack.start_web(2, 4)
        stack.start_worker(1)
        victim = stack.start_worker(1)
        stack.start_beat()  # the relay and webhook retries, as in production

        def client(ids: list[int]) -> None:
            nonlocal sent
            conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
            for i in ids:
                for attempt in range(50):  # retry with the same key until acknowledged
                    try:
                        body = json.dumps(payload(i), ensure_ascii=False).encode()
                        conn.request(
                            "POST",
                            "/api/v1/appeals",
                            body=body,
                            headers={
                                "Host": "127.0.0.1",
                                "Content-Type": "application/json",
                                "X-API-Key": stack.api_key,
                                "Idempotency-Key": f"fault-{i}",
                            },
                        )
                        response = conn.getresponse()
                        data = response.read()
                        if response.status in (200, 201):
                            with lock:
                                acknowledged[i] = json.loads(data)["number"]
                                sent += 1
                            break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
                    time.sleep(min(2.0, 0.05 * (attempt + 1)))

        threads = [threading.Thread(target=client, args=(list(range(c, args.n, args.clients)),)) for c in range(args.clients)]
        for t in threads:
            t.start()
        while sent < args.n // 3:
            time.sleep(0.05)
        web_workers = children(stack.web.pid) if stack.web else []
        if web_workers:
            os.kill(web_workers[0], signal.SIGKILL)
            killed.append(f"web worker {web_workers[0]}")
        os.kill(victim.pid, signal.SIGKILL)
        for pid in children(victim.pid):
            os.kill(pid, signal.SIGKILL)
        killed.append(f"celery worker {victim.pid}")
        for t in threads:
            t.join()
        # The surviving worker, with beat's relay re-driving what the dead one held, finishes everything.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            [(pending,)] = stack.sql("SELECT count(*) FROM jobs_job WHERE state = 'pending'")
            [(undelivered,)] = stack.sql("SELECT count(*) FROM api_delivery WHERE status = 'pending'")
            if pending == 0 and undelivered == 0:
                break
            time.sleep(2)
        [(stored,)] = stack.sql("SELECT count(*) FROM appeals_appeal")
        [(suggested,)] = stack.sql("SELECT count(*) FROM appeals_appeal WHERE triage::text <> '{}'")
        [(keys,)] = stack.sql("SELECT count(DISTINCT idempotency_key) FROM appeals_appeal")
        numbers = {row[0] for row in stack.sql("SELECT number FROM appeals_appeal")}
    finally:
        stack.stop()
    lost = len(set(acknowledged.values()) - numbers)
    duplicated = int(stored) - int(keys)  # type: ignore[call-overload]
    webhooks_lost = len(set(acknowledged.values()) - receiver.numbers)
    print(f"killed: {', '.join(killed)}")
    print(
        f"worker_fault acknowledged={len(acknowledged)} stored={stored} suggestions={suggested} lost={lost} "
        f"duplicated={duplicated} webhooks_lost={webhooks_lost}"
    )


if __name__ == "__main__":
    main()
