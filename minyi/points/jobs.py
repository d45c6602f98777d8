"""Outbox handlers of points: a scale's report goes to the scale's department right after intake commits."""

from __future__ import annotations

from typing import Any

from minyi.jobs.periodic import periodic
from minyi.jobs.registry import handler


@handler("points.route_report")
def route_report(payload: dict[str, Any]) -> None:
    from minyi.points import services

    services.route_report(int(payload["appeal_id"]), int(payload["point_id"]))


@periodic("points.verification_sweep", every=6 * 3600, timeout=600)
def verification_sweep() -> None:
    """Scales whose yearly verification has lapsed show 检定过期 to the shoppers who scan them."""
    from minyi.points import services

    services.expire_verifications()
