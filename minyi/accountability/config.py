"""Settings of this app, read with defaults (``settings.MINYI_ACCOUNTABILITY``; nothing is required).

| key | default | meaning |
| --- | --- | --- |
| callback_days | 3 | working days after a rectification reply within which the callback (回访) is due |
| order_response_days | 2 | working days the department head has to answer a 督办单 in writing |
| rating_link_days | 7 | how long a citizen's rating link stays valid |
| public_url | http://127.0.0.1:8000 | the site address put into rating links |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "callback_days": 3,
    "order_response_days": 2,
    "rating_link_days": 7,
    "public_url": "http://127.0.0.1:8000",
}


def get(key: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "MINYI_ACCOUNTABILITY", {})}[key]
