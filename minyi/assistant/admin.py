"""Admins manage the knowledge base here: cards, FAQs (and harvested candidates), synonyms, past replies.

Import/export: the card list has "导出 YAML"/"导出 Markdown" actions and links to
/assistant/kb/import (upload .yaml/.md) and /assistant/kb/export.yaml.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from minyi.assistant import kbio, services
from minyi.assistant.models import AskLog, Card, Faq, Industry, PastReply, Synonym


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin[Industry]):
    list_display = ("code", "name", "sort")
    list_editable = ("sort",)


@admin.register(Card)
class CardAdmin(admin.ModelAdmin[Card]):
    list_display = ("title", "kind", "industry", "audience", "effective_from", "expires_on", "published", "updated_at")
    list_filter = ("kind", "industry", "audience", "published")
    search_fields = ("slug", "title", "summary")
    actions = ["export_yaml", "export_markdown"]
    change_list_template = "admin/assistant/card/change_list.html"
    fieldsets = (
        (None, {"fields": ("slug", "kind", "title", "industry", "audience", "summary", "published")}),
        ("办事指南", {"fields": ("conditions", "materials", "procedure", "time_limit", "fees")}),
        ("办理机构", {"fields": ("office", "address", "phone")}),
        ("政策依据与有效期", {"fields": ("source_document", "effective_from", "expires_on")}),
    )

    @admin.action(description="导出所选为 YAML")
    def export_yaml(self, request: HttpRequest, queryset: QuerySet[Card]) -> HttpResponse:
        response = HttpResponse(kbio.export_yaml(cards=queryset, faqs=[], everything=False), content_type="application/x-yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="cards.yaml"'
        return response

    @admin.action(description="导出所选为 Markdown（zip）")
    def export_markdown(self, request: HttpRequest, queryset: QuerySet[Card]) -> HttpResponse:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for card in queryset:
                zf.writestr(f"{card.slug}.md", kbio.export_markdown(card))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="cards-markdown.zip"'
        return response


@admin.register(Faq)
class FaqAdmin(admin.ModelAdmin[Faq]):
    list_display = ("question", "status", "industry", "source_appeal", "reviewed_by", "updated_at")
    list_filter = ("status", "industry")
    search_fields = ("slug", "question", "answer")
    raw_id_fields = ("source_appeal", "card")
    readonly_fields = ("reviewed_by", "reviewed_at")
    actions = ["publish", "reject"]

    @admin.action(description="审核通过并发布")
    def publish(self, request: HttpRequest, queryset: QuerySet[Faq]) -> None:
        for faq in queryset:
            services.review_faq(faq, publish=True, by=request.user)
        messages.success(request, f"已发布 {queryset.count()} 条常见问题")

    @admin.action(description="不采用")
    def reject(self, request: HttpRequest, queryset: QuerySet[Faq]) -> None:
        for faq in queryset:
            services.review_faq(faq, publish=False, by=request.user)
        messages.info(request, f"已标记 {queryset.count()} 条为不采用")


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin[Synonym]):
    list_display = ("term", "canonical", "updated_at")
    search_fields = ("term", "canonical")


@admin.register(PastReply)
class PastReplyAdmin(admin.ModelAdmin[PastReply]):
    list_display = ("number", "title", "department_name", "satisfaction", "closed_at")
    search_fields = ("number", "title", "reply_text")
    readonly_fields = ("appeal",)


@admin.register(AskLog)
class AskLogAdmin(admin.ModelAdmin[AskLog]):
    list_display = ("created_at", "question", "engine", "found", "where", "user")
    list_filter = ("engine", "found", "where")
    search_fields = ("question",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AskLog]:
        return super().get_queryset(request).filter(created_at__lte=timezone.now())
