"""Security-log rows for changes made outside the named actions: Django admin and API keys."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from minyi.audit.middleware import current_request
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event

ADMIN_ACTIONS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def admin_change_logged(sender: Any, instance: LogEntry, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """``post_save`` of admin's LogEntry: one ADMIN_CHANGE row with who, what and which object."""
    if not created or raw:
        return
    record_security_event(
        SecurityKind.ADMIN_CHANGE,
        request=current_request(),
        user=instance.user,
        target=f"{instance.content_type.app_label}.{instance.content_type.model}:{instance.object_id}",
        details={
            "action": ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)),
            "object": instance.object_repr,
            "change": instance.get_change_message(),
        },
    )


def audited_delete_selected(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
    """Admin's "delete selected": Django logs two or more objects with bulk_create, which sends no
    ``post_save``; record those here (one object still goes through the signal above)."""
    targets = [(obj.pk, str(obj)[:200]) for obj in queryset] if request.POST.get("post") else []
    response = delete_selected(modeladmin, request, queryset)
    if response is None and len(targets) > 1:
        meta = modeladmin.model._meta
        record_security_event(
            SecurityKind.ADMIN_CHANGE,
            request=request,
            target=f"{meta.app_label}.{meta.model_name}:{','.join(str(pk) for pk, _ in targets)}"[:200],
            details={"action": "delete", "objects": [label for _, label in targets]},
        )
    return response


audited_delete_selected.short_description = delete_selected.short_description  # type: ignore[attr-defined]
audited_delete_selected.allowed_permissions = delete_selected.allowed_permissions  # type: ignore[attr-defined]


def api_key_before(sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is not None and not raw and (update_fields is None or "active" in update_fields):
        instance._minyi_was_active = sender.objects.filter(pk=instance.pk).values_list("active", flat=True).first()


def api_key_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """An API key created, revoked or re-enabled (from the CLI, the admin or the API)."""
    if raw:
        return
    was_active = getattr(instance, "_minyi_was_active", None)
    if created:
        action = "create"
    elif was_active is not None and was_active != instance.active:
        action = "enable" if instance.active else "revoke"
    else:
        return
    record_api_key_event(instance, action)


def record_api_key_event(key: Any, action: str, *, user: Any = None) -> None:
    record_security_event(
        SecurityKind.API_KEY,
        request=current_request(),
        user=user,
        target=f"{key.name} ({key.prefix}…)",
        details={"action": action, "scopes": key.scopes, "service_account": key.user.get_username() if key.user_id else ""},
    )


def connect() -> None:
    from django.db.models.signals import post_save, pre_save

    from minyi.api.models import ApiKey

    post_save.connect(admin_change_logged, sender=LogEntry, dispatch_uid="minyi.audit.admin_change")
    pre_save.connect(api_key_before, sender=ApiKey, dispatch_uid="minyi.audit.api_key_before")
    post_save.connect(api_key_saved, sender=ApiKey, dispatch_uid="minyi.audit.api_key_saved")
    admin.site.add_action(audited_delete_selected, "delete_selected")  # type: ignore[arg-type]
