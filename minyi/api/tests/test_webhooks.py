"""Signed webhooks: queued after commit without blocking the action, delivered to a real local server, retried, dead-lettered."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from minyi.api import webhooks
from minyi.api.models import Delivery, Webhook
from minyi.appeals import services
from minyi.directory.models import Department
from minyi.workflow.machine import State
from minyi.workflow.services import ActionForbidden

pytestmark = pytest.mark.django_db


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        handler = self._handler()
        self.server = HTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k: v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_full_loop_is_queued_then_delivered_signed(
    receiver: Receiver, people: dict[str, Any], appeal_in: Any, django_capture_on_commit_callbacks: Any
) -> None:
    hook = Webhook.objects.create(name="city", url=receiver.url, secret="s3cret")
    Webhook.objects.create(name="only-closed", url=receiver.url, secret="other", events="closed")
    with django_capture_on_commit_callbacks(execute=False) as nudges:
        appeal = appeal_in(State.CLOSED)
    # The actions only recorded rows, in their own transactions; nothing was sent while they ran.
    assert receiver.received == []
    assert nudges  # after commit, a worker is asked to deliver them
    events = list(Delivery.objects.filter(webhook=hook).order_by("id").values_list("event", flat=True))
    assert events == ["created", "dispatched", "replied", "rated", "closed"]
    assert Delivery.objects.filter(webhook__name="only-closed").count() == 1

    result = webhooks.deliver_due()
    assert result.delivered == 6
    assert result.failed == 0
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 6
    replied = Delivery.objects.get(webhook=hook, event="replied")
    headers, body = next((h, b) for h, b in receiver.received if h["X-Minyi-Delivery"] == str(replied.pk))
    mac = hmac.new(b"s3cret", headers["X-Minyi-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Minyi-Signature"] == f"sha256={mac}"
    payload = json.loads(body)
    assert payload["event"] == "replied"
    assert payload["appeal"]["number"] == appeal.number
    assert payload["appeal"]["reply"] == "已修复路灯"
    assert webhooks.deliver_due().delivered == 0  # nothing left


def test_signature_matches_the_body(receiver: Receiver, people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    Webhook.objects.create(name="one", url=receiver.url, secret="k", events="created")
    with django_capture_on_commit_callbacks(execute=True):
        from minyi.conftest import intake

        intake(by=people["operator"])
    webhooks.deliver_due()
    [(headers, body)] = receiver.received
    mac = hmac.new(b"k", headers["X-Minyi-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Minyi-Signature"] == f"sha256={mac}"
    assert webhooks.sign("other", headers["X-Minyi-Timestamp"], body) != headers["X-Minyi-Signature"]


def test_retry_with_backoff_then_dead_letter(
    receiver: Receiver, people: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MINYI_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 500
    Webhook.objects.create(name="down", url=receiver.url, secret="k", events="created")
    with django_capture_on_commit_callbacks(execute=False):
        from minyi.conftest import intake

        intake(by=people["operator"])
    now = timezone.now()
    first = webhooks.deliver_due(now=now)
    delivery = Delivery.objects.get()
    assert first.failed == 1
    assert delivery.attempts == 1
    assert delivery.response_code == 500
    assert delivery.next_attempt_at == now + dt.timedelta(seconds=30)
    assert webhooks.deliver_due(now=now).failed == 0  # not due yet
    webhooks.deliver_due(now=now + dt.timedelta(seconds=31))
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == now + dt.timedelta(seconds=31 + 60)
    last = webhooks.deliver_due(now=now + dt.timedelta(hours=1))
    delivery.refresh_from_db()
    assert last.dead == 1
    assert delivery.status == Delivery.Status.DEAD
    assert "500" in delivery.last_error
    assert len(receiver.received) == 3
    # Dead letters can be put back in the queue; this time the receiver is up again.
    receiver.status = 204
    call_command("webhooks", "retry")
    assert webhooks.deliver_due().delivered == 1


def test_unreachable_receiver_is_recorded(people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    Webhook.objects.create(name="nobody", url=f"http://127.0.0.1:{port}/", secret="k", events="created")
    with django_capture_on_commit_callbacks(execute=False):
        from minyi.conftest import intake

        intake(by=people["operator"])
    assert webhooks.deliver_due(timeout=2).failed == 1
    assert "URLError" in Delivery.objects.get().last_error or "Connection" in Delivery.objects.get().last_error


def test_rolled_back_action_queues_nothing(
    people: dict[str, Any], appeal_in: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Webhook.objects.create(name="all", url="http://127.0.0.1:9/", secret="k")
    appeal = appeal_in(State.PENDING_DISPATCH)
    before = Delivery.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ActionForbidden):
        services.dispatch_appeal(appeal, Department.objects.get(code="zjj"), by=people["handler"])
    assert Delivery.objects.count() == before
    assert not Delivery.objects.filter(event="dispatched").exists()


def test_deliveries_are_written_in_the_actions_transaction(people: dict[str, Any]) -> None:
    """A crash between commit and an after-commit hook must not lose a delivery: the rows exist before commit."""
    from django.db import transaction

    from minyi.conftest import intake

    Webhook.objects.create(name="all", url="http://127.0.0.1:9/", secret="k", events="created")
    with transaction.atomic():
        appeal = intake(by=people["operator"])
        assert Delivery.objects.filter(event="created", appeal_number=appeal.number).count() == 1


def test_events_for_reopen_is_rated_and_dispatched(
    people: dict[str, Any], appeal_in: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appeal = appeal_in(State.PENDING_CALLBACK)
    Webhook.objects.create(name="all", url="http://127.0.0.1:9/", secret="k")
    with django_capture_on_commit_callbacks(execute=True):
        services.record_callback(appeal, satisfaction=1, resolved=False, comment="没有修好", by=people["operator"])
    assert set(Delivery.objects.values_list("event", flat=True)) >= {"rated"}
    assert "closed" not in set(Delivery.objects.values_list("event", flat=True))
