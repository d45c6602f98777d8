"""Notification backends: the SMS gateway adapter (a real local HTTP server) and the in-app centre."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import Client

from minyi.accountability.models import Notification
from minyi.appeals.models import Appeal
from minyi.core import notify
from minyi.core.notify import Notice, SmsError, SmsGatewayNotifier
from minyi.workflow import services as wf
from minyi.workflow.machine import Event, State


class Gateway:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append({"auth": self.headers.get("Authorization"), **json.loads(body)})
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Callable[[list[int]], Gateway]]:
    made: list[Gateway] = []

    def make(statuses: list[int]) -> Gateway:
        made.append(Gateway(statuses))
        return made[-1]

    yield make
    for g in made:
        g.close()


def test_sms_is_templated_and_retried_on_server_errors(gateway: Callable[[list[int]], Gateway]) -> None:
    gw = gateway([503, 500, 200])
    sleeps: list[float] = []
    sms = SmsGatewayNotifier({"url": gw.url, "token": "t0k", "retries": 3, "backoff_s": 0.1}, sleep=sleeps.append)
    sms.send(Notice(kind="rating_link", subject="s", body="b", appeal_number="20261116-000001",
                    extra={"phone": "13812345678", "url": "http://x/rate/abc"}))
    assert len(gw.received) == 3
    assert gw.received[-1]["phone"] == "13812345678"
    assert gw.received[-1]["text"] == "【明湖区12345】您反映的诉求 20261116-000001 已办理答复，请评价：http://x/rate/abc"
    assert gw.received[-1]["auth"] == "Bearer t0k"
    assert sleeps == [0.1, 0.2]  # exponential backoff


def test_sms_gives_up_after_the_retries_and_does_not_retry_client_errors(gateway: Callable[[list[int]], Gateway]) -> None:
    gw = gateway([500, 500, 500])
    sms = SmsGatewayNotifier({"url": gw.url, "retries": 2, "backoff_s": 0}, sleep=lambda s: None)
    with pytest.raises(SmsError, match="after 3 attempts"):
        sms.post("13812345678", "hi")
    bad = gateway([400])
    with pytest.raises(SmsError, match="HTTP 400"):
        SmsGatewayNotifier({"url": bad.url, "retries": 5, "backoff_s": 0}, sleep=lambda s: None).post("13812345678", "hi")
    assert len(bad.received) == 1


def test_a_failing_sms_never_undoes_the_action(
    settings: Any,
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MINYI_NOTIFY_BACKEND = "locmem,sms"
    settings.MINYI_SMS = {"url": "http://127.0.0.1:9/unreachable", "retries": 0}
    appeal = appeal_in(State.REPLIED)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = wf.perform(appeal, Event.APPROVE_REPLY, by=people["dispatcher"])
    appeal.refresh_from_db()
    assert appeal.state is State.PENDING_CALLBACK
    assert any(n.kind == "rating_link" for n in notify.OUTBOX)  # the other backend still got it


def test_every_notice_to_users_lands_in_their_notification_centre(
    client: Client,
    people: dict[str, Any],
    appeal_in: Callable[..., Appeal],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appeal_in(State.DISPATCHED)  # dispatch notifies the department
    mine = Notification.objects.filter(user=people["handler"])
    assert mine.count() == 1
    assert mine.get().appeal_number
    client.force_login(people["handler"])
    page = client.get("/accountability/notifications").content.decode()
    assert "未读 1 条" in page
    client.post("/accountability/notifications")
    assert not Notification.objects.filter(user=people["handler"], read_at__isnull=True).exists()
    client.force_login(people["other_handler"])
    assert "暂无通知" in client.get("/accountability/notifications").content.decode()


@pytest.mark.django_db
def test_null_backend_drops_the_in_app_copy_too(settings: Any) -> None:
    settings.MINYI_NOTIFY_BACKEND = "null"
    notify.deliver(Notice(kind="x", subject="s", body="b", user_ids=(1,)))
    assert not Notification.objects.exists()


def test_dashboard_shows_the_callback_rate(client: Client, people: dict[str, Any], appeal_in: Callable[..., Appeal]) -> None:
    from minyi.appeals import services as actions

    appeal = actions.record_callback(appeal_in(State.PENDING_CALLBACK), satisfaction=1, resolved=False, by=people["operator"])
    client.force_login(people["supervisor"])
    body = client.get("/accountability/").content.decode()
    assert "差评整改回访率" in body
    assert "未达 100%" in body
    assert appeal.number in body
