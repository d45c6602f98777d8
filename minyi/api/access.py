"""Least privilege for integrations: which appeals an API key reads, and whether it sees personal data.

A key acts as its service user, but reads less than that user's role would: by
default only the appeals the key itself registered (and those of its channel, when
``channel_code`` is set). ``appeals:read-all`` widens that to what the service
user's role sees (a department's keys see their department's appeals either way,
since that is their work). Personal data (name, phone, credit code, address, exact
coordinates, and ID or phone numbers in free text) needs ``pii:read``; without it
the API masks. A logged-in person reads by role, as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from minyi.api.models import ApiKey
from minyi.appeals.models import Appeal, AppealQuerySet
from minyi.appeals.queries import visible_to
from minyi.core.roles import sees_all, sees_personal_data

READ_ALL = "appeals:read-all"
PII_READ = "pii:read"


def readable(user: Any, key: ApiKey | None) -> AppealQuerySet:
    """The appeals the caller may read or act on through the API."""
    if key is None:
        return visible_to(user)
    if READ_ALL in key.scope_set():
        return visible_to(key.user)
    own = Q(created_by=key.user)
    if key.channel_code:
        own |= Q(channel__code=key.channel_code)
    if sees_all(key.user):  # an operator-like service user: its own appeals only, not the district's
        return Appeal.objects.filter(own)
    return visible_to(key.user) | Appeal.objects.filter(own)


def sees_pii(user: Any, key: ApiKey | None) -> bool:
    """Personal data in full: by role for people; for a key, only with the ``pii:read`` scope."""
    if key is not None:
        return PII_READ in key.scope_set()
    return sees_personal_data(user)


def idempotency_caller(user: Any, key: ApiKey | None) -> str:
    """The namespace of the caller's Idempotency-Key: one per API key, else the logged-in user."""
    return f"api:{key.prefix}" if key is not None else f"user:{user.pk}"
