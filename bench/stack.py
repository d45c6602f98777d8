"""The production stack for benchmarks: a fresh PostgreSQL database, gunicorn, Celery workers, Redis.

Used by ``http_intake.py`` and ``worker_fault.py``. Everything runs as it would in production
(no ``MINYI_DEBUG``, keys from the environment, the Celery transport on the machine's Redis);
only the database, the Redis databases and the ports are the benchmark's own.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import freshdb

REPO = freshdb.REPO
MINYI = str(REPO / ".venv" / "bin" / "minyi")
PYTHON = str(REPO / ".venv" / "bin" / "python")
BROKER = "redis://127.0.0.1:6379/12"
CACHE = "redis://127.0.0.1:6379/11"

SEED = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minyi.settings")
django.setup()
from minyi.api.keys import create_api_key
from minyi.directory.defaults import load_defaults
load_defaults()
key, raw = create_api_key("bench", ["appeals:read", "appeals:write"], rate_limit=10_000_000)
print("KEY" + raw)
"""


def production_env(db_name: str, model: Path | None) -> dict[str, str]:
    env = freshdb.environment("postgresql", db_name)
    env.pop("MINYI_DEBUG", None)
    var_dir = tempfile.mkdtemp(prefix=f"{db_name}-")
    env.update(
        MINYI_SECRET_KEY=secrets.token_urlsafe(48),
        MINYI_AUDIT_KEY=secrets.token_urlsafe(48),
        MINYI_PII_KEYS=f"1:{secrets.token_hex(16)}",
        MINYI_ALLOWED_HOSTS="127.0.0.1",
        MINYI_VAR_DIR=var_dir,
        MINYI_JOBS_TRANSPORT="celery",
        MINYI_BROKER_URL=BROKER,
        MINYI_CACHE_URL=CACHE,
        MINYI_TRIAGE_SUGGEST_MODE="async",
        MINYI_LOG_LEVEL="WARNING",
        MINYI_NOTIFY_BACKEND="null",
    )
    if model is not None:
        env["MINYI_TRIAGE_MODEL"] = str(model)
    return env


@dataclass
class Stack:
    env: dict[str, str]
    port: int
    web: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api_key: str = ""

    def prepare(self) -> None:
        import redis

        for url in (BROKER, CACHE):
            redis.Redis.from_url(url).flushdb()
        for step in (["migrate", "--noinput"],):
            subprocess.run([MINYI, *step], env=self.env, check=True, capture_output=True, timeout=1800)
        out = subprocess.run([PYTHON, "-c", SEED], env=self.env, check=True, capture_output=True, text=True, timeout=600).stdout
        self.api_key = next(line[3:] for line in out.splitlines() if line.startswith("KEY"))

    def log(self, name: str) -> int:
        return os.open(Path(self.env["MINYI_VAR_DIR"]) / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def start_web(self, workers: int, threads: int) -> None:
        args = [MINYI, "serve", "--port", str(self.port), "--workers", str(workers), "--threads", str(threads)]
        self.web = subprocess.Popen(args, env=self.env, stdout=self.log("web"), stderr=subprocess.STDOUT)
        self.wait_ready()

    def start_worker(self, concurrency: int) -> subprocess.Popen[bytes]:
        args = [MINYI, "worker", "--concurrency", str(concurrency), "--loglevel", "WARNING"]
        proc = subprocess.Popen(args, env=self.env, stdout=self.log("worker"), stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def start_beat(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([MINYI, "beat", "--loglevel", "WARNING"], env=self.env, stdout=self.log("beat"), stderr=subprocess.STDOUT)
        self.workers.append(proc)
        return proc

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/readyz", headers={"Host": "127.0.0.1"})
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"the web server did not become ready; see {self.env['MINYI_VAR_DIR']}/web.log")

    def web_pids(self) -> list[int]:
        """gunicorn's master and its workers."""
        return [self.web.pid, *children(self.web.pid)] if self.web else []

    def worker_pids(self) -> list[int]:
        return [pid for p in self.workers if p.poll() is None for pid in (p.pid, *children(p.pid))]

    def rss_mb(self) -> float:
        return sum(rss_kb(pid) for pid in self.web_pids() + self.worker_pids()) / 1024

    def stop(self) -> None:
        for proc in [self.web, *self.workers]:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [self.web, *self.workers]:
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute(statement).fetchall()  # type: ignore[arg-type]


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return []
    kids = [int(x) for x in out.split()]
    return kids + [g for k in kids for g in children(k)]


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def post(conn: http.client.HTTPConnection, key: str, body: dict[str, object], idem: str) -> int:
    payload = json.dumps(body, ensure_ascii=False).encode()
    conn.request(
        "POST",
        "/api/v1/appeals",
        body=payload,
        headers={
            "Host": "127.0.0.1",
            "Content-Type": "application/json",
            "X-API-Key": key,
            "Idempotency-Key": idem,
        },
    )
    response = conn.getresponse()
    response.read()
    return response.status


def payload(i: int) -> dict[str, object]:
    """The same appeal texts for minyi and the peer: a hotline complaint with a place and a phone."""
    places = ["明湖路", "湖滨新村", "桂园路", "青枫路", "幸福小区", "云塘街"]
    topics = [
        ("路灯不亮", "一段路灯已经一周不亮，晚上出行不安全，请尽快维修。"),
        ("噪音扰民", "附近工地连续三天晚上十点以后还在施工，噪音很大，孩子无法入睡。"),
        ("拖欠工资", "公司已拖欠三个月工资共计三万余元，多次讨要无果，请劳动监察部门帮助。"),
        ("垃圾未清运", "小区门口垃圾桶已经满了三天没人清运，气味很大。"),
        ("占道经营", "早市摊贩占用人行道，行人只能走机动车道，很危险。"),
    ]
    title, text = topics[i % len(topics)]
    place = places[i % len(places)]
    return {"channel": "12345", "title": f"{place}{title}", "content": f"{place}{text}（第{i}件）", "phone": f"139{i:08d}", "kind": "complaint"}
