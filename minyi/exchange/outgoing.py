"""Outgoing events: every workflow step on a linked appeal becomes an ``OutboundEvent`` in the same transaction.

Connected as a ``workflow.services.AFTER_TRANSITION`` hook (the way webhooks hang on audit
rows): the event row and the outbox job that pushes it commit or roll back with the action.
Events caused by applying a peer's own event are not echoed back to that peer.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from minyi.exchange import protocol
from minyi.workflow.machine import Event

if TYPE_CHECKING:
    from minyi.appeals.models import Appeal
    from minyi.exchange.models import Link
    from minyi.workflow.services import Step

_applying: contextvars.ContextVar[int | None] = contextvars.ContextVar("minyi_exchange_applying", default=None)


@contextmanager
def applying(peer_id: int) -> Iterator[None]:
    """While a peer's event is applied here, local steps are not sent back to that peer."""
    token = _applying.set(peer_id)
    try:
        yield
    finally:
        _applying.reset(token)


# Which local steps the upstream hears about (we handle its order) …
UPWARD: dict[Event, str] = {
    Event.CLAIM: protocol.CLAIMED,
    Event.REQUEST_EXTENSION: protocol.EXTENSION_REQUESTED,
    Event.RETURN: protocol.RETURN_REQUESTED,
    Event.APPROVE_REPLY: protocol.REPLIED,  # the reply goes up once our own review has passed it
    Event.DISPATCH: protocol.PROGRESS,
    Event.REDISPATCH: protocol.PROGRESS,
    Event.SUSPEND: protocol.PROGRESS,
    Event.RESUME: protocol.PROGRESS,
}
# … and which the downstream hears about (it handles our order).
DOWNWARD: dict[Event, str] = {
    Event.APPROVE_EXTENSION: protocol.EXTENSION_APPROVED,
    Event.DENY_EXTENSION: protocol.EXTENSION_DENIED,
    Event.APPROVE_RETURN: protocol.RETURN_APPROVED,
    Event.REJECT_RETURN: protocol.RETURN_REFUSED,
    Event.CLOSE: protocol.RATED,
    Event.ARBITRATE_CLOSE: protocol.RATED,
    Event.REOPEN: protocol.REOPENED,
    Event.ARBITRATE_REOPEN: protocol.REOPENED,
}

_TTL_S = 10.0
_lock = threading.Lock()
_cache: tuple[float, dict[int, int], bool] | None = None


def peer_departments() -> tuple[dict[int, int], bool]:
    """(department id → peer id for remote platforms, whether any peer is active); re-read every few seconds."""
    global _cache
    now = time.monotonic()
    with _lock:
        cached = _cache
    if cached is not None and now - cached[0] < _TTL_S:
        return cached[1], cached[2]
    from minyi.exchange.models import Peer

    rows = list(Peer.objects.filter(active=True).values_list("pk", "department_id"))
    mapping = {dept: pk for pk, dept in rows if dept is not None}
    with _lock:
        _cache = (now, mapping, bool(rows))
    return mapping, bool(rows)


def forget(**kwargs: Any) -> None:
    global _cache
    with _lock:
        _cache = None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_body(appeal: Appeal) -> dict[str, Any]:
    """What the downstream needs to handle the order, personal data included (it handles the case)."""
    return {
        "number": appeal.number,
        "title": appeal.title,
        "content": appeal.content,
        "kind": appeal.kind,
        "priority": appeal.priority,
        "category": appeal.category.code if appeal.category_id and appeal.category else "",
        "submitter_type": appeal.submitter_type,
        "submitter_name": appeal.submitter_name,
        "credit_code": appeal.credit_code,
        "phone": appeal.phone,
        "address": appeal.address,
        "lat": appeal.lat,
        "lng": appeal.lng,
        "created_at": _iso(appeal.created_at),
    }


def emit(peer_id: int, kind: str, order_id: str, body: dict[str, Any], *, now: dt.datetime | None = None) -> None:
    """Record one event for ``peer_id`` and nudge the pusher; inside the caller's transaction."""
    from minyi.exchange.models import OutboundEvent
    from minyi.jobs.registry import enqueue

    OutboundEvent.objects.create(peer_id=peer_id, kind=kind, order_id=order_id, body=body, created_at=now or timezone.now())
    enqueue("exchange.push", {"peer": peer_id})


def _body(step: Step, **extra: Any) -> dict[str, Any]:
    appeal = step.appeal
    return {
        "state": appeal.status,
        "reason": step.reason,
        "actor": step.actor.label,
        "claim_due_at": _iso(appeal.claim_due_at),
        "reply_due_at": _iso(appeal.reply_due_at),
        **extra,
    }


