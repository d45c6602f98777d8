"""The systemd units in deploy/ parse, start minyi's real commands, and restart on failure."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
UNITS = {"minyi-web.service": "serve", "minyi-worker.service": "worker", "minyi-beat.service": "beat"}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)  # systemd allows repeated keys
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive in systemd
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_each_unit_runs_a_minyi_command_and_restarts(name: str, command: str) -> None:
    unit = _unit(name)
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[0].endswith("/minyi") and argv[1] == command
    assert command in get_commands(), f"minyi {command} does not exist"
    assert unit["Service"]["Restart"] == "always"
    assert unit["Service"]["EnvironmentFile"] == "/etc/minyi/minyi.env"
    assert unit["Service"]["User"] == "minyi" and unit["Service"]["NoNewPrivileges"] == "true"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_worker_and_beat_use_celery_and_the_web_reloads_gracefully() -> None:
    for name in ("minyi-worker.service", "minyi-beat.service"):
        assert "MINYI_JOBS_TRANSPORT=celery" in _unit(name)["Service"]["Environment"]
    web = _unit("minyi-web.service")["Service"]
    assert web["ExecReload"] == "/bin/kill -HUP $MAINPID" and web["KillSignal"] == "SIGTERM"


def test_the_example_environment_names_only_real_settings() -> None:
    from django.conf import settings

    names = [line.split("=", 1)[0].lstrip("# ").strip() for line in (DEPLOY / "minyi.env.example").read_text(encoding="utf-8").splitlines()
             if "=" in line and not line.startswith("# /")]
    source = (Path(settings.BASE_DIR) / "settings.py").read_text(encoding="utf-8")
    unknown = [n for n in names if n != "DATABASE_URL" and n not in source]
    assert not unknown, f"unknown settings in minyi.env.example: {unknown}"
