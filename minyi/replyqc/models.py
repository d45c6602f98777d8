"""答复质检 records: one row each time a reply is submitted (handler) or decided on (审核)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReplyCheck(models.Model):
    class Stage(models.TextChoices):
        SUBMIT = "submit", "提交答复"
        APPROVE = "approve", "审核通过"
        REJECT = "reject", "审核退回"

    appeal = models.ForeignKey("appeals.Appeal", verbose_name="工单", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("directory.Department", verbose_name="承办部门", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stage = models.CharField("环节", max_length=10, choices=Stage.choices)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    relevance = models.FloatField("相关度")
    completeness = models.FloatField("完整度")
    flagged = models.BooleanField("有质检提示", default=False)
    warnings = models.JSONField("质检提示", default=list, blank=True)
    sent_anyway = models.BooleanField("提示后仍发送", default=False)

    class Meta:
        verbose_name = "答复质检记录"
        verbose_name_plural = "答复质检记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["stage", "at"], name="replyqc_stage_at")]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.get_stage_display()}"
