"""Finding 3: sessions lasted 14 days with no idle timeout."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.conf import settings
from django.test import Client

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.workflow.calendar import SHANGHAI

T0 = dt.datetime(2026, 3, 2, 8, 30, tzinfo=SHANGHAI)


def test_cookie_lives_no_longer_than_the_absolute_limit() -> None:
    assert settings.SESSION_COOKIE_AGE == 8 * 3600


def test_idle_session_is_logged_out_with_a_message(client: Client, people: dict[str, Any]) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(people["operator"])
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/desk/intake").status_code == 200  # 29 minutes of silence: still in
        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/desk/intake")
        assert response.status_code == 302 and response["Location"].startswith("/login?timeout=idle")
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"]).content.decode()
        assert "超过 30 分钟没有操作" in page
    logout = SecurityEvent.objects.get(kind=SecurityKind.LOGOUT)
    assert logout.actor == people["operator"] and logout.details == {"reason": "idle"}


def test_busy_session_still_ends_after_eight_hours(client: Client, people: dict[str, Any]) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(people["operator"])
        for _ in range(19):  # a request every 25 minutes: never idle, 7 h 55 min in all
            clock.shift(dt.timedelta(minutes=25))
            assert client.get("/desk/intake").status_code == 200
        clock.shift(dt.timedelta(minutes=10))
        response = client.get("/desk/intake")
        assert response["Location"].startswith("/login?timeout=max_age")
        assert "已满 8 小时" in client.get(response["Location"]).content.decode()
        assert "_auth_user_id" not in client.session


def test_limits_come_from_settings(client: Client, people: dict[str, Any], settings: Any) -> None:
    settings.MINYI_SESSION_IDLE_MINUTES = 5
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(people["operator"])
        clock.shift(dt.timedelta(minutes=6))
        assert client.get("/desk/intake")["Location"].startswith("/login?timeout=idle")
