"""One gate for every staff request: session lifetimes, the second factor, a forced password change, 三员分立.

Order matters: an expired session ends first; a user who needs TOTP must pass it before
anything else; then a flagged or expired password must be changed. The security and audit
admins are kept out of the appeal pages altogether.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from minyi.accounts import services, sessions
from minyi.accounts.context import current_request
from minyi.core.roles import roles_of
from minyi.workflow.policy import Role

# Paths a half-authenticated user may still reach: the steps themselves, logout, assets.
_OPEN_PREFIXES = ("/static/", "/media/", "/i18n/", "/logout", "/healthz", "/accounts/otp/", "/accounts/password/")
# Everything the security and audit admins may open; appeal pages are not among them.
_SEPARATED_PREFIXES = ("/accounts/", "/audit/", "/admin/", "/login", "/logout", "/static/", "/i18n/", "/healthz")


class IdentityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self._gate(request) or self.get_response(request)
        finally:
            current_request.reset(token)

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or request.path.startswith(("/api/", "/open311/", "/portal/")):
            return None
        reason = sessions.expired(request)
        if reason is not None:
            request.minyi_logout_reason = reason  # type: ignore[attr-defined]  # read by the LOGOUT log row
            logout(request)
            return redirect(f"{reverse('login')}?{urlencode({'timeout': reason, 'next': request.get_full_path()})}")
        path = request.path
        if path.startswith(_OPEN_PREFIXES):
            return None
        if services.needs_otp(user) and not user.is_verified():  # type: ignore[union-attr,attr-defined]  # OTPMiddleware adds it
            step = "accounts:otp_verify" if services.has_otp_device(user) else "accounts:otp_enroll"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        if services.password_must_change(user) is not None:
            return redirect(f"{reverse('accounts:password_change')}?{urlencode({'next': request.get_full_path()})}")
        roles = roles_of(user)
        if roles and roles <= {Role.SECADMIN, Role.AUDITOR} and not path.startswith(_SEPARATED_PREFIXES):
            return HttpResponseForbidden(_("安全管理员和审计管理员不处理诉求，不能打开业务页面。"))
        return None

