"""One gate for every staff request: session lifetimes, the second factor, a forced password change, 三员分立.

Order matters: an expired session ends first; a user who needs TOTP must pass it before
anything else; then a flagged or expired password must be changed. The security and audit
admins are kept out of the appeal pages altogether.

The REST API (``/api/``) passes the same gate when a session calls it (API keys carry no
session and are not affected): instead of a redirect to the next step it answers in the
API's error shape, since a script or the browser's fetch cannot follow a login page.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from minyi.accounts import services, sessions
from minyi.core.roles import roles_of
from minyi.workflow.policy import Role

# Paths a half-authenticated user may still reach: the steps themselves, logout, assets.
_OPEN_PREFIXES = ("/static/", "/media/", "/i18n/", "/logout", "/healthz", "/accounts/otp/", "/accounts/password/")
# Everything the security and audit admins may open; appeal pages are not among them.
_SEPARATED_PREFIXES = ("/accounts/", "/audit/", "/admin/", "/login", "/logout", "/static/", "/i18n/", "/healthz")


_API_PREFIX = "/api/"


def _api_refusal(status: int, code: str, message: str, message_en: str) -> JsonResponse:
    # The shape of minyi.api.errors.body, written out here so that accounts does not import the API.
    payload = {"code": code, "message": message, "message_en": message_en, "fields": {}}
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


class IdentityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self._gate(request) or self.get_response(request)

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or request.path.startswith(("/open311/", "/portal/")):
            return None
        api = request.path.startswith(_API_PREFIX)
        reason = sessions.expired(request)
        if reason is not None:
            request.minyi_logout_reason = reason  # type: ignore[attr-defined]  # read by the LOGOUT log row
            logout(request)
            if api:  # anonymous from here on: the API answers 401 unless an API key comes with the request
                return None
            return redirect(f"{reverse('login')}?{urlencode({'timeout': reason, 'next': request.get_full_path()})}")
        path = request.path
        if path.startswith(_OPEN_PREFIXES):
            return None
        if services.needs_otp(user) and not user.is_verified():  # type: ignore[union-attr,attr-defined]  # OTPMiddleware adds it
            if api:
                return _api_refusal(401, "otp_required", _("请先在网页上完成动态口令验证，再使用接口。"), "Complete the TOTP second factor first")
            step = "accounts:otp_verify" if services.has_otp_device(user) else "accounts:otp_enroll"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        if services.password_must_change(user) is not None:
            if api:
                return _api_refusal(403, "password_change_required", _("请先在网页上修改密码，再使用接口。"), "Change your password first")
            return redirect(f"{reverse('accounts:password_change')}?{urlencode({'next': request.get_full_path()})}")
        roles = roles_of(user)
        if roles and roles <= {Role.SECADMIN, Role.AUDITOR} and not path.startswith(_SEPARATED_PREFIXES):
            if api:  # they act on no appeal, so no part of the API (not even its description) is theirs
                message = _("安全管理员和审计管理员不处理诉求，不能使用业务接口。")
                return _api_refusal(403, "separated_role", message, "Security and audit administrators may not use the appeals API")
            return HttpResponseForbidden(_("安全管理员和审计管理员不处理诉求，不能打开业务页面。"))
        return None

