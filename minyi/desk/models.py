"""Workstation helpers that departments keep for themselves: reply templates."""

from __future__ import annotations

from django.db import models


class ReplyTemplate(models.Model):
    """A reusable reply wording; shared when no department is set."""

    department = models.ForeignKey(
        "directory.Department", verbose_name="所属部门", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="为空则全区通用",
    )
    title = models.CharField("名称", max_length=60)
    body = models.TextField("答复正文")
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "答复模板"
        verbose_name_plural = "答复模板"
        ordering = ["sort", "title"]

    def __str__(self) -> str:
        return self.title
