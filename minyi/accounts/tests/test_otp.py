"""TOTP (django-otp) for the system, security and audit admins."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import password_for


def _code(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{(value + offset) % 10**device.digits:0{device.digits}d}"


def _password_login(client: Client, username: str) -> None:
    assert client.post("/login", {"username": username, "password": password_for(username)}).status_code == 302


def test_admin_without_totp_cannot_reach_admin(client: Client, admins: dict[str, Any], production_identity: None) -> None:
    _password_login(client, "adm")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/enroll/")
    assert client.get("/desk/dispatch")["Location"].startswith("/accounts/otp/enroll/")


def test_enrolment_shows_a_qr_code_and_the_secret_then_lets_the_admin_in(client: Client, admins: dict[str, Any], production_identity: None) -> None:
    _password_login(client, "adm")
    page = client.get("/accounts/otp/enroll/?next=/admin/").content.decode()
    device = TOTPDevice.objects.get(user=admins["admin"], confirmed=False)
    assert "<svg" in page and "otpauth" not in page.split("<svg")[0]
    secret = device.config_url.split("secret=")[1].split("&")[0]
    assert secret in page
    response = client.post("/accounts/otp/enroll/", {"token": _code(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityKind.OTP_ENROLL, actor=admins["admin"]).count() == 1


@pytest.fixture
def enrolled(admins: dict[str, Any]) -> TOTPDevice:
    return TOTPDevice.objects.create(user=admins["secadmin"], name="手机", confirmed=True)


def test_wrong_totp_is_refused_and_logged(client: Client, enrolled: TOTPDevice, production_identity: None) -> None:
    _password_login(client, "sec")
    assert client.get("/accounts/locks/")["Location"].startswith("/accounts/otp/verify/")
    page = client.post("/accounts/otp/verify/", {"token": _code(enrolled, offset=1)}).content.decode()
    assert "动态口令不正确" in page
    row = SecurityEvent.objects.get(kind=SecurityKind.OTP_FAILED)
    assert row.actor == enrolled.user and row.outcome == "denied"
    assert client.get("/accounts/locks/").status_code == 302  # still not through


def test_right_totp_after_the_password_lets_the_security_admin_in(client: Client, enrolled: TOTPDevice, production_identity: None) -> None:
    _password_login(client, "sec")
    response = client.post("/accounts/otp/verify/", {"token": _code(enrolled), "next": "/accounts/locks/"})
    assert response["Location"] == "/accounts/locks/"
    assert client.get("/accounts/locks/").status_code == 200


def test_roles_needing_totp_are_configurable(client: Client, admins: dict[str, Any], production_identity: None, settings: Any) -> None:
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset({"dispatcher"})
    _password_login(client, "disp")
    assert client.get("/desk/dispatch")["Location"].startswith("/accounts/otp/enroll/")
    other = Client()
    _password_login(other, "adm")
    assert other.get("/desk/dispatch").status_code == 200


def test_the_relaxed_demo_skips_totp(client: Client, admins: dict[str, Any], settings: Any) -> None:
    settings.DEBUG = True
    settings.MINYI_DEMO_RELAXED = True
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset({"admin"})
    _password_login(client, "adm")
    assert client.get("/desk/dispatch").status_code == 200
