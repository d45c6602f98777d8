"""Exchange actions: push our events, pull the peer's, acknowledge, reconcile, settle a mismatch, report status."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from minyi.appeals.models import Appeal
from minyi.exchange.connectors import Batch, ConnectorError, connector_for
from minyi.exchange.incoming import apply_events
from minyi.exchange.models import InboundEvent, Link, Mismatch, OutboundEvent, Peer
from minyi.workflow.machine import State

logger = logging.getLogger("minyi.exchange")

PUSH_BATCH = 100
MAX_ROUNDS = 20


def _error(peer: Peer, exc: Exception) -> None:
    Peer.objects.filter(pk=peer.pk).update(last_error=str(exc)[:2000], last_error_at=timezone.now(), errors=peer.errors + 1)


def push_peer(peer_id: int, *, rounds: int = MAX_ROUNDS) -> int:
    """Send the peer every event it has not taken yet, oldest first; returns how many it took.

    Raises ConnectorError when the peer is unreachable: the outbox job retries with back-off,
    and the events stay in the backlog (the peer can also pull them) — nothing is lost.
    """
    peer = Peer.objects.filter(pk=peer_id, active=True, kind=Peer.Kind.MINYI).first()
    if peer is None:
        return 0
    connector = connector_for(peer)
    taken = 0
    for _ in range(rounds):
        events = list(OutboundEvent.objects.filter(peer=peer, delivered_at__isnull=True).order_by("id")[:PUSH_BATCH])
        if not events:
            break
        try:
            accepted = connector.push([e.wire() for e in events])
        except ConnectorError as exc:
            _error(peer, exc)
            raise
        now = timezone.now()
        done = OutboundEvent.objects.filter(peer=peer, event_id__in=accepted, delivered_at__isnull=True).update(delivered_at=now)
        Peer.objects.filter(pk=peer.pk).update(last_push_at=now)
        taken += done
        if len(accepted) < len(events):
            break  # the peer stopped at an event it could not take: retry later, in order
    return taken


def pull_peer(peer_id: int, *, rounds: int = MAX_ROUNDS) -> int:
    """Fetch the peer's events for us, apply each once, and acknowledge them; returns how many were taken."""
    peer = Peer.objects.filter(pk=peer_id, active=True, kind=Peer.Kind.MINYI).first()
    if peer is None:
        return 0
    connector = connector_for(peer)
    cursor, total = 0, 0
    for _ in range(rounds):
        try:
            batch = connector.pull(cursor)
            if not batch.events:
                break
            taken = apply_events(peer, batch.events)
            connector.ack(Batch(events=[e for e in batch.events if str(e.get("event_id")) in set(taken)], cursor=batch.cursor))
        except ConnectorError as exc:
            _error(peer, exc)
            raise
        total += len(taken)
        cursor = batch.cursor
        if len(taken) < len(batch.events) or not batch.more:
            break
    Peer.objects.filter(pk=peer.pk).update(last_pull_at=timezone.now(), pull_cursor=cursor)
    return total


def sync_all() -> dict[str, tuple[int, int]]:
    """Push and pull every active minyi peer (the periodic task, ``minyi exchange sync``)."""
    result: dict[str, tuple[int, int]] = {}
    for peer in Peer.objects.filter(active=True, kind=Peer.Kind.MINYI):
        pushed = pulled = 0
        try:
            with transaction.atomic():
                pushed = push_peer(peer.pk)
        except ConnectorError:
            logger.warning("exchange: push to %s failed", peer.code)
        try:
            pulled = pull_peer(peer.pk)
        except ConnectorError:
            logger.warning("exchange: pull from %s failed", peer.code)
        result[peer.code] = (pushed, pulled)
    return result


# --- the feed other platforms pull from us -------------------------------------------------------


