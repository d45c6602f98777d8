"""Penetration test H3, H4 and L1: the API behind the identity gate, masked for sessions, logged for keys, wrong keys limited."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from minyi.appeals.models import Appeal
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.conftest import intake, make_user, password_for
from minyi.directory.services import create_staff
from minyi.workflow.calendar import SHANGHAI
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
ID_NUMBER = "320502198801012345"
CONTENT = f"明湖路 88 号门口路灯坏了一周，我的身份证 {ID_NUMBER}，电话 {PHONE}。"


@pytest.fixture
def production_identity(settings: Any) -> None:
    """As in production: TOTP for the three admins, no demo relaxation."""
    settings.DEBUG = False
    settings.MINYI_DEMO_RELAXED = False
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset({"admin", "secadmin", "auditor"})


def _password_login(client: Client, username: str) -> None:
    assert client.post("/login", {"username": username, "password": password_for(username)}).status_code == 302


def _appeal(people: dict[str, Any]) -> Appeal:
    return intake(by=people["operator"], submitter_name="王小明", address="明湖路188号3幢402室", content=CONTENT)


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data: dict[str, Any] = response.json()
    assert data["code"] == code and data["message_en"] and set(data) == {"code", "message", "message_en", "fields"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in data["message"])  # a Chinese sentence
    return data


# ---- H3: the second factor, the forced password change and 三员分立 hold for the API too ----


def test_admin_without_totp_is_refused_by_the_api_until_the_second_factor(production_identity: None, people: dict[str, Any]) -> None:
    appeal = _appeal(people)
    client = Client()  # CSRF is not what stops the write below: the test client passes it, as a real token would
    _password_login(client, "adm")
    assert client.get("/admin/")["Location"].startswith("/accounts/otp/enroll/")  # the pages already ask for TOTP
    _refused(client.get("/api/v1/appeals"), 401, "otp_required")
    _refused(client.get(f"/api/v1/appeals/{appeal.number}"), 401, "otp_required")
    raised = client.post(f"/api/v1/appeals/{appeal.number}/raise-priority", {"priority": "urgent", "reason": "测试"}, content_type="application/json")
    _refused(raised, 401, "otp_required")
    appeal.refresh_from_db()
    assert appeal.priority == "normal"


def test_admin_after_totp_uses_the_api(production_identity: None, people: dict[str, Any]) -> None:
    device = TOTPDevice.objects.create(user=people["admin"], name="手机", confirmed=True)
    client = Client()
    _password_login(client, "adm")
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
    assert client.post("/accounts/otp/verify/", {"token": code, "next": "/desk/"}).status_code == 302
    assert client.get("/api/v1/departments").status_code == 200


def test_a_password_that_must_change_closes_the_api(production_identity: None, district: None) -> None:
    create_staff("wang", Role.OPERATOR, "sjj-12345", password=password_for("wang"), must_change_password=True)
    client = Client()
    _password_login(client, "wang")
    _refused(client.get("/api/v1/appeals"), 403, "password_change_required")


@pytest.mark.parametrize("role", [Role.SECADMIN, Role.AUDITOR])
def test_security_and_audit_admins_get_403_on_the_whole_api(role: Role, production_identity: None, settings: Any, people: dict[str, Any]) -> None:
    settings.MINYI_OTP_REQUIRED_ROLES = frozenset()  # as if their second factor were done: 三员分立 alone refuses them
    user = make_user("sep", role, None)
    client = Client()
    client.force_login(user)
    for path in ("/api/v1/appeals", "/api/v1/departments", "/api/v1/stats", "/api/v1/openapi.json", "/api/v1/docs"):
        _refused(client.get(path), 403, "separated_role")
    assert client.get("/accounts/password/").status_code != 403  # their own pages stay open


# ---- H4: sessions see the API masked like the pages; pii:read keys leave a row per answer ----


@pytest.mark.parametrize("role", ["operator", "dispatcher", "admin"])
def test_session_sees_appeals_masked_as_on_the_pages(role: str, people: dict[str, Any]) -> None:
    appeal = _appeal(people)
    client = Client()
    client.force_login(people[role])
    one = client.get(f"/api/v1/appeals/{appeal.number}").json()
    listing = client.get("/api/v1/appeals").json()["results"]
    timeline = client.get(f"/api/v1/appeals/{appeal.number}/timeline").json()
    for row in (one, *[r for r in listing if r["number"] == appeal.number]):
        assert row["phone"] == "138****5678"
        assert ID_NUMBER not in row["content"] and PHONE not in row["content"]
        assert row["submitter_name"] == "王小明" and row["address"] == "明湖路188号3幢402室"  # as present() shows acting roles
    assert PHONE not in json.dumps([one, listing, timeline], ensure_ascii=False)
    assert not SecurityEvent.objects.filter(kind__in=[SecurityKind.REVEAL_PII, SecurityKind.EXPORT_PII]).exists()


def test_handler_session_sees_its_appeal_masked(people: dict[str, Any], appeal_in: Any) -> None:
    appeal = appeal_in(State.DISPATCHED)
    Appeal.objects.filter(pk=appeal.pk).update(content=CONTENT)
    client = Client()
    client.force_login(people["handler"])
    row = client.get(f"/api/v1/appeals/{appeal.number}").json()
    assert row["phone"] == "138****5678" and ID_NUMBER not in row["content"]


def test_leader_session_sees_name_and_house_number_masked(people: dict[str, Any]) -> None:
    appeal = _appeal(people)
    client = Client()
    client.force_login(people["leader"])
    row = client.get(f"/api/v1/appeals/{appeal.number}").json()
    assert (row["submitter_name"], row["address"], row["phone"]) == ("王**", "明湖路*号*幢*室", "138****5678")


def test_pii_read_key_answers_are_logged_one_row_per_request(client: Client, make_key: Any, people: dict[str, Any]) -> None:
    appeals = [_appeal(people) for _ in range(3)]
    raw = make_key("crm", scopes=["appeals:read", "appeals:read-all", "pii:read"], role=Role.OPERATOR, department="sjj-12345")
    one = client.get(f"/api/v1/appeals/{appeals[0].number}", HTTP_X_API_KEY=raw).json()
    assert one["phone"] == PHONE  # the scope still gives the data in full
    [reveal] = SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII)
    assert reveal.target == appeals[0].number and reveal.actor is not None and reveal.actor.username == "api-crm"
    assert reveal.details["api_key"] == "crm" and reveal.details["prefix"] and reveal.details["appeals"] == [appeals[0].number]
    assert reveal.details["endpoint"] == f"GET /api/v1/appeals/{appeals[0].number}"
    assert client.get("/api/v1/appeals?page_size=2", HTTP_X_API_KEY=raw).status_code == 200
    [export] = SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII)
    assert export.details["count"] == 2 and set(export.details["appeals"]) <= {a.number for a in appeals}
    assert export.details["endpoint"] == "GET /api/v1/appeals"
    client.get(f"/api/v1/appeals/{appeals[1].number}/timeline", HTTP_X_API_KEY=raw)
    assert SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII).count() == 2


def test_key_without_pii_read_leaves_no_disclosure_row(client: Client, make_key: Any, people: dict[str, Any]) -> None:
    appeal = _appeal(people)
    raw = make_key("masked", scopes=["appeals:read", "appeals:read-all"], role=Role.OPERATOR, department="sjj-12345")
    assert client.get(f"/api/v1/appeals/{appeal.number}", HTTP_X_API_KEY=raw).json()["phone"] == "138****5678"
    client.get("/api/v1/appeals", HTTP_X_API_KEY=raw)
    assert not SecurityEvent.objects.filter(kind__in=[SecurityKind.REVEAL_PII, SecurityKind.EXPORT_PII]).exists()


# ---- L1: wrong keys are logged once a minute per address and limited ----

MOMENT = dt.datetime(2026, 3, 2, 10, 0, 5, tzinfo=SHANGHAI)


def _bad(client: Client, n: int, address: str = "127.0.0.1") -> Any:
    return client.get("/api/v1/departments", HTTP_X_API_KEY=f"mk_deadbeef_guess{n}", REMOTE_ADDR=address)


def test_wrong_keys_are_logged_once_a_minute_and_limited_per_address(client: Client, make_key: Any) -> None:
    good = make_key("good", scopes=["directory:read"])
    with time_machine.travel(MOMENT, tick=False) as traveller:
        for n in range(20):
            _refused(_bad(client, n), 401, "unauthorized")
        limited = _refused(_bad(client, 20), 429, "bad_keys_limited")
        assert "无效的 API 密钥过多" in limited["message"]
        assert _bad(client, 21)["Retry-After"] == "55"
        # A right key from the same address waits too: a guesser cannot tell a hit by its answer.
        assert client.get("/api/v1/departments", HTTP_X_API_KEY=good).status_code == 429
        _refused(_bad(client, 0, address="10.0.0.9"), 401, "unauthorized")  # another address has its own budget
        rows = SecurityEvent.objects.filter(kind=SecurityKind.DENIED, details__reason="invalid_api_key")
        assert sorted(rows.values_list("ip", flat=True)) == ["10.0.0.9", "127.0.0.1"]  # one row per address per minute
        row = rows.get(ip="127.0.0.1")
        assert row.outcome == "denied" and row.details["prefix"] == "deadbeef" and "guess" not in json.dumps(row.details)
        assert row.details["endpoint"] == "GET /api/v1/departments"
        traveller.shift(dt.timedelta(seconds=60))
        assert client.get("/api/v1/departments", HTTP_X_API_KEY=good).status_code == 200
        _refused(_bad(client, 99), 401, "unauthorized")
        assert rows.filter(ip="127.0.0.1").count() == 2  # a new minute, a new row


def test_the_wrong_key_limit_is_a_setting(client: Client, district: None, settings: Any) -> None:
    settings.MINYI_API_BAD_KEYS_PER_MINUTE = 2
    with time_machine.travel(MOMENT, tick=False):
        assert [_bad(client, n).status_code for n in range(4)] == [401, 401, 429, 429]


def test_open311_with_a_pii_read_key_is_logged_and_wrong_keys_are_limited(
    client: Client, make_key: Any, people: dict[str, Any], settings: Any
) -> None:
    appeal = _appeal(people)
    raw = make_key("city311", scopes=["open311", "appeals:read-all", "pii:read"], role=Role.OPERATOR, department="sjj-12345")
    assert client.get(f"/open311/v2/requests/{appeal.number}.json?api_key={raw}").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityKind.REVEAL_PII, target=appeal.number).count() == 1
    assert client.get(f"/open311/v2/requests.json?api_key={raw}").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityKind.EXPORT_PII).count() == 1
    settings.MINYI_API_BAD_KEYS_PER_MINUTE = 3
    statuses = [client.get("/open311/v2/requests.json?api_key=mk_deadbeef_guess").status_code for _ in range(5)]
    assert statuses[:3] == [403, 403, 403] and 429 in statuses[3:]
    assert SecurityEvent.objects.filter(kind=SecurityKind.DENIED, details__reason="invalid_api_key").count() == 1
