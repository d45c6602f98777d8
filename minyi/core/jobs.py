"""Outbox handlers of core: notifications (in-app centre, SMS, e-mail) recorded by actions."""

from __future__ import annotations

from typing import Any

from minyi.core import notify
from minyi.jobs.registry import handler


@handler("notify.deliver")
def deliver(payload: dict[str, Any]) -> None:
    for fields in payload.get("notices", []):
        notify.deliver(notify.Notice(**{**fields, "user_ids": tuple(fields.get("user_ids", ()))}))
