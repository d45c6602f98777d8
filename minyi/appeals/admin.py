from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from minyi.appeals.models import Appeal, Attachment


class AttachmentInline(admin.TabularInline[Attachment, Appeal]):
    model = Attachment
    extra = 0
    readonly_fields = ("original_name", "content_type", "size", "uploaded_by", "created_at")


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin[Appeal]):
    """Read-only view for admins: appeals change only through workflow actions."""

    list_display = ("number", "title", "channel", "status", "department", "created_at")
    list_filter = ("status", "channel", "kind", "priority")
    search_fields = ("number", "title", "phone")
    inlines = [AttachmentInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
