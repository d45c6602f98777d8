"""Idle and absolute session lifetimes (等保: 登录连接超时自动退出).

The session keeps two stamps: when the user logged in and when they were last seen. A
request past ``MINYI_SESSION_IDLE_MINUTES`` of silence or ``MINYI_SESSION_MAX_HOURS`` after
login ends the session. Django's own cookie age is the absolute lifetime as a backstop.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

AUTH_AT = "minyi_auth_at"
SEEN_AT = "minyi_seen_at"
# The last-seen stamp is rewritten at most this often, so a busy page does not write the session row on every request.
SEEN_RESOLUTION = dt.timedelta(seconds=30)

IDLE = "idle"
MAX_AGE = "max_age"


def start(request: HttpRequest) -> None:
    now = timezone.now().timestamp()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now


def expired(request: HttpRequest) -> str | None:
    """Why this session must end now (``IDLE`` or ``MAX_AGE``), or None; stamps the visit when it may go on."""
    now = timezone.now()
    auth_at = request.session.get(AUTH_AT)
    seen_at = request.session.get(SEEN_AT)
    if auth_at is None or seen_at is None:  # a session from before these stamps: start counting now
        start(request)
        return None
    if now - _at(auth_at) > dt.timedelta(hours=settings.MINYI_SESSION_MAX_HOURS):
        return MAX_AGE
    if now - _at(seen_at) > dt.timedelta(minutes=settings.MINYI_SESSION_IDLE_MINUTES):
        return IDLE
    if now - _at(seen_at) >= SEEN_RESOLUTION:
        request.session[SEEN_AT] = now.timestamp()
    return None


def _at(stamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)
