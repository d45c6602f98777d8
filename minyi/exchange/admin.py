from __future__ import annotations

from typing import Any

from django.contrib import admin

from minyi.exchange.models import InboundEvent, Link, Mismatch, OutboundEvent, Peer


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "kind", "base_url", "department", "active", "last_pull_at", "last_push_at", "errors"]
    list_filter = ["kind", "active"]
    readonly_fields = ["pull_cursor", "last_pull_at", "last_push_at", "last_error", "last_error_at", "errors"]
    fieldsets = [
        (None, {"fields": ["code", "remote_code", "name", "kind", "active"]}),
        ("接口与签名", {"fields": ["base_url", "algorithm", "key"]}),
        ("对照", {"fields": ["department", "channel", "category_map", "department_map"]}),
        ("运行情况", {"fields": ["pull_cursor", "last_pull_at", "last_push_at", "last_error", "last_error_at", "errors"]}),
    ]

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "key" in form.base_fields:
            from django import forms

            form.base_fields["key"].widget = forms.PasswordInput(render_value=True)  # never shown in clear on screen
        return form


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["order_id", "peer", "appeal", "direction", "active", "remote_state", "upstream_reply_due_at"]
    list_filter = ["peer", "direction", "active"]
    search_fields = ["order_id", "appeal__number"]
    raw_id_fields = ["appeal"]


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(OutboundEvent)
class OutboundEventAdmin(_ReadOnly):
    list_display = ["id", "peer", "kind", "order_id", "created_at", "delivered_at"]
    list_filter = ["peer", "kind"]
    search_fields = ["order_id"]


@admin.register(InboundEvent)
class InboundEventAdmin(_ReadOnly):
    list_display = ["id", "peer", "kind", "order_id", "outcome", "received_at"]
    list_filter = ["peer", "kind", "outcome"]
    search_fields = ["order_id", "event_id"]


@admin.register(Mismatch)
class MismatchAdmin(_ReadOnly):
    list_display = ["order_id", "peer", "event_kind", "local_state", "remote_state", "found_at", "resolved_at"]
    list_filter = ["peer", "resolved_at"]
