"""Finding 3: default password policy (`Zhang2026` passed), create_staff skipped validation, no forced change or expiry."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from minyi.accounts import services
from minyi.accounts.validators import KNOWN_DEFAULT_PASSWORDS
from minyi.appeals.demo import DEMO_PASSWORD
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import PRODUCTION_ENV, password_for
from minyi.directory.services import create_staff
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.policy import Role

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("weak", ["Zhang2026", "zhangsan-2026", "ABCDEFGH1234", "Password123", "1234567890"])
def test_weak_passwords_are_refused(weak: str, db: None) -> None:
    user = get_user_model()(username="zhangsan", first_name="张三")
    with pytest.raises(ValidationError):
        validate_password(weak, user)


def test_a_strong_password_passes(db: None) -> None:
    validate_password("Lake&Bridge-42", get_user_model()(username="zhangsan"))


def test_create_staff_rejects_a_weak_password_and_creates_nothing(district: None) -> None:
    with pytest.raises(ValidationError):
        create_staff("zhang", Role.HANDLER, "zjj", password="Zhang2026")
    assert not get_user_model().objects.filter(username="zhang").exists()


def test_create_staff_without_password_leaves_it_unusable(district: None) -> None:
    user = create_staff("svc", Role.OPERATOR, None, password=None)
    assert not user.has_usable_password()
    assert services.password_must_change(user) is None


def test_demo_password_is_refused_outside_debug(settings: Any, db: None) -> None:
    assert DEMO_PASSWORD.casefold() in KNOWN_DEFAULT_PASSWORDS
    settings.DEBUG = False
    with pytest.raises(ValidationError, match="默认密码或演示密码"):
        validate_password(DEMO_PASSWORD, get_user_model()(username="newcomer"))
    with pytest.raises(ValidationError):
        validate_password("Admin@123", get_user_model()(username="newcomer"))
    settings.DEBUG = True  # the demo keeps its printed password
    validate_password(DEMO_PASSWORD, get_user_model()(username="newcomer"))


def test_demo_relaxation_is_refused_in_production(tmp_path: Any) -> None:
    env = {**os.environ, **PRODUCTION_ENV, "MINYI_DEMO_RELAXED": "1", "MINYI_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import minyi.settings"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "MINYI_DEMO_RELAXED" in result.stderr


def test_initial_password_must_be_changed_at_first_login(client: Client, district: None, production_identity: None) -> None:
    user = create_staff("zhou", Role.OPERATOR, "sjj-12345", password="Initial#Pass2026")
    client.force_login(user)
    response = client.get("/desk/intake")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/")
    page = client.get(response["Location"]).content.decode()
    assert "初始密码" in page
    response = client.post(
        "/accounts/password/?next=/desk/intake",
        {"old_password": "Initial#Pass2026", "new_password1": "Zhou-Own&Choice7", "new_password2": "Zhou-Own&Choice7"},
    )
    assert response.status_code == 302 and response["Location"] == "/desk/intake"
    assert client.get("/desk/intake").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityKind.PASSWORD_CHANGE, actor=user).count() == 1


def test_relaxed_demo_mode_is_ignored_when_debug_is_off(client: Client, district: None, production_identity: None, settings: Any) -> None:
    settings.MINYI_DEMO_RELAXED = True
    user = create_staff("zhou", Role.OPERATOR, "sjj-12345", password="Initial#Pass2026")
    client.force_login(user)
    assert client.get("/desk/intake")["Location"].startswith("/accounts/password/")


def test_expired_password_forces_a_change(client: Client, district: None, production_identity: None) -> None:
    with time_machine.travel(T0, tick=False):
        user = create_staff("wang", Role.OPERATOR, "sjj-12345", password=password_for("wang"), must_change_password=False)
    with time_machine.travel(T0 + dt.timedelta(days=89), tick=False):
        client.force_login(user)
        assert client.get("/desk/intake").status_code == 200
    with time_machine.travel(T0 + dt.timedelta(days=91), tick=False):
        client.force_login(user)
        response = client.get("/desk/intake")
        assert response["Location"].startswith("/accounts/password/")
        assert "90 天" in client.get(response["Location"]).content.decode()


def test_expiry_can_be_switched_off(client: Client, district: None, production_identity: None, settings: Any) -> None:
    settings.MINYI_PASSWORD_MAX_AGE_DAYS = 0
    with time_machine.travel(T0, tick=False):
        user = create_staff("wang", Role.OPERATOR, "sjj-12345", password=password_for("wang"), must_change_password=False)
    with time_machine.travel(T0 + dt.timedelta(days=400), tick=False):
        client.force_login(user)
        assert client.get("/desk/intake").status_code == 200


def test_the_last_five_passwords_may_not_be_reused(district: None) -> None:
    user = create_staff("li", Role.OPERATOR, None, password="First#Pass-001", must_change_password=False)
    for new in ("Second#Pass-002", "Third#Pass-003"):
        services.change_password(user, new)
    for reused in ("First#Pass-001", "Third#Pass-003"):
        with pytest.raises(ValidationError, match="最近 5 次"):
            services.change_password(user, reused)
    for new in ("Fourth#Pass-004", "Fifth#Pass-005", "Sixth#Pass-006", "Seventh#Pass-007"):
        services.change_password(user, new)
    services.change_password(user, "First#Pass-001")  # six changes later it has left the history


def test_reset_by_the_security_admin_forces_a_change(client: Client, admins: dict[str, Any], production_identity: None, settings: Any) -> None:
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset()
    user = admins["operator"]
    with pytest.raises(Exception, match="只有安全管理员"):
        services.reset_password(user, "Reset#Pass-2026", by=admins["admin"])
    services.reset_password(user, "Reset#Pass-2026", by=admins["secadmin"])
    assert SecurityEvent.objects.get(kind=SecurityKind.PASSWORD_RESET).target == "op"
    client.force_login(user)
    assert client.get("/desk/intake")["Location"].startswith("/accounts/password/")


@pytest.mark.parametrize("password", ["Password123!", "P@ssw0rd2026", "Qwerty@2026", "Welcome!2026"])
def test_a_common_word_dressed_up_with_digits_and_symbols_is_refused(password: str) -> None:
    """Found by the independent probe: Password123! passed length and character classes."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="常见单词"):
        validate_password(password)


def test_a_passphrase_is_accepted() -> None:
    from django.contrib.auth.password_validation import validate_password

    validate_password("Lake&Bridge#2026")
