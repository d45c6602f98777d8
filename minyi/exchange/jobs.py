"""Outbox handlers and periodic work of the exchange: push our events, pull the peers'."""

from __future__ import annotations

from typing import Any

from minyi.jobs.periodic import periodic
from minyi.jobs.registry import handler


@handler("exchange.push", batch=True, max_attempts=12)
def push(payloads: list[dict[str, Any]]) -> None:
    """A nudge after an action wrote events: send each named peer its backlog now (in order).

    A peer that is down raises: the job is retried with back-off, and the events stay in
    the backlog, where the periodic sync and the peer's own pulls find them too.
    """
    from minyi.exchange.services import push_peer

    for peer_id in sorted({int(p["peer"]) for p in payloads if "peer" in p}):
        push_peer(peer_id)


@periodic("exchange.sync", every=10, timeout=600)
def sync() -> None:
    from minyi.exchange.services import sync_all

    sync_all()
