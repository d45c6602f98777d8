from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        # A superuser passes every permission check, 三员分立 included: none may log in outside the demo.
        if user.is_superuser and not settings.DEBUG:
            raise ValidationError(_("超级用户不能在正式环境登录，请使用分配了角色的账号。"), code="superuser")


class ChangeOwnPasswordForm(PasswordChangeForm):
    """Django's form checks the old password and runs every validator on the new one; the action saves."""

    def save(self, commit: bool = True) -> Any:  # the view calls accounts.services.change_password instead
        raise NotImplementedError


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("动态口令"), min_length=6, max_length=8, widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})
    )


class UnlockForm(forms.Form):
    username = forms.CharField(required=False, max_length=150)
    ip = forms.GenericIPAddressField(required=False)
