"""Signed outbound webhooks: created, dispatched, replied, rated, closed.

An action never waits for a subscriber. When an audit row is written, a receiver
schedules (after commit) one ``Delivery`` row per subscribed webhook; ``minyi webhooks
deliver`` posts them, retries failures with exponential backoff and moves a delivery
to the dead letters after ``MINYI_WEBHOOK_MAX_ATTEMPTS`` tries. Bulk imports write
audit rows with bulk_create, which sends no signal: history does not fire webhooks.

Each POST carries ``X-Minyi-Signature: sha256=HEX`` = HMAC-SHA256(secret, "TIMESTAMP.BODY")
and ``X-Minyi-Timestamp``; receivers should reject stale timestamps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from minyi.api.models import Delivery, Webhook
from minyi.core.pii import mask_text
from minyi.workflow.machine import Event, State
from minyi.workflow.models import AuditEvent

logger = logging.getLogger("minyi.webhooks")


def events_for(audit: AuditEvent) -> list[str]:
    """The webhook events an audit row stands for (a callback can both rate and close)."""
    found: list[str] = []
    if audit.event == Event.REGISTER.value:
        found.append("created")
    if (audit.to_state == State.DISPATCHED.value and audit.from_state != State.DISPATCHED.value) or audit.event == Event.REDISPATCH.value:
        found.append("dispatched")
    if audit.event == Event.REPLY.value:
        found.append("replied")
    if audit.event in (Event.CLOSE.value, Event.REOPEN.value) or "satisfaction" in (audit.payload or {}):
        found.append("rated")
    if audit.to_state == State.CLOSED.value and audit.from_state != State.CLOSED.value:
        found.append("closed")
    return list(dict.fromkeys(found))


def _on_audit(sender: Any, instance: AuditEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not created or raw:
        return
    names = events_for(instance)
    if names and enqueue(instance.pk, names):
        # Written in the action's own transaction (an outbox): a crash right after commit loses no delivery.
        # The job only asks a worker to try them now rather than at the next periodic pass.
        from minyi.jobs.registry import enqueue as enqueue_job

        enqueue_job("webhooks.deliver", {})


post_save.connect(_on_audit, sender=AuditEvent, dispatch_uid="minyi.api.webhooks")


def payload_for(audit: AuditEvent, event: str) -> dict[str, Any]:
    appeal = audit.appeal
    return {
        "event": event,
        "occurred_at": audit.at.isoformat(),
        "audit_id": audit.pk,
        "appeal": {
            "number": appeal.number,
            "status": appeal.status,
            "title": mask_text(appeal.title),  # integrations get no personal data typed into the text
            "channel": appeal.channel.code,
            "category": appeal.category.code if appeal.category else None,
            "department": appeal.department.code if appeal.department else None,
            "created_at": appeal.created_at.isoformat(),
            "replied_at": appeal.replied_at.isoformat() if appeal.replied_at else None,
            "reply": mask_text(appeal.reply_text) if event in ("replied", "closed") else None,
            "satisfaction": appeal.satisfaction,
            "resolved": appeal.resolved,
        },
    }


_HOOKS_TTL_S = 10.0
_hooks_lock = threading.Lock()
_hooks: tuple[float, list[Webhook]] | None = None


def active_webhooks() -> list[Webhook]:
    """The subscriptions, read at most every few seconds: every audit row asks, and they rarely change."""
    global _hooks
    now = time.monotonic()
    with _hooks_lock:
        cached = _hooks
    if cached is not None and now - cached[0] < _HOOKS_TTL_S:
        return cached[1]
    hooks = list(Webhook.objects.filter(active=True))
    with _hooks_lock:
        _hooks = (now, hooks)
    return hooks


def forget_webhooks(**kwargs: Any) -> None:
    global _hooks
    with _hooks_lock:
        _hooks = None


post_save.connect(forget_webhooks, sender=Webhook, dispatch_uid="minyi.api.webhooks.forget.save")
post_delete.connect(forget_webhooks, sender=Webhook, dispatch_uid="minyi.api.webhooks.forget.delete")


def enqueue(audit_id: int, names: list[str]) -> int:
    """Record one pending delivery per subscribed webhook, in the caller's transaction.

    A failure here fails the action: a delivery that is not written would be lost for good.
    """
    hooks = [h for h in active_webhooks() if h.event_set() & set(names)]
    if not hooks:
        return 0
    audit = AuditEvent.objects.select_related("appeal__channel", "appeal__category", "appeal__department").get(pk=audit_id)
    now = timezone.now()
    rows = [
        Delivery(webhook=h, event=name, appeal_number=audit.appeal.number, payload=payload_for(audit, name), next_attempt_at=now, created_at=now)
        for h in hooks
        for name in names
        if name in h.event_set()
    ]
    Delivery.objects.bulk_create(rows)
    return len(rows)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … doubling, at most 6 hours."""
    base = int(getattr(settings, "MINYI_WEBHOOK_BACKOFF_SECONDS", 30))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


@dataclass
class Result:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def _post(delivery: Delivery, timeout: float) -> tuple[int | None, str]:
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(timezone.now().timestamp()))
    url = delivery.webhook.url
    if not url.startswith(("http://", "https://")):
        return None, "只支持 http(s) 地址"
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "minyi-webhooks/1",
            "X-Minyi-Event": delivery.event,
            "X-Minyi-Delivery": str(delivery.pk),
            "X-Minyi-Timestamp": timestamp,
            "X-Minyi-Signature": sign(delivery.webhook.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{exc.__class__.__name__}: {exc}"[:500]


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200, timeout: float = 5.0) -> Result:
    """Try every pending delivery that is due; schedule retries and dead-letter the hopeless."""
    max_attempts = int(getattr(settings, "MINYI_WEBHOOK_MAX_ATTEMPTS", 8))
    result = Result()
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now, webhook__active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            # Two workers never post the same delivery at once; a worker killed after the POST and before
            # this commit leaves it pending, and the receiver deduplicates the retry on X-Minyi-Delivery.
            delivery = Delivery.objects.select_for_update(skip_locked=True).select_related("webhook").filter(pk=pk, status=Delivery.Status.PENDING).first()
            if delivery is not None:
                _attempt(delivery, now, timeout, max_attempts, result)
    return result


def _attempt(delivery: Delivery, now: dt.datetime, timeout: float, max_attempts: int, result: Result) -> None:
    code, error = _post(delivery, timeout)
    delivery.attempts += 1
    delivery.response_code = code
    if code is not None and 200 <= code < 300:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
        result.delivered += 1
    elif delivery.attempts >= max_attempts:
        delivery.status = Delivery.Status.DEAD
        delivery.last_error = error or f"HTTP {code}"
        result.dead += 1
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.last_error = error or f"HTTP {code}"
        result.failed += 1
    delivery.save(update_fields=["attempts", "response_code", "status", "delivered_at", "last_error", "next_attempt_at"])




def retry(deliveries: Any) -> int:
    """Put dead letters back in the queue (admin action)."""
    return int(deliveries.filter(status=Delivery.Status.DEAD).update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()))
