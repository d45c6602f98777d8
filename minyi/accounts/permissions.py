"""三员分立 in Django's admin: each role group holds exactly the model permissions its duty needs.

No production account is a superuser (a superuser passes every permission check), so these
groups are the only way into ``/admin/``. ``grant_role_permissions`` runs after every migrate
and sets each group's permissions to this table, so the table is the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from minyi.workflow.policy import Role

ALL = ("add", "change", "delete", "view")

# role → {"app_label.model": actions}
ROLE_PERMISSIONS: Mapping[Role, Mapping[str, tuple[str, ...]]] = {
    # 系统管理员: reference data only; no accounts, roles, lockouts, keys or security log.
    Role.ADMIN: {
        "directory.department": ALL,
        "directory.gridcell": ALL,
        "directory.category": ALL,
        "directory.channel": ALL,
        "directory.staffprofile": ("view",),
        "workflow.calendaroverride": ALL,
        "assistant.industry": ALL,
        "assistant.card": ALL,
        "assistant.faq": ALL,
        "assistant.synonym": ALL,
        "assistant.pastreply": ALL,
        "desk.replytemplate": ALL,
        "accountability.enterprise": ALL,
        "accountability.annualtopic": ALL,
        "api.webhook": ALL,
        "api.delivery": ("view", "change"),
        "api.deadletter": ("view", "change"),
    },
    # 安全管理员: accounts, roles, lockouts, second factors and API keys; no appeal, no security log.
    Role.SECADMIN: {
        "auth.user": ("add", "change", "view"),
        "auth.group": ("view",),
        "directory.staffprofile": ("add", "change", "view"),
        "directory.department": ("view",),  # to pick a department for a staff profile
        "api.apikey": ("change", "delete", "view"),
        "axes.accessattempt": ("delete", "view"),
        "otp_totp.totpdevice": ("delete", "view"),
        "accounts.passwordprofile": ("change", "view"),
    },
    # 审计管理员: reads the security log and nothing else.
    Role.AUDITOR: {
        "audit.securityevent": ("view",),
    },
}

# Roles that must stay with separate people: one person never holds two of these, nor an
# operational role besides security or audit administration.
SEPARATED_ROLES = frozenset({Role.ADMIN, Role.SECADMIN, Role.AUDITOR})
STAFF_ROLES = SEPARATED_ROLES  # the roles that may open /admin/ at all


def permissions_for(role: Role) -> list[Permission]:
    wanted = Q(pk__in=[])
    for model, actions in ROLE_PERMISSIONS.get(role, {}).items():
        app_label, model_name = model.split(".")
        codenames = [f"{action}_{model_name}" for action in actions]
        wanted |= Q(content_type__app_label=app_label, content_type__model=model_name, codename__in=codenames)
    return list(Permission.objects.filter(wanted))


def group_for(role: Role) -> Group:
    """The role's group, created with its permissions if a flushed test database lost it."""
    group, created = Group.objects.get_or_create(name=role.value)
    if created:
        group.permissions.set(permissions_for(role))
    return group


def grant_role_permissions(using: str = "default", **kwargs: Any) -> None:
    """post_migrate: make sure every app's permissions exist, then set each role group's to the table."""
    from django.apps import apps

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set(permissions_for(role))