def feed(peer: Peer, after: int, limit: int = 500) -> dict[str, Any]:
    """Our events for ``peer`` not yet taken, oldest first, after ``after`` (a page within one pull round).

    Served from the backlog (not taken yet), not only from ``after``: an event whose transaction
    committed after a later one is never skipped — it stays in the backlog until acknowledged.
    """
    limit = max(1, min(limit, 1000))
    rows = list(OutboundEvent.objects.filter(peer=peer, delivered_at__isnull=True, pk__gt=after).order_by("id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"events": [r.wire() for r in rows], "cursor": rows[-1].pk if rows else after, "more": more}


def acknowledge(peer: Peer, cursor: int, event_ids: list[str]) -> int:
    """The peer has applied these events (explicit ids, none beyond ``cursor``): they leave its backlog."""
    now = timezone.now()
    return OutboundEvent.objects.filter(peer=peer, pk__lte=cursor, event_id__in=event_ids, delivered_at__isnull=True).update(delivered_at=now)


def states(peer: Peer, order_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Our view of these orders, for the peer's reconciliation."""
    links = Link.objects.filter(peer=peer, order_id__in=order_ids[:2000]).select_related("appeal")
    backlog = set(OutboundEvent.objects.filter(peer=peer, delivered_at__isnull=True, order_id__in=order_ids[:2000]).values_list("order_id", flat=True))
    return {
        link.order_id: {
            "state": link.appeal.status,
            "active": link.active,
            "reply": link.appeal.reply_text,
            "satisfaction": link.appeal.satisfaction,
            "pending": link.order_id in backlog,
        }
        for link in links
    }


# --- status and reconciliation -------------------------------------------------------------------


@dataclass
class PeerStatus:
    peer: Peer
    backlog: int
    oldest_pending: dt.datetime | None
    last_event_at: dt.datetime | None
    inbound: int
    open_mismatches: int

    @property
    def lag_seconds(self) -> float:
        if self.oldest_pending is None:
            return 0.0
        return max(0.0, (timezone.now() - self.oldest_pending).total_seconds())


def status() -> list[PeerStatus]:
    backlog = {
        row["peer"]: row for row in OutboundEvent.objects.filter(delivered_at__isnull=True).values("peer").annotate(n=Count("id"), oldest=Min("created_at"))
    }
    last = dict(OutboundEvent.objects.values("peer").annotate(at=Max("created_at")).values_list("peer", "at"))
    inbound = dict(InboundEvent.objects.values("peer").annotate(n=Count("id")).values_list("peer", "n"))
    open_mm = dict(Mismatch.objects.filter(resolved_at__isnull=True).values("peer").annotate(n=Count("id")).values_list("peer", "n"))
    return [
        PeerStatus(
            peer=p,
            backlog=int(backlog.get(p.pk, {}).get("n", 0)),
            oldest_pending=backlog.get(p.pk, {}).get("oldest"),
            last_event_at=last.get(p.pk),
            inbound=int(inbound.get(p.pk, 0)),
            open_mismatches=int(open_mm.get(p.pk, 0)),
        )
        for p in Peer.objects.all()
    ]


# Where each side stands, coarsely: the downstream's own review (已答复) is still its work in hand.
_PHASE_DOWN = {State.REPLIED: "open", State.PENDING_CALLBACK: "answered", State.ARBITRATION: "answered", State.CLOSED: "closed", State.REJECTED: "closed"}
_PHASE_UP = {State.REPLIED: "answered", State.PENDING_CALLBACK: "answered", State.ARBITRATION: "answered", State.CLOSED: "closed", State.REJECTED: "closed"}
PHASE_LABELS = {"open": "办理中", "answered": "已答复", "closed": "已办结"}


def phase(state: str, direction: str) -> str:
    table = _PHASE_DOWN if direction == Link.Direction.IN else _PHASE_UP
    return table.get(State(state), "open")


def reconcile(peer: Peer, *, now: dt.datetime | None = None) -> list[Mismatch]:
    """Compare every active linked order with the peer's view; record (never fix) the differences.

    Orders with events still on their way (either side's backlog) are skipped: they are in flight.
    """
    now = now or timezone.now()
    links = list(Link.objects.filter(peer=peer, active=True).select_related("appeal"))
    if not links:
        return []
    ours_pending = set(OutboundEvent.objects.filter(peer=peer, delivered_at__isnull=True).values_list("order_id", flat=True))
    remote: dict[str, dict[str, Any]] = {}
    connector = connector_for(peer)
    ids = [link.order_id for link in links]
    for start in range(0, len(ids), 1000):
        remote.update(connector.states(ids[start : start + 1000]))
    found: list[Mismatch] = []
    known = set(Mismatch.objects.filter(peer=peer, resolved_at__isnull=True, event_kind="reconcile").values_list("order_id", flat=True))
    for link in links:
        theirs = remote.get(link.order_id)
        if link.order_id in ours_pending or (theirs and theirs.get("pending")):
            continue
        other = "out" if link.direction == Link.Direction.IN else "in"
        if theirs is None:
            detail = "对方平台没有该工单"
        elif phase(link.appeal.status, link.direction) != phase(str(theirs["state"]), other):
            detail = f"本地{PHASE_LABELS[phase(link.appeal.status, link.direction)]}，对方{PHASE_LABELS[phase(str(theirs['state']), other)]}"
        elif link.appeal.status == State.CLOSED and theirs.get("satisfaction") != link.appeal.satisfaction:
            detail = "双方满意度不同"
        else:
            continue
        if link.order_id in known:
            continue
        found.append(
            Mismatch.objects.create(
                peer=peer,
                link=link,
                order_id=link.order_id,
                event_kind="reconcile",
                local_state=link.appeal.status,
                remote_state=str((theirs or {}).get("state") or ""),
                detail=detail,
                found_at=now,
            )
        )
    return found


def resolve_mismatch(mismatch: Mismatch, *, by: Any, note: str) -> Mismatch:
    """The dispatcher has settled it by hand (with the named actions); record who and how."""
    from minyi.workflow.services import Actor, record_note

    note = note.strip()
    if len(note) < 2:
        from django.core.exceptions import ValidationError

        raise ValidationError({"resolution": ["请说明如何处理"]})
    actor = Actor.of(by)
    with transaction.atomic():
        locked = Mismatch.objects.select_for_update().get(pk=mismatch.pk)
        if locked.resolved_at is not None:
            return locked
        locked.resolved_at = timezone.now()
        locked.resolved_by_id = actor.user_id
        locked.resolution = note[:2000]
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        if locked.link_id is not None:
            appeal = Appeal.objects.get(pk=Link.objects.get(pk=locked.link_id).appeal_id)
            record_note(appeal, by=by, kind="exchange_mismatch_resolved", reason=note[:500], payload={"mismatch": locked.pk})
    return locked


def open_mismatches() -> Any:
    return Mismatch.objects.filter(resolved_at__isnull=True).select_related("peer", "link__appeal")
