"""Identity actions: passwords, lockouts, roles and second factors. Each writes one security-log row.

Views, the admin and the ``minyi accounts`` command only parse and call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from minyi.accounts.models import PasswordProfile
from minyi.accounts.permissions import SEPARATED_ROLES, STAFF_ROLES, group_for
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.core.roles import roles_of
from minyi.workflow.policy import ROLE_LABELS, Role

# ----- what the middleware enforces ----------------------------------------------------


def relaxed() -> bool:
    """The demo's relaxed mode, honoured only while debug is on (settings refuses it otherwise)."""
    return bool(settings.MINYI_DEMO_RELAXED and settings.DEBUG)


def needs_otp(user: Any) -> bool:
    required = {str(r) for r in settings.MINYI_OTP_REQUIRED_ROLES}
    return not relaxed() and any(role.value in required for role in roles_of(user))


def has_otp_device(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def password_must_change(user: Any, now: dt.datetime | None = None) -> str | None:
    """"initial" (set by someone else), "expired" (older than MINYI_PASSWORD_MAX_AGE_DAYS), or None."""
    if relaxed() or not user.has_usable_password():
        return None
    profile = PasswordProfile.objects.filter(user=user).first()
    if profile is not None and profile.must_change:
        return "initial"
    max_age = int(settings.MINYI_PASSWORD_MAX_AGE_DAYS)
    if max_age <= 0:
        return None
    changed_at = profile.changed_at if profile is not None and profile.changed_at else user.date_joined
    if (now or timezone.now()) - changed_at > dt.timedelta(days=max_age):
        return "expired"
    return None


# ----- passwords -----------------------------------------------------------------------


@transaction.atomic
def set_initial_password(user: Any, password: str) -> None:
    """A password chosen by someone else (account creation): valid by policy, and to be changed at first login."""
    validate_password(password, user)
    user.set_password(password)
    user.save()
    PasswordProfile.objects.update_or_create(user=user, defaults={"must_change": True})


@transaction.atomic
def change_password(user: Any, new_password: str, *, request: HttpRequest | None = None) -> None:
    """The user chooses their own password: it ends a forced change and restarts the expiry clock."""
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save()
    PasswordProfile.objects.update_or_create(user=user, defaults={"must_change": False})
    if request is not None:
        update_session_auth_hash(request, user)
    record_security_event(SecurityKind.PASSWORD_CHANGE, request=request, user=user, target=user.get_username())


@transaction.atomic
def reset_password(user: Any, new_password: str, *, by: Any, request: HttpRequest | None = None) -> None:
    """The security admin sets a new password for someone who lost theirs; they must change it at next login."""
    _require_secadmin(by)
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save()
    PasswordProfile.objects.update_or_create(user=user, defaults={"must_change": True})
    record_security_event(SecurityKind.PASSWORD_RESET, request=request, user=by, target=user.get_username())


# ----- lockouts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lock:
    kind: str  # "username" or "ip"
    value: str
    failures: int
    last_attempt: dt.datetime


def locks(now: dt.datetime | None = None) -> list[Lock]:
    """Accounts and addresses locked right now, the way django-axes counts them (either parameter locks)."""
    since = (now or timezone.now()) - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    limit = int(settings.AXES_FAILURE_LIMIT)
    found: list[Lock] = []
    for field, kind in (("username", "username"), ("ip_address", "ip")):
        rows = recent.values(field).annotate(failures=Sum("failures_since_start"), last=Max("attempt_time")).filter(failures__gte=limit)
        found += [Lock(kind, str(row[field] or ""), int(row["failures"]), row["last"]) for row in rows.order_by("-last")]
    return found


@transaction.atomic
def unlock(*, username: str = "", ip: str = "", by: Any, request: HttpRequest | None = None, via: str = "web") -> int:
    """Lift a lockout before its cool-off ends (解除锁定).

    Only the security admin may; at the server's shell (``via="shell"``) ``by`` may be None,
    since whoever holds the shell already holds more than that.
    """
    if by is not None or via != "shell":
        _require_secadmin(by)
    if not username and not ip:
        raise ValidationError(_("请指定要解锁的用户名或来源地址。"))
    removed = axes_reset(username=username or None, ip=ip or None)
    record_security_event(
        SecurityKind.UNLOCK, request=request, user=by, target=username or ip, details={"username": username, "ip": ip, "attempts_removed": removed, "via": via}
    )
    return int(removed)


# ----- roles ---------------------------------------------------------------------------


def check_role_separation(roles: Iterable[Role]) -> None:
    """三员分立: the system, security and audit admins are three people, and the latter two do nothing else."""
    held = set(roles)
    separated = held & SEPARATED_ROLES
    if len(separated) > 1:
        names = "、".join(ROLE_LABELS[r] for r in sorted(separated))
        raise ValidationError(_("系统管理员、安全管理员和审计管理员须由不同人员担任，不能同时授予：%(roles)s。") % {"roles": names})
    if separated & {Role.SECADMIN, Role.AUDITOR} and len(held) > 1:
        raise ValidationError(_("安全管理员和审计管理员不能兼任其他业务角色。"))


@transaction.atomic
def set_roles(user: Any, roles: Iterable[Role], *, by: Any, request: HttpRequest | None = None) -> None:
    """Give a user exactly these roles (the m2m signal writes ROLE_CHANGE). Only the security admin may, never on themselves."""
    _require_secadmin(by)
    if getattr(by, "pk", None) == user.pk:
        raise PermissionDenied(_("不能修改自己的角色，请由另一位安全管理员操作。"))
    wanted = set(roles)
    check_role_separation(wanted)
    user.groups.set([group_for(role) for role in sorted(wanted)])
    user.is_staff = bool(wanted & STAFF_ROLES)
    user.is_superuser = False
    user.save(update_fields=["is_staff", "is_superuser"])
    if hasattr(user, "_minyi_roles"):
        del user._minyi_roles


def _require_secadmin(by: Any) -> None:
    if Role.SECADMIN not in roles_of(by):
        raise PermissionDenied(_("只有安全管理员可以管理账号、角色和锁定。"))


# ----- second factor (TOTP) --------------------------------------------------------------


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed TOTP device shown on the enrolment page (one per user until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("动态口令"), confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """The user types the first code from their authenticator: the device counts from now on."""
    if device.confirmed or not device.verify_token(token):
        record_security_event(SecurityKind.OTP_FAILED, request=request, target=device.user.get_username(), outcome="denied", details={"step": "enrol"})
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    record_security_event(SecurityKind.OTP_ENROLL, request=request, target=device.user.get_username())
    return True


def verify_second_factor(request: HttpRequest, token: str) -> bool:
    """The code after the password; a wrong one is logged (and throttled by django-otp)."""
    user = request.user
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            otp_login(request, device)
            return True
    record_security_event(SecurityKind.OTP_FAILED, request=request, target=user.get_username(), outcome="denied", details={"step": "login"})
    return False