def on_transition(step: Step) -> None:
    departments, any_peer = peer_departments()
    if not any_peer:
        return
    from minyi.exchange.models import Link

    appeal, event = step.appeal, step.transition.event
    links = list(Link.objects.filter(appeal_id=appeal.pk).select_related("peer"))
    target_peer = departments.get(appeal.department_id) if appeal.department_id is not None else None
    ordered = None
    if event in (Event.DISPATCH, Event.REDISPATCH, Event.REOPEN, Event.ARBITRATE_REOPEN) and target_peer is not None:
        ordered = _order_out(step, target_peer, links)
    for link in links:
        if link is ordered:
            continue  # the order says it all
        if link.direction == Link.Direction.OUT:
            _downward(step, link, target_peer)
        else:
            _upward(step, link)


def _order_out(step: Step, peer_id: int, links: list[Link]) -> Link | None:
    """Dispatching to a remote platform's department sends it the order (again, after a return)."""
    from minyi.exchange.models import Link

    appeal = step.appeal
    link = next((x for x in links if x.peer_id == peer_id and x.direction == Link.Direction.OUT), None)
    if link is not None and link.active and step.transition.event in (Event.REOPEN, Event.ARBITRATE_REOPEN):
        return None  # the downstream still has it: _downward sends the 重办
    if link is None:
        link = Link.objects.create(peer_id=peer_id, order_id=appeal.number, appeal=appeal, direction=Link.Direction.OUT)
    elif not link.active:
        link.active = True
        link.save(update_fields=["active"])
    if _applying.get() != peer_id:
        emit(peer_id, protocol.ORDER, link.order_id, _body(step, **order_body(appeal)), now=step.now)
    return link


def _downward(step: Step, link: Link, target_peer: int | None) -> None:
    if not link.active or _applying.get() == link.peer_id:
        return
    event, appeal = step.transition.event, step.appeal
    if event == Event.REDISPATCH and target_peer != link.peer_id:
        # Taken away from the remote platform (退单改派, or recalled): it stops handling the order.
        link.active = False
        link.save(update_fields=["active"])
        emit(link.peer_id, protocol.RETURN_APPROVED, link.order_id, _body(step), now=step.now)
        return
    kind = DOWNWARD.get(event)
    if kind is None:
        return
    if kind == protocol.RETURN_APPROVED:
        link.active = False
        link.save(update_fields=["active"])
    extra: dict[str, Any] = {}
    if kind in (protocol.RATED, protocol.REOPENED):
        extra = {
            "satisfaction": appeal.satisfaction,
            "resolved": appeal.resolved,
            "comment": step.input.comment,
            "arbitrated": event in (Event.ARBITRATE_CLOSE, Event.ARBITRATE_REOPEN),
        }
    emit(link.peer_id, kind, link.order_id, _body(step, **extra), now=step.now)


def _upward(step: Step, link: Link) -> None:
    event, appeal = step.transition.event, step.appeal
    if link.active:
        cap_deadlines(appeal, link)
    if not link.active or _applying.get() == link.peer_id:
        return
    kind = UPWARD.get(event)
    if kind is None:
        return
    extra: dict[str, Any] = {}
    if kind == protocol.EXTENSION_REQUESTED:
        extra = {"days": appeal.extension_days_requested}
    elif kind == protocol.REPLIED:
        extra = {"reply": appeal.reply_text}
    elif kind == protocol.PROGRESS:
        from minyi.workflow.machine import EVENT_LABELS

        department = appeal.department.name if appeal.department_id and appeal.department else ""
        extra = {"note": f"{EVENT_LABELS[event]}{('：' + department) if department else ''}{('（' + step.reason + '）') if step.reason else ''}"}
    emit(link.peer_id, kind, link.order_id, _body(step, **extra), now=step.now)


def cap_deadlines(appeal: Appeal, link: Link) -> None:
    """The stricter deadline wins: the local clock never runs past the upstream's 签收/答复 deadline."""
    changed: list[str] = []
    if link.upstream_claim_due_at and appeal.claim_due_at and appeal.claim_due_at > link.upstream_claim_due_at:
        appeal.claim_due_at = link.upstream_claim_due_at
        changed.append("claim_due_at")
    if link.upstream_reply_due_at and appeal.reply_due_at and appeal.reply_due_at > link.upstream_reply_due_at:
        appeal.reply_due_at = link.upstream_reply_due_at
        changed.append("reply_due_at")
        if appeal.reply_warn_at and appeal.reply_warn_at > appeal.reply_due_at:
            appeal.reply_warn_at = appeal.reply_due_at
            changed.append("reply_warn_at")
    if changed:
        appeal.save(update_fields=changed)


def connect() -> None:
    from minyi.exchange.models import Peer
    from minyi.workflow.services import AFTER_TRANSITION

    if on_transition not in AFTER_TRANSITION:
        AFTER_TRANSITION.append(on_transition)
    post_save.connect(forget, sender=Peer, dispatch_uid="minyi.exchange.forget.save")
    post_delete.connect(forget, sender=Peer, dispatch_uid="minyi.exchange.forget.delete")
