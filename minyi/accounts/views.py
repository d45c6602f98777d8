"""Login, the second factor, password change and the security admin's lockout page."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minyi.accounts import services
from minyi.accounts.forms import ChangeOwnPasswordForm, LoginForm, TokenForm, UnlockForm
from minyi.accounts.sessions import IDLE, MAX_AGE
from minyi.core.roles import roles_of
from minyi.workflow.policy import Role


def _timeout_message(reason: str | None) -> str:
    if reason == IDLE:
        return _("您已超过 %(minutes)d 分钟没有操作，为保护数据已自动退出，请重新登录。") % {"minutes": settings.MINYI_SESSION_IDLE_MINUTES}
    if reason == MAX_AGE:
        return _("本次登录已满 %(hours)d 小时，为保护数据已自动退出，请重新登录。") % {"hours": settings.MINYI_SESSION_MAX_HOURS}
    return ""


def _lock_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("登录失败次数过多，该账号或本机地址已被锁定 %(minutes)d 分钟。如需提前解锁，请联系安全管理员。") % {"minutes": minutes}


class LoginView(auth_views.LoginView):
    template_name = "login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["timeout_message"] = _timeout_message(self.request.GET.get("timeout"))
        form = context.get("form")
        context["superuser_refused"] = bool(form is not None and form.has_error("__all__", "superuser"))
        return context


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: dict[str, Any] | None = None) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): the login page with the reason, status 429."""
    form = LoginForm(request, data=None, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "locked_message": _lock_message(), "next": request.POST.get("next", "")}
    return render(request, "login.html", context, status=429)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Where a login lands: the security admin on accounts, the auditor on the security log, everyone else on the desk."""
    roles = roles_of(request.user)
    if Role.SECADMIN in roles:
        return redirect("accounts:locks")
    if Role.AUDITOR in roles:
        return redirect("audit:log")
    return redirect("desk:home")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    reason = services.password_must_change(request.user)
    form = ChangeOwnPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, form.cleaned_data["new_password1"], request=request)
        except ValidationError as exc:
            form.add_error("new_password2", exc)
        else:
            messages.success(request, _("密码已修改。"))
            return redirect(_next(request, reverse("accounts:landing")))
    return render(request, "accounts/password_change.html", {
        "form": form,
        "reason": reason,
        "next": _next(request, ""),
        "min_length": settings.MINYI_PASSWORD_MIN_LENGTH,
        "max_age_days": settings.MINYI_PASSWORD_MAX_AGE_DAYS,
    })


def _qr_svg(device: Any) -> str:
    # Drawn here, inline: the secret never leaves the server for a QR service.
    return mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=False))  # noqa: S308 - segno's own SVG markup


@login_required
def otp_enroll(request: HttpRequest) -> HttpResponse:
    if services.has_otp_device(request.user):
        return redirect("accounts:otp_verify")
    device = services.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_enrolment(request, device, form.cleaned_data["token"]):
            messages.success(request, _("动态口令已绑定，以后登录时需输入验证器上的 6 位数字。"))
            return redirect(_next(request, reverse("accounts:landing")))
        form.add_error("token", _("动态口令不正确，请核对手机时间后输入验证器上当前显示的 6 位数字。"))
    secret = device.config_url.split("secret=")[1].split("&")[0]
    context = {"form": form, "qr": _qr_svg(device), "secret": secret, "next": _next(request, "")}
    return render(request, "accounts/otp_enroll.html", context)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    if not services.has_otp_device(request.user):
        return redirect("accounts:otp_enroll")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_second_factor(request, form.cleaned_data["token"]):
            return redirect(_next(request, reverse("accounts:landing")))
        form.add_error("token", _("动态口令不正确或已过期，请稍候输入新的 6 位数字。"))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next(request, "")})


@login_required
def locks(request: HttpRequest) -> HttpResponse:
    if Role.SECADMIN not in roles_of(request.user):
        return HttpResponseForbidden(_("只有安全管理员可以查看和解除登录锁定。"))
    return render(request, "accounts/locks.html", {"locks": services.locks()})


@login_required
@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("来源地址格式不正确。"))
        return redirect("accounts:locks")
    try:
        services.unlock(username=form.cleaned_data["username"], ip=form.cleaned_data["ip"] or "", by=request.user, request=request)
    except PermissionDenied as exc:
        return HttpResponseForbidden(str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:locks")
    messages.success(request, _("已解除锁定：%(target)s") % {"target": form.cleaned_data["username"] or form.cleaned_data["ip"]})
    return redirect("accounts:locks")
