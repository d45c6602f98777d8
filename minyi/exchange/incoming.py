"""Applying a peer's events here, each exactly once, and recording what cannot be applied as a mismatch.

``apply_event`` inserts the ``InboundEvent`` row first: the unique (peer, event_id) decides,
so a retried push, a pull after a push, or two concurrent deliveries apply an event once.
The local effect runs through the ordinary named actions, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from minyi.appeals.models import Appeal
from minyi.exchange import protocol
from minyi.exchange.models import InboundEvent, Link, Mismatch, Peer
from minyi.exchange.outgoing import applying
from minyi.workflow import services as wf
from minyi.workflow.machine import STATE_LABELS, Event, State, TransitionError
from minyi.workflow.policy import Role

logger = logging.getLogger("minyi.exchange")


class Conflict(Exception):
    """The event cannot be applied to the local state: recorded as a mismatch, never forced."""


def actor_for(peer: Peer) -> wf.Actor:
    return wf.Actor(None, f"{peer.name}（平台对接）", frozenset({Role.ADMIN}), ())


def _when(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def apply_events(peer: Peer, events: Iterable[dict[str, Any]]) -> list[str]:
    """Apply events in order; returns the ids taken (applied now, before, or recorded as mismatches)."""
    taken: list[str] = []
    for event in events:
        try:
            apply_event(peer, event)
        except Exception:  # a broken event must not block the ones after it forever: stop here, retry later
            logger.exception("exchange: could not apply %s from %s", event.get("event_id"), peer.code)
            break
        taken.append(str(event["event_id"]))
    return taken


def apply_event(peer: Peer, event: dict[str, Any], *, now: dt.datetime | None = None) -> str:
    """Apply one event once; returns its outcome ('applied', 'mismatch', 'ignored' or 'duplicate')."""
    now = now or timezone.now()
    event_id = str(event.get("event_id") or "")[:64]
    kind = str(event.get("kind") or "")
    order_id = str(event.get("order_id") or "")[:64]
    body = event.get("body") or {}
    if not event_id or not order_id or not isinstance(body, dict):
        raise ValueError("event without event_id, order_id or body")
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = InboundEvent.objects.create(
                    peer=peer, event_id=event_id, kind=kind, order_id=order_id, outcome=InboundEvent.Outcome.APPLIED, received_at=now
                )
        except IntegrityError:
            return "duplicate"
        handler = HANDLERS.get(kind)
        link = Link.objects.filter(peer=peer, order_id=order_id).select_related("appeal").first()
        try:
            if handler is None:
                raise LookupError(f"未知事件“{kind}”")
            if link is None and kind != protocol.ORDER:
                raise Conflict("本平台没有该工单")
            if link is not None and kind != protocol.ORDER:
                # A peer reports handling only for orders we sent it, and rules only on orders it sent us.
                expected = Link.Direction.OUT if kind in protocol.UPWARD else Link.Direction.IN
                if link.direction != expected:
                    raise Conflict("该事件与工单的派发方向不符")
            with transaction.atomic(), applying(peer.pk):
                detail = handler(peer, link, body, order_id)
        except LookupError as exc:
            row.outcome, row.detail = InboundEvent.Outcome.IGNORED, str(exc)
        except (Conflict, TransitionError, wf.ActionForbidden, ValidationError) as exc:
            message = getattr(exc, "message", None) or "；".join(getattr(exc, "messages", [])) or str(exc)
            row.outcome, row.detail = InboundEvent.Outcome.MISMATCH, message
            local = Appeal.objects.filter(pk=link.appeal_id).values_list("status", flat=True).first() if link else ""
            Mismatch.objects.create(
                peer=peer,
                link=link,
                order_id=order_id,
                event_kind=kind,
                local_state=local or "",
                remote_state=str(body.get("state") or ""),
                detail=f"{protocol.KIND_LABELS.get(kind, kind)}：{message}",
                found_at=now,
            )
        else:
            if detail:
                row.outcome, row.detail = InboundEvent.Outcome.IGNORED, detail
        if row.outcome != InboundEvent.Outcome.APPLIED or row.detail:
            row.save(update_fields=["outcome", "detail"])
        if link is not None and body.get("state"):
            Link.objects.filter(pk=link.pk).update(remote_state=str(body["state"])[:24], remote_seen_at=now)
        return str(row.outcome)


def _fire(peer: Peer, link: Link, event: Event, *, done: Iterable[State] = (), **kwargs: Any) -> str:
    """Fire ``event`` on the linked appeal; '' if applied, a note if the appeal is already where it leads."""
    appeal = Appeal.objects.get(pk=link.appeal_id)
    if appeal.state in set(done):
        return f"本地已是“{STATE_LABELS[appeal.state]}”"
    wf.perform(appeal, event, by=actor_for(peer), **kwargs)
    return ""


def _deadlines(link: Link, body: dict[str, Any]) -> None:
    claim, reply = _when(body.get("claim_due_at")), _when(body.get("reply_due_at"))
    fields = []
    if claim is not None and claim != link.upstream_claim_due_at:
        link.upstream_claim_due_at = claim
        fields.append("upstream_claim_due_at")
    if reply is not None and reply != link.upstream_reply_due_at:
        link.upstream_reply_due_at = reply
        fields.append("upstream_reply_due_at")
    if fields:
        link.save(update_fields=fields)


def on_order(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    from minyi.exchange import intake

    return intake.receive_order(peer, link, body, order_id)


def on_claimed(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    return _fire(peer, link, Event.CLAIM, done=(State.IN_PROGRESS,))


def on_progress(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    note = str(body.get("note") or "")[:500]
    wf.record_note(link.appeal, by=actor_for(peer), kind="exchange_progress", reason=note, payload={"peer": peer.code})
    return ""


def on_extension_requested(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    reason = str(body.get("reason") or "下级平台申请延期")
    return _fire(peer, link, Event.REQUEST_EXTENSION, extension_days=int(body.get("days") or 0), reason=reason)


def on_return_requested(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    reason = str(body.get("reason") or "下级平台申请退单")
    return _fire(peer, link, Event.RETURN, done=(State.RETURN_REQUESTED,), reason=reason)


def on_replied(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    appeal = Appeal.objects.get(pk=link.appeal_id)
    if appeal.state is State.DISPATCHED:  # a platform that does not report 签收 separately
        wf.perform(appeal, Event.CLAIM, by=actor_for(peer))
    return _fire(peer, link, Event.REPLY, reply=str(body.get("reply") or ""))


def on_extension_approved(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    _deadlines(link, body)
    return _fire(peer, link, Event.APPROVE_EXTENSION, reason=str(body.get("reason") or ""))


def on_extension_denied(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    return _fire(peer, link, Event.DENY_EXTENSION, reason=str(body.get("reason") or "上级平台驳回延期"))


def on_return_approved(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    note = _fire(peer, link, Event.APPROVE_RETURN, done=(State.PENDING_DISPATCH,), reason=str(body.get("reason") or "上级平台同意退单"))
    Link.objects.filter(pk=link.pk).update(active=False)
    return note


def on_return_refused(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    _deadlines(link, body)
    return _fire(peer, link, Event.REJECT_RETURN, reason=str(body.get("reason") or "上级平台驳回退单"))


def _rating(body: dict[str, Any]) -> dict[str, Any]:
    satisfaction = body.get("satisfaction")
    return {
        "satisfaction": int(satisfaction) if satisfaction is not None else None,
        "resolved": body.get("resolved"),
        "comment": str(body.get("comment") or ""),
    }


def on_rated(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    appeal = Appeal.objects.get(pk=link.appeal_id)
    if appeal.state is State.CLOSED:
        return "本地已办结"
    if body.get("arbitrated"):
        reason = str(body.get("reason") or "上级平台仲裁办结")
        if appeal.state is State.PENDING_CALLBACK:
            wf.perform(appeal, Event.REFER_ARBITRATION, by=actor_for(peer), reason=reason, **_rating(body))
        return _fire(peer, link, Event.ARBITRATE_CLOSE, reason=reason)
    rating = _rating(body)
    return _fire(peer, link, Event.CLOSE, reason=rating["comment"], **rating)


def on_reopened(peer: Peer, link: Link | None, body: dict[str, Any], order_id: str) -> str:
    assert link is not None
    _deadlines(link, body)
    appeal = Appeal.objects.get(pk=link.appeal_id)
    reason = str(body.get("reason") or body.get("comment") or "上级平台要求重办")
    if appeal.reopen_count == 0 and not body.get("arbitrated"):
        rating = _rating(body)
        return _fire(peer, link, Event.REOPEN, reason=reason, **rating)
    if appeal.state is State.PENDING_CALLBACK:
        wf.perform(appeal, Event.REFER_ARBITRATION, by=actor_for(peer), reason=reason, **_rating(body))
    return _fire(peer, link, Event.ARBITRATE_REOPEN, reason=reason if len(reason) >= 2 else "上级平台要求重办")


Handler = Callable[[Peer, "Link | None", dict[str, Any], str], str]

HANDLERS: dict[str, Handler] = {
    protocol.ORDER: on_order,
    protocol.CLAIMED: on_claimed,
    protocol.PROGRESS: on_progress,
    protocol.EXTENSION_REQUESTED: on_extension_requested,
    protocol.RETURN_REQUESTED: on_return_requested,
    protocol.REPLIED: on_replied,
    protocol.EXTENSION_APPROVED: on_extension_approved,
    protocol.EXTENSION_DENIED: on_extension_denied,
    protocol.RETURN_APPROVED: on_return_approved,
    protocol.RETURN_REFUSED: on_return_refused,
    protocol.RATED: on_rated,
    protocol.REOPENED: on_reopened,
}
