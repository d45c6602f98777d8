"""Outbox handlers of points: a scale's report goes to the scale's department right after intake commits."""

from __future__ import annotations

from typing import Any

from minyi.jobs.registry import handler


@handler("points.route_report")
def route_report(payload: dict[str, Any]) -> None:
    from minyi.points import services

    services.route_report(int(payload["appeal_id"]), int(payload["point_id"]))
