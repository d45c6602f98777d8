"""Least privilege for integrations: which appeals an API key reads, and whether it sees personal data.

A key acts as its service user, but reads less than that user's role would: by
default only the appeals the key itself registered (and those of its channel, when
``channel_code`` is set). ``appeals:read-all`` widens that to what the service
user's role sees (a department's keys see their department's appeals either way,
since that is their work). Personal data (name, phone, credit code, address, exact
coordinates, and ID or phone numbers in free text) needs ``pii:read``; without it
the API masks, and with it every answer that carries an appeal's personal data writes one
security-log row (REVEAL_PII for one appeal, EXPORT_PII for a list). A logged-in person
reads by role and sees what the pages show (``minyi.core.pii.present``): masked, with no
bulk reveal through the API; the audited 查看完整信息 is on the appeal's page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from minyi.api.models import ApiKey
from minyi.appeals.models import Appeal, AppealQuerySet
from minyi.appeals.queries import visible_to
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
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
    """May see or search personal data: by role for people (shown masked all the same); for a key, ``pii:read``."""
    if key is not None:
        return PII_READ in key.scope_set()
    return sees_personal_data(user)


def key_sees_pii(key: ApiKey | None) -> bool:
    """Whether the answer goes out with personal data in full: only to a key with ``pii:read``."""
    return key is not None and PII_READ in key.scope_set()


# A list names at most this many appeals in its log row (a page holds up to 100); the count is always there.
LOGGED_NUMBERS = 50


def record_disclosure(request: HttpRequest, key: ApiKey, numbers: list[str], *, listing: bool) -> None:
    """One security-log row for an answer that gives ``key`` these appeals' personal data in full."""
    if not numbers:
        return
    record_security_event(
        SecurityKind.EXPORT_PII if listing else SecurityKind.REVEAL_PII,
        request=request,
        user=key.user,
        target=(f"{numbers[0]} 等 {len(numbers)} 件" if listing else numbers[0]),
        details={
            "api_key": key.name,
            "prefix": key.prefix,
            "endpoint": f"{request.method} {request.path}"[:200],
            "appeals": numbers[:LOGGED_NUMBERS],
            "count": len(numbers),
        },
    )


def idempotency_caller(user: Any, key: ApiKey | None) -> str:
    """The namespace of the caller's Idempotency-Key: one per API key, else the logged-in user."""
    return f"api:{key.prefix}" if key is not None else f"user:{user.pk}"
