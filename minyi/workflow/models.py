"""The audit trail (the appeal's timeline) and working-calendar overrides."""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop

from minyi.workflow.machine import EVENT_LABELS, STATE_LABELS, Event, State


class ImmutableError(Exception):
    pass


# Audit rows that are not state-machine events (notes, sweeps, reminders);
# replay ignores them, the timeline still names them.
NOTE_LABELS: dict[str, str] = {
    "triage": gettext_noop("智能分析"),
    "attach": gettext_noop("上传附件"),
    "rating_link": gettext_noop("发送评价链接"),
    "order_response": gettext_noop("督办单反馈"),
    "topic_link": gettext_noop("纳入专题"),
    "engagement_link": gettext_noop("活动现场提出"),
    "sla_due_soon": gettext_noop("临期提醒"),
    "sla_overdue": gettext_noop("超期"),
    "claim_reminder": gettext_noop("催签提醒"),
    "callback_overdue": gettext_noop("回访超期提醒"),
    "priority_raised": gettext_noop("提高紧急程度"),
    "reply_publicity": gettext_noop("答复公开设置"),
}


_M = TypeVar("_M", bound=models.Model)


class ImmutableQuerySet(models.QuerySet[_M]):
    """Bulk update and delete refuse: audit rows are insert-only."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableError("audit rows are immutable")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise ImmutableError("audit rows are immutable")


class ImmutableModel(models.Model):
    """An insert-only row: saving it again or deleting it raises."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableError("audit rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableError("audit rows are immutable")


class SealedModel(ImmutableModel):
    """An insert-only audit row in a hash chain: inserted unsealed, sealed once by ``minyi audit seal``.

    The seal columns are the only ones the database lets change, and only from empty
    (see ``minyi.audit.guard``); ``seal_seq`` orders the chain, ``row_hash`` is
    HMAC-SM3(key, ``prev_hash`` ‖ the row's other columns).
    """

    seal_seq = models.BigIntegerField("封存序号", null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField("前一行摘要", max_length=64, blank=True, default="", db_default="", editable=False)
    row_hash = models.CharField("本行摘要", max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        abstract = True


SEAL_COLUMNS = ("seal_seq", "prev_hash", "row_hash")


class AuditQuerySet(ImmutableQuerySet["AuditEvent"]):
    pass


class AuditEvent(SealedModel):
    """One row per action on an appeal. Never updated or deleted."""

    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="audit")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人", max_length=120)
    event = models.CharField("事件", max_length=32)
    from_state = models.CharField("原状态", max_length=20)
    to_state = models.CharField("新状态", max_length=20)
    reason = models.TextField("原因/说明", blank=True)
    payload = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["appeal_id", "id"]
        indexes = [models.Index(fields=["appeal", "id"], name="audit_appeal_seq"), models.Index(fields=["event", "at"], name="audit_event_at")]

    def event_label(self) -> str:
        try:
            return gettext(EVENT_LABELS[Event(self.event)])
        except ValueError:
            label = NOTE_LABELS.get(self.event)
            return gettext(label) if label else self.event

    def to_label(self) -> str:
        return gettext(STATE_LABELS[State(self.to_state)])

    def from_label(self) -> str:
        return gettext(STATE_LABELS[State(self.from_state)])


class CalendarOverride(models.Model):
    """An admin's correction to the holiday calendar, e.g. a year chinese-calendar does not know."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=80, blank=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'} {self.note}"
