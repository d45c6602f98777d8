"""The audit administrator's page /audit/: only 审计管理员 sees it; filters, pages, "verify now"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.audit.services import record_security_event
from minyi.audit.tests.helpers import disable_guard, events, raw
from minyi.conftest import make_user
from minyi.workflow.policy import Role


@pytest.fixture
def auditor(district: None) -> Any:
    return make_user("aud", Role.AUDITOR, None)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_only_the_auditor_may_see_the_security_log(people: dict[str, Any], auditor: Any) -> None:
    secadmin = make_user("sec", Role.SECADMIN, None)
    for user in [people["admin"], people["supervisor"], people["operator"], secadmin]:
        assert _client(user).get("/audit/").status_code == 403
        assert _client(user).post("/audit/verify").status_code == 403
    denied = SecurityEvent.objects.filter(kind=SecurityKind.DENIED, actor=people["admin"])
    assert denied.count() == 2 and denied.first().target.startswith("/audit/")  # type: ignore[union-attr]
    assert Client().get("/audit/").status_code == 302  # to the login page
    page = _client(auditor).get("/audit/")
    assert page.status_code == 200
    assert "安全审计" in page.content.decode()


@pytest.mark.django_db
def test_filters_by_kind_user_address_and_date(auditor: Any) -> None:
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=10)):
        record_security_event(SecurityKind.LOGIN_FAILED, username="zhangsan", target="login")
    record_security_event(SecurityKind.LOGIN, username="zhangsan")
    record_security_event(SecurityKind.EXPORT_PII, username="lisi")
    client = _client(auditor)

    def listed(**params: str) -> list[str]:
        return [f"{e.actor_label}:{e.kind}" for e in client.get("/audit/", params).context["page"]]

    assert listed(kind="login_failed") == ["zhangsan:login_failed"]
    assert listed(user="lisi") == ["lisi:export_pii"]
    day = (now - dt.timedelta(days=10)).astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert listed(start=day, end=day) == ["zhangsan:login_failed"]
    assert listed(ip="10.") == []
    assert "起始日期不能晚于截止日期" in client.get("/audit/", {"start": "2026-02-02", "end": "2026-01-01"}).content.decode()


@pytest.mark.django_db
def test_the_log_is_paginated_newest_first(auditor: Any) -> None:
    events(55)
    client = _client(auditor)
    total = SecurityEvent.objects.filter(kind="login").count()  # the 55, and the auditor's own login
    first = client.get("/audit/", {"kind": "login"}).context["page"]
    assert len(first) == 50 and first.paginator.num_pages == 2
    ours = [e.target for e in first if e.target.startswith("t")]
    assert ours[:2] == ["t54", "t53"]
    second = client.get("/audit/", {"kind": "login", "page": "2"})
    assert len(second.context["page"]) == total - 50
    assert 'href="?kind=login&page=1"' in second.content.decode()


@pytest.mark.django_db
def test_verify_now_shows_the_result(auditor: Any) -> None:
    rows = events(2)
    client = _client(auditor)
    page = client.post("/audit/verify").content.decode()
    assert "审计链完整" in page
    disable_guard("audit_securityevent")
    raw("UPDATE audit_securityevent SET target = 'x' WHERE id = %s", [rows[0].pk])
    page = client.post("/audit/verify").content.decode()
    seq = SecurityEvent.objects.get(pk=rows[0].pk).seal_seq
    assert f"第 {rows[0].pk} 行（封存序号 {seq}）的内容与封存时不符" in page
    assert client.get("/audit/verify").status_code == 405
