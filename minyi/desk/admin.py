from django.contrib import admin

from minyi.desk.models import ReplyTemplate


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin[ReplyTemplate]):
    list_display = ("title", "department", "sort")
    list_filter = ("department",)
    search_fields = ("title", "body")
