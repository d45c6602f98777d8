"""ADMIN_CHANGE for every change made in Django admin, API_KEY for keys created and revoked."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from minyi.api.keys import create_api_key
from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.workflow.models import CalendarOverride


@pytest.fixture
def admin_client_(people: dict[str, Any]) -> Client:
    user = people["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_add_change_and_delete_are_in_the_security_log(admin_client_: Client, people: dict[str, Any]) -> None:
    url = "/admin/workflow/calendaroverride/"
    assert admin_client_.post(url + "add/", {"day": "2031-01-01", "is_workday": "", "note": "元旦"}).status_code == 302
    override = CalendarOverride.objects.get(day="2031-01-01")
    admin_client_.post(f"{url}{override.pk}/change/", {"day": "2031-01-01", "is_workday": "on", "note": "调休"})
    admin_client_.post(f"{url}{override.pk}/delete/", {"post": "yes"})
    rows = list(SecurityEvent.objects.filter(kind=SecurityKind.ADMIN_CHANGE).order_by("id"))
    assert [r.details["action"] for r in rows] == ["add", "change", "delete"]
    assert {r.actor_id for r in rows} == {people["admin"].pk}
    assert {r.ip for r in rows} == {"10.1.2.3"}
    assert rows[0].target == f"workflow.calendaroverride:{override.pk}"


@pytest.mark.django_db
def test_admin_bulk_delete_is_in_the_security_log(admin_client_: Client) -> None:
    a = CalendarOverride.objects.create(day="2031-02-01", is_workday=True)
    b = CalendarOverride.objects.create(day="2031-02-02", is_workday=True)
    response = admin_client_.post(
        "/admin/workflow/calendaroverride/", {"action": "delete_selected", "_selected_action": [a.pk, b.pk], "post": "yes"}
    )
    assert response.status_code == 302 and not CalendarOverride.objects.exists()
    [row] = SecurityEvent.objects.filter(kind=SecurityKind.ADMIN_CHANGE)
    assert row.details["action"] == "delete" and len(row.details["objects"]) == 2 and row.ip == "10.1.2.3"


@pytest.mark.django_db
def test_api_key_create_and_revoke_are_in_the_security_log(district: None) -> None:
    key, _ = create_api_key("integration-x", ["appeals:read"])
    call_command("apikey", "revoke", "--name", "integration-x", stdout=StringIO())
    rows = list(SecurityEvent.objects.filter(kind=SecurityKind.API_KEY).order_by("id"))
    assert [r.details["action"] for r in rows] == ["create", "revoke"]
    assert rows[0].target.startswith("integration-x (")
    key.refresh_from_db()
    key.active = True
    key.save()
    assert SecurityEvent.objects.filter(kind=SecurityKind.API_KEY).order_by("id").last().details["action"] == "enable"  # type: ignore[union-attr]
