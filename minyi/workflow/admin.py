from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minyi.workflow.models import AuditEvent, CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin[CalendarOverride]):
    list_display = ("day", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "day"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: audit rows are immutable."""

    list_display = ("at", "appeal", "event", "from_state", "to_state", "actor_label")
    list_filter = ("event",)
    search_fields = ("appeal__number",)
    raw_id_fields = ("appeal",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
