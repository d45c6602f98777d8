"""Security-log rows for what Django and django-axes announce: logins, logouts, failures, lockouts, role changes."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.http import HttpRequest

from minyi.accounts import sessions
from minyi.audit.middleware import current_request
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.start(request)
    record_security_event(SecurityKind.LOGIN, request=request, user=user, target=user.get_username())


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    reason = getattr(request, "minyi_logout_reason", "") if request is not None else ""
    details = {"reason": reason} if reason else {}
    username = user.get_username() if user is not None else ""
    record_security_event(SecurityKind.LOGOUT, request=request, user=user, username=username, target=username, details=details)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    # Past the limit the account or address was already locked: refused before its password was checked.
    locked = _over_limit(request)
    record_security_event(
        SecurityKind.LOGIN_FAILED, request=request, username=username, target=username, outcome="denied", details={"locked": locked}
    )


def _over_limit(request: HttpRequest | None) -> bool:
    return int(getattr(request, "axes_failures_since_start", 0) or 0) > int(settings.AXES_FAILURE_LIMIT)


def on_locked_out(sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    # Axes repeats the signal for every failure while locked; the log wants the moment it locked.
    failures = int(getattr(request, "axes_failures_since_start", 0) or 0)
    if failures != int(settings.AXES_FAILURE_LIMIT):
        return
    record_security_event(
        SecurityKind.LOCKOUT,
        request=request,
        username=username or "",
        target=username or ip_address or "",
        outcome="denied",
        details={"username": username or "", "ip": ip_address or "", "failures": failures},
    )


_PENDING_CLEAR = "_minyi_groups_before_clear"


def on_groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any) -> None:
    """ROLE_CHANGE for every change of a user's groups, from the admin, a command or an action."""
    if action == "pre_clear":
        users = [instance] if not reverse else list(instance.user_set.all())
        for user in users:
            setattr(user, _PENDING_CLEAR, sorted(user.groups.values_list("name", flat=True)))
        if reverse:
            setattr(instance, _PENDING_CLEAR, [u.pk for u in users])
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    verb = {"post_add": "add", "post_remove": "remove", "post_clear": "clear"}[action]
    if reverse:  # group.user_set.add(user, …)
        user_ids = sorted(pk_set or getattr(instance, _PENDING_CLEAR, []))
        for user in get_user_model().objects.filter(pk__in=user_ids):
            _log_role_change(user, verb, [instance.name])
        return
    if action == "post_clear":
        names = getattr(instance, _PENDING_CLEAR, [])
    else:
        names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    if names:
        _log_role_change(instance, verb, list(names))


def _log_role_change(user: Any, verb: str, groups: list[str]) -> None:
    request = current_request()
    record_security_event(
        SecurityKind.ROLE_CHANGE,
        request=request,
        target=user.get_username(),
        details={"action": verb, "roles": groups, "now": sorted(user.groups.values_list("name", flat=True))},
    )


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="minyi.accounts.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="minyi.accounts.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="minyi.accounts.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="minyi.accounts.locked_out")
    m2m_changed.connect(on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="minyi.accounts.groups")
