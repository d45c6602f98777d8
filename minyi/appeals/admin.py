from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from minyi.appeals.models import Appeal, Attachment, phone_q


class AttachmentInline(admin.TabularInline[Attachment, Appeal]):
    model = Attachment
    extra = 0
    readonly_fields = ("original_name", "content_type", "size", "uploaded_by", "created_at")


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin[Appeal]):
    """Read-only view for admins: appeals change only through workflow actions."""

    list_display = ("number", "title", "channel", "status", "department", "created_at")
    list_filter = ("status", "channel", "kind", "priority")
    search_fields = ("number", "title")  # and the phone, through its blind index (get_search_results)
    exclude = ("phone_index",)
    inlines = [AttachmentInline]
    show_full_result_count = False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Appeal], search_term: str) -> tuple[QuerySet[Appeal], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found = found | queryset.filter(phone_q(search_term))
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
