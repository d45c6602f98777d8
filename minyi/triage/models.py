"""Labelled examples that dispatchers' decisions produce, for retraining."""

from __future__ import annotations

from django.db import models


class TrainingExample(models.Model):
    class Source(models.TextChoices):
        DISPATCH = "dispatch", "人工派单"
        REDISPATCH = "redispatch", "转派"
        RETURN_ACCEPTED = "return_accepted", "退单改派"
        IMPORT = "import", "历史导入"

    appeal = models.ForeignKey("appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField("文本")
    label = models.CharField("分类标签", max_length=80, blank=True, help_text="分类编码；为空时只记录部门")
    department = models.ForeignKey("directory.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "派单训练样本"
        verbose_name_plural = "派单训练样本"

    def __str__(self) -> str:
        return f"{self.label or '-'} ← {self.text[:30]}"
