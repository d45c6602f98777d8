"""Password rules 等保2.0 asks for, as Django password validators (AUTH_PASSWORD_VALIDATORS).

Length, similarity to the username and common passwords are Django's own validators;
these add character classes, known default passwords and the history of earlier passwords.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# Passwords printed in manuals, demos and installers. The demo's own password is the first:
# `make demo` prints it, so it must never protect a production account.
KNOWN_DEFAULT_PASSWORDS = frozenset(
    p.casefold()
    for p in (
        "minyi-demo-2026",
        "change-me-minyi-placeholder-secret",
        "minyi123456",
        "Minyi@2026",
        "Minyi@123",
        "Admin@123",
        "Admin@1234",
        "Admin@12345",
        "Admin123456",
        "admin@123456",
        "P@ssw0rd",
        "P@ssw0rd123",
        "Passw0rd!",
        "Password@123",
        "Abc@123456",
        "Aa123456!",
        "1qaz@WSX",
        "1qaz@WSX3edc",
        "1qaz2wsx3edc",
        "Qwer@1234",
        "Root@123",
        "Huawei@123",
        "Sangfor@123",
        "Changeme_123",
        "Welcome@123",
    )
)


def _classes(password: str) -> int:
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return lower + upper + digit + other


class CharacterClassesValidator:
    """At least ``required`` of four classes: lower-case, upper-case, digits, other characters."""

    def __init__(self, required: int = 3) -> None:
        self.required = required

    def validate(self, password: str, user: Any = None) -> None:
        if _classes(password) < self.required:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字和符号中的至少 %(required)d 类。") % {"required": self.required},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字和符号中的至少 %(required)d 类。") % {"required": self.required}


_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class CommonBaseValidator:
    """``Password123!``, ``P@ssw0rd2026``: a common word dressed up with digits and symbols is still guessed first."""

    def __init__(self) -> None:
        from django.contrib.auth.password_validation import CommonPasswordValidator

        self.common = CommonPasswordValidator().passwords

    def bases(self, password: str) -> set[str]:
        plain = _EDGES.sub("", password).casefold()
        return {plain, _EDGES.sub("", password.casefold().translate(_LEET))} - {""}

    def validate(self, password: str, user: Any = None) -> None:
        if any(len(base) >= 4 and base in self.common for base in self.bases(password)):
            raise ValidationError(_("密码的主体是常见单词或常用密码，加上数字和符号也很容易被猜中，请另设密码。"), code="password_common_base")

    def get_help_text(self) -> str:
        return _("不能以常见单词或常用密码为主体。")


class KnownDefaultPasswordValidator:
    """Refuses the demo's printed password and well-known default passwords outside debug mode."""

    def validate(self, password: str, user: Any = None) -> None:
        if not settings.DEBUG and password.casefold() in KNOWN_DEFAULT_PASSWORDS:
            raise ValidationError(_("这是公开的默认密码或演示密码，不能在正式环境使用，请另设密码。"), code="password_known_default")

    def get_help_text(self) -> str:
        return _("不能使用演示密码或公开的默认密码。")


class PasswordHistoryValidator:
    """A new password may not repeat the current one or any of the last ``MINYI_PASSWORD_HISTORY``.

    ``password_changed`` (Django calls it after every ``set_password`` + ``save``) keeps the
    hashes and stamps the change time that password expiry counts from.
    """

    def _keep(self) -> int:
        return max(0, int(settings.MINYI_PASSWORD_HISTORY))

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None or self._keep() == 0:
            return
        from minyi.accounts.models import PasswordHistory

        earlier = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self._keep()])
        if user.password:
            earlier.append(user.password)
        if any(check_password(password, encoded) for encoded in earlier):
            raise ValidationError(
                _("新密码不能与最近 %(count)d 次使用过的密码相同。") % {"count": self._keep()},
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        from minyi.accounts.models import PasswordHistory, PasswordProfile

        now = timezone.now()
        PasswordProfile.objects.update_or_create(user=user, defaults={"changed_at": now})
        if self._keep() == 0 or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self._keep() :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return _("新密码不能与最近 %(count)d 次使用过的密码相同。") % {"count": self._keep()}
