"""Accounts in ``/admin/`` for the security admin: no superuser flag, no per-user permissions, 三员分立 on roles."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from minyi.accounts.models import PasswordProfile
from minyi.accounts.permissions import STAFF_ROLES
from minyi.accounts.services import check_role_separation
from minyi.audit.middleware import current_request
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.workflow.policy import Role


def _roles(groups: Any) -> set[Role]:
    codes = {g.name for g in groups}
    return {r for r in Role if r.value in codes}


class StaffChangeForm(UserChangeForm):  # type: ignore[type-arg]
    request: HttpRequest | None = None

    def clean_groups(self) -> Any:
        groups = self.cleaned_data.get("groups") or Group.objects.none()
        check_role_separation(_roles(groups))
        editor = getattr(self.request, "user", None)
        if editor is not None and self.instance.pk == editor.pk and set(groups) != set(self.instance.groups.all()):
            raise ValidationError("不能修改自己的角色，请由另一位安全管理员操作。")
        return groups


class ResetPasswordForm(AdminPasswordChangeForm):  # type: ignore[type-arg]
    """A password the security admin sets for someone else: valid by policy, changed at next login, logged."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        PasswordProfile.objects.update_or_create(user=user, defaults={"must_change": True})
        record_security_event(SecurityKind.PASSWORD_RESET, request=current_request(), target=user.get_username())
        return user


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    form = StaffChangeForm
    change_password_form = ResetPasswordForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("first_name", "last_name", "email")}),
        ("角色", {"fields": ("is_active", "groups")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "first_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "groups")
    filter_horizontal = ("groups",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]  # StaffChangeForm reads it to refuse self-edits
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are deactivated, never deleted: the security log keeps pointing at them

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.is_superuser = False
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            PasswordProfile.objects.update_or_create(user=obj, defaults={"must_change": True})

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user = form.instance
        is_staff = bool(_roles(user.groups.all()) & STAFF_ROLES)
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])


@admin.register(PasswordProfile)
class PasswordProfileAdmin(admin.ModelAdmin[PasswordProfile]):
    list_display = ("user", "must_change", "changed_at")
    list_filter = ("must_change",)
    search_fields = ("user__username",)
    fields = ("user", "must_change", "changed_at")
    readonly_fields = ("user", "changed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


