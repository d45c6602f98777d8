"""Production refuses to start without its own audit key, and a retention period under 180 days."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minyi.conftest import PRODUCTION_ENV

PRODUCTION = {**PRODUCTION_ENV, "MINYI_AUDIT_KEY": "", "MINYI_AUDIT_KEY_FILE": ""}


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **PRODUCTION, **env}
    return subprocess.run(
        [sys.executable, "-c", "import minyi.settings"], env=environment, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({}, "MINYI_AUDIT_KEY"),
        ({"MINYI_AUDIT_KEY": "short"}, "MINYI_AUDIT_KEY"),
        ({"MINYI_AUDIT_KEY": "k" * 40, "MINYI_SECURITY_LOG_RETENTION_DAYS": "90"}, "180"),
        ({"MINYI_AUDIT_KEY": "k" * 40}, None),
    ],
)
def test_production_settings_need_an_audit_key(env: dict[str, str], refused: str | None) -> None:
    result = _load_settings(**env)
    if refused is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and refused in result.stderr


def test_the_key_may_come_from_a_file(tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    key.write_text("f" * 48 + "\n", encoding="utf-8")
    assert _load_settings(MINYI_AUDIT_KEY_FILE=str(key)).returncode == 0
