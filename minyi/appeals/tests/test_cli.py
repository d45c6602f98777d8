"""The minyi command: seed-demo, stats --json and serve, through the real entry points."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minyi.appeals.models import Appeal
from minyi.workflow import services as wf
from minyi.workflow.calendar import SHANGHAI

ANCHOR = "2026-11-20T00:00+08:00"


@pytest.mark.django_db
def test_seed_demo_then_stats_json() -> None:
    call_command("seed-demo", appeals=240, seed=7, anchor=ANCHOR, stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats", json=True, stdout=out)
    figures = json.loads(out.getvalue())
    assert set(figures) == {"total", "by_status", "by_channel", "by_department", "rates"}
    assert figures["total"] == 240 == sum(figures["by_status"].values())
    assert len(figures["by_status"]) >= 6
    assert sum(figures["by_channel"].values()) == 240
    for rate in ("response", "resolution", "satisfaction"):
        assert 0 < figures["rates"][rate] <= 1
    # Every appeal's audit trail replays to its stored state.
    for appeal in Appeal.objects.all()[:60]:
        assert wf.replay_state(appeal) is appeal.state
    # Some are overdue, some are rated.
    anchor = dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)
    assert Appeal.objects.open().filter(reply_due_at__lt=anchor, replied_at__isnull=True).exists()
    assert Appeal.objects.filter(satisfaction__isnull=False).exists()


@pytest.mark.django_db
def test_seed_demo_is_deterministic() -> None:
    call_command("seed-demo", appeals=30, seed=11, anchor=ANCHOR, stdout=io.StringIO())
    first = list(Appeal.objects.order_by("id").values_list("title", "status", "created_at"))
    # Audit rows are immutable, so instead of wiping, seed again and compare the new rows.
    call_command("seed-demo", appeals=30, seed=11, anchor=ANCHOR, stdout=io.StringIO())
    second = list(Appeal.objects.order_by("id").values_list("title", "status", "created_at"))[30:]
    assert first == second


@pytest.mark.django_db
def test_seed_demo_rejects_bad_arguments() -> None:
    with pytest.raises(CommandError, match="appeals"):
        call_command("seed-demo", appeals=-1, stdout=io.StringIO())
    with pytest.raises(CommandError, match="time zone"):
        call_command("seed-demo", appeals=1, anchor="2026-11-20T00:00", stdout=io.StringIO())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_login_in_chinese(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "MINYI_VAR_DIR": str(tmp_path)}
    minyi = [sys.executable, "-m", "minyi.cli"]
    subprocess.run([*minyi, "migrate", "-v0"], env=env, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([*minyi, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "登录" in body and 'lang="zh-hans"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/minyi/app.css", timeout=2) as response:
            assert b"--brand" in response.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
