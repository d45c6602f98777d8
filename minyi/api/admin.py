from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from minyi.api import webhooks
from minyi.api.models import ApiKey, DeadLetter, Delivery, ImportRecord, ImportRun, Webhook


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Keys are created with ``minyi apikey create`` (the secret is shown once); here they are viewed and revoked."""

    list_display = ("name", "prefix", "scopes", "user", "rate_limit", "active", "last_used_at")
    list_filter = ("active",)
    readonly_fields = ("prefix", "key_hash", "user", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin[Webhook]):
    list_display = ("name", "url", "events", "active")


@admin.action(description="重新投递")
def retry_deliveries(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
    count = webhooks.retry(queryset)
    modeladmin.message_user(request, f"已重新排队 {count} 条", messages.SUCCESS)


class _ReadOnly(admin.ModelAdmin[Delivery]):
    list_display = ("id", "event", "appeal_number", "webhook", "status", "attempts", "response_code", "last_error", "next_attempt_at")
    list_filter = ("status", "event", "webhook")
    search_fields = ("appeal_number",)
    actions = [retry_deliveries]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    pass


@admin.register(DeadLetter)
class DeadLetterAdmin(_ReadOnly):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).filter(status=Delivery.Status.DEAD)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = ("file_name", "source", "status", "rows_done", "rows_total", "created", "skipped", "started_at", "finished_at")
    list_filter = ("status", "source")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin[ImportRecord]):
    list_display = ("source", "external_id", "appeal", "imported_at")
    list_filter = ("source",)
    search_fields = ("external_id", "appeal__number")
    raw_id_fields = ("appeal",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
