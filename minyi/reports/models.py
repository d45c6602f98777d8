"""简报 (bulletins): drafts generated from live data, revised by editors, published with a number."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Bulletin(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    period = models.CharField("统计期", max_length=7, help_text="2026-03")
    title = models.CharField("刊名", max_length=80, default="明湖信息（接诉即办·专报）")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    number = models.PositiveIntegerField("期号", null=True, blank=True, help_text="发布时按年度顺序编号")
    content = models.JSONField("内容", default=dict)
    created_at = models.DateTimeField("生成时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    edited_at = models.DateTimeField("修改时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "简报"
        verbose_name_plural = "简报"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="bulletin_number_per_year")]

    def __str__(self) -> str:
        return f"{self.title} {self.period} {self.number or '草稿'}"
