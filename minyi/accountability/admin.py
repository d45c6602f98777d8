"""Admin pages for accountability.

Reference data (enterprises with their 首席服务专员, the year's topic list for
政企早餐会 and 社情民意联系日) is maintained here, like the directory. Records that
the named actions write (topics, events, orders, reminders, audit rows) are
shown read-only: changing them here would bypass the actions' audit trail.
"""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from minyi.accountability.models import (
    AnnualTopic,
    Engagement,
    Enterprise,
    Milestone,
    RecordAudit,
    Reminder,
    SupervisionOrder,
    Topic,
)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin[Enterprise]):
    list_display = ("name", "credit_code", "officer", "officer_since")
    search_fields = ("name", "credit_code")
    raw_id_fields = ("officer",)


@admin.register(AnnualTopic)
class AnnualTopicAdmin(admin.ModelAdmin[AnnualTopic]):
    list_display = ("year", "title")
    list_filter = ("year",)
    search_fields = ("title",)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Written only by the named actions; shown here for lookup."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "owner", "leader")
    list_filter = ("status",)
    search_fields = ("title",)


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ("title", "topic", "done_at")


@admin.register(Engagement)
class EngagementAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "topic", "host")
    list_filter = ("kind",)
    date_hierarchy = "date"


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "level", "issued_at")
    raw_id_fields = ("appeal",)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "kind", "due_at", "sent_at")
    list_filter = ("kind",)
    raw_id_fields = ("appeal",)


@admin.register(RecordAudit)
class RecordAuditAdmin(ReadOnlyAdmin):
    list_display = ("at", "event", "topic", "engagement", "actor_label")
    list_filter = ("event",)
