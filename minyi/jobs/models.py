"""The outbox: every side effect of an action is a row here, written in the action's transaction.

A job is delivered at least once (the relay re-drives any row not yet done) and applied
exactly once: a worker takes the row with ``SELECT … FOR UPDATE SKIP LOCKED``, runs the
handler and marks the row done in the same transaction, so a crash rolls both back and a
duplicate delivery finds the row already done. Effects outside the database (a webhook
POST, an SMS) cannot be rolled back: their handlers send a stable id for the receiver to
deduplicate on.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    PENDING = "pending", _("待执行")
    DONE = "done", _("已完成")
    DEAD = "dead", _("失败待处理")
    DISCARDED = "discarded", _("已放弃")


class Job(models.Model):
    topic = models.CharField("任务类型", max_length=64)
    payload = models.JSONField("参数", default=dict, blank=True)
    dedupe_key = models.CharField("去重键", max_length=200, unique=True, null=True, blank=True, help_text="同一键只入队一次")
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=8)
    available_at = models.DateTimeField("可执行时间")
    created_at = models.DateTimeField("入队时间")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["id"]
        indexes = [
            # Partial: the relay and the workers only ever look for pending rows, a tiny share of the table.
            models.Index(fields=["available_at"], name="job_pending_due", condition=models.Q(state="pending")),
            models.Index(fields=["topic", "state"], name="job_topic_state"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} {self.get_state_display()}"


class PeriodicLock(models.Model):
    """A single-run lock for periodic work: whoever moves ``until`` forward holds it."""

    name = models.CharField(primary_key=True, max_length=64)
    holder = models.CharField(max_length=120, blank=True)
    until = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "定时任务"
        verbose_name_plural = "定时任务"
