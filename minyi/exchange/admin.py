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

            # Never sent back to the browser; left empty on a change, the stored key stays.
            form.base_fields["key"].widget = forms.PasswordInput(render_value=False)
            form.base_fields["key"].required = obj is None
            form.base_fields["key"].help_text = "双方约定的签名密钥，加密保存；修改其他项时留空即保持不变"
        return form

    def save_model(self, request: Any, obj: Peer, form: Any, change: bool) -> None:
        if change and not form.cleaned_data.get("key"):
            obj.key = Peer.objects.get(pk=obj.pk).key
        super().save_model(request, obj, form, change)


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
