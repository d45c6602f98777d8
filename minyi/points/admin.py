"""Admin pages for points. Points are created, imported and retired through the named actions
(``minyi codes import``, the staff pages); the admin edits descriptive fields only and shows the
records the actions write read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minyi.points.models import Owner, Point, PointAppeal, PointAudit, RewardEntry


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin[Owner]):
    list_display = ("name", "kind", "market", "stall", "grid")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Point)
class PointAdmin(admin.ModelAdmin[Point]):
    list_display = ("name", "kind", "service", "grid", "department", "verification", "active")
    list_filter = ("kind", "service", "active", "verification")
    search_fields = ("name", "code", "address")
    readonly_fields = ("code", "kind", "active", "retired_at", "retired_reason", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the import or the staff pages, so that each creation is audited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire instead: printed codes must keep answering


@admin.register(PointAppeal)
class PointAppealAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "point", "created_at")


@admin.register(RewardEntry)
class RewardEntryAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "point", "valid", "points", "department", "decided_at")
    list_filter = ("valid",)


@admin.register(PointAudit)
class PointAuditAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "event", "point", "reason")
