"""Writing the security log. Every caller goes through ``record_security_event``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from minyi.audit.models import SecurityEvent, SecurityKind
from minyi.core import proxies


def client_ip(request: HttpRequest | None) -> str:
    """The client's address as the trusted-proxy middleware resolved it, for the log's column."""
    return (proxies.client_ip(request) or "")[:45] if request is not None else ""


def record_security_event(
    kind: SecurityKind | str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    target: str = "",
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Append one row to the security log: who (user or username), what, when, from where."""
    if user is None and request is not None and getattr(request, "user", None) is not None and request.user.is_authenticated:
        user = request.user
    actor = user if getattr(user, "pk", None) is not None else None
    label = username or (actor.get_username() if actor is not None else "")
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:200] if request is not None else ""
    return SecurityEvent.objects.create(
        at=timezone.now(),
        kind=str(kind),
        actor=actor,
        actor_label=label[:150],
        ip=client_ip(request),
        user_agent=agent,
        target=target[:200],
        outcome=outcome,
        details=details or {},
    )
