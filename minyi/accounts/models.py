"""What identity needs besides Django's user: the forced-change flag and the password history."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PasswordProfile(models.Model):
    """One per user who ever had a password set through minyi; absent means nothing to enforce yet."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_profile")
    # Set for an initial password and after a reset by the security admin: the middleware sends
    # the user to the change-password page until they choose their own.
    must_change = models.BooleanField("须修改密码", default=False)
    changed_at = models.DateTimeField("密码设置时间", null=True, blank=True)

    class Meta:
        verbose_name = "密码状态"
        verbose_name_plural = "密码状态"

    def __str__(self) -> str:
        return f"{self.user} {'须修改' if self.must_change else ''}".strip()


class PasswordHistory(models.Model):
    """Hashes of a user's earlier passwords, newest first, so a new one may not repeat them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("密码摘要", max_length=128)
    created_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_user")]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"
