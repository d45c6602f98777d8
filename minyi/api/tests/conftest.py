"""Fixtures for the API tests: keys with scopes, acting as staff users of a given role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from minyi.api.keys import create_api_key
from minyi.workflow.policy import Role

# Every scope but pii:read: tests that need personal data in full ask for it.
ALL_SCOPES = ["appeals:read", "appeals:read-all", "appeals:write", "appeals:act", "directory:read", "stats:read", "open311"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live-server and webhook tests talk to 127.0.0.1; an HTTP proxy from the environment must not intercept."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


@pytest.fixture
def make_key(district: None) -> Callable[..., str]:
    """make_key(name, scopes=ALL, role=admin, department=...) -> the secret to send in X-API-Key."""

    def build(
        name: str = "test", scopes: list[str] | None = None, role: Role = Role.ADMIN, department: str | None = "sjj", **kw: Any
    ) -> str:
        _, raw = create_api_key(name, scopes or ALL_SCOPES, role=role, department_code=department, **kw)
        return raw

    return build
