from django.contrib import admin

from minyi.replyqc.models import ReplyCheck


@admin.register(ReplyCheck)
class ReplyCheckAdmin(admin.ModelAdmin[ReplyCheck]):
    list_display = ("appeal", "department", "stage", "at", "relevance", "completeness", "flagged", "sent_anyway")
    list_filter = ("stage", "flagged", "sent_anyway")
    readonly_fields = [f.name for f in ReplyCheck._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
