"""Periodic work of the API: signed webhook deliveries that are due (first tries and retries)."""

from __future__ import annotations

from minyi.jobs.periodic import periodic
from minyi.jobs.registry import handler


@periodic("webhooks.deliver", every=15, timeout=600)
def deliver_webhooks() -> None:
    from minyi.api.webhooks import deliver_due

    deliver_due()


@handler("webhooks.deliver", batch=True)
def deliver_now(payloads: list[dict[str, object]]) -> None:
    """A nudge after an action wrote deliveries: try what is due now (one pass for a whole batch of nudges)."""
    from minyi.api.webhooks import deliver_due

    deliver_due()
