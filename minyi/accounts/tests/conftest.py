"""Identity tests see production's rules: TOTP for the three admins, no demo relaxation, debug off."""

from __future__ import annotations

from typing import Any

import pytest

from minyi.conftest import make_user
from minyi.workflow.policy import Role


@pytest.fixture
def production_identity(settings: Any) -> None:
    settings.DEBUG = False
    settings.MINYI_DEMO_RELAXED = False
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset({"admin", "secadmin", "auditor"})


@pytest.fixture
def admins(people: dict[str, Any]) -> dict[str, Any]:
    """The three admins of 三员分立 besides the usual cast (``people["admin"]`` is the system admin)."""
    return {**people, "secadmin": make_user("sec", Role.SECADMIN, None), "auditor": make_user("aud", Role.AUDITOR, None)}
