"""The appeal (诉求工单) and its attachments.

Only ``minyi.workflow.services`` writes ``status`` and the SLA stamps; everything here
is storage. Indexes are chosen for tens of millions of rows: every list the desks show
filters on (department, status) or (status, created) and sorts by a stamped column.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from minyi.core.crypto import BlindIndexField, EncryptedCharField, blind_lookup
from minyi.directory.models import Category, Channel, Department, GridCell
from minyi.workflow.machine import STATE_LABELS, State


class Kind(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Priority(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


PRIORITY_ORDER = [Priority.NORMAL, Priority.URGENT, Priority.CRITICAL]


class SubmitterType(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("企业")


class Satisfaction(models.IntegerChoices):
    VERY_UNSATISFIED = 1, _("非常不满意")
    UNSATISFIED = 2, _("不满意")
    BASIC = 3, _("基本满意")
    SATISFIED = 4, _("满意")
    VERY_SATISFIED = 5, _("非常满意")


class CallbackMethod(models.TextChoices):
    """How the 回访 reached the citizen; kept in the callback's audit row (``payload.callback_method``)."""

    PHONE = "phone", _("电话回访")
    SMS = "sms", _("短信回访")
    VISIT = "visit", _("上门回访")
    ONLINE = "online", _("群众网上评价")


STATUS_CHOICES = [(s.value, label) for s, label in STATE_LABELS.items() if s is not State.NEW]


def new_public_token() -> str:
    """An unguessable handle for public look-ups (tracking, Open311), never the sequential number."""
    return secrets.token_urlsafe(16)


class AppealQuerySet(models.QuerySet["Appeal"]):
    def open(self) -> AppealQuerySet:
        return self.exclude(status__in=[State.CLOSED, State.REJECTED, State.MERGED])

    def with_phone(self, phone: str) -> AppealQuerySet:
        """Appeals from this caller, found through the blind index (the phone column is encrypted)."""
        return self.filter(phone_q(phone))


def phone_q(phone: str) -> models.Q:
    """``Q`` for "the contact phone is ``phone``" (any spacing, +86 or not); matches nothing for ""."""
    return blind_lookup(Appeal, "phone_index", phone)


# Statuses of the queues the partial indexes below serve (values, so the migration needs no import).
# SLA_OPEN: every stored status whose reply deadline still runs (all but closed, rejected, merged, replied and
# pending callback); ``queries.SLA_FILTERS`` names the same list, so PostgreSQL can prove the index applies.
SLA_OPEN = ["registered", "pending_dispatch", "dispatched", "in_progress", "suspended", "return_requested", "arbitration"]
DISPATCH_QUEUE = ["registered", "pending_dispatch"]


def priority_rank() -> models.Case:
    """Priority by meaning (特急 > 紧急 > 一般), not by the stored text, which sorts alphabetically."""
    return models.Case(
        *(models.When(priority=p, then=models.Value(rank)) for rank, p in enumerate(PRIORITY_ORDER)),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


class Appeal(models.Model):
    number = models.CharField("编号", max_length=24, unique=True, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=100, unique=True, null=True, blank=True, editable=False)
    public_token = models.CharField("公开查询码", max_length=32, unique=True, default=new_public_token, editable=False)
    channel = models.ForeignKey(Channel, verbose_name="来源渠道", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("诉求类型", max_length=16, choices=Kind.choices, default=Kind.COMPLAINT)
    priority = models.CharField("紧急程度", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField("状态", max_length=20, choices=STATUS_CHOICES, editable=False)

    submitter_type = models.CharField("诉求人类型", max_length=12, choices=SubmitterType.choices, default=SubmitterType.PERSON)
    submitter_name = models.CharField("诉求人", max_length=80, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    # Encrypted at rest (SM4-GCM); look callers up with ``Appeal.objects.with_phone`` / ``phone_q``.
    phone = EncryptedCharField("联系电话", max_length=20, blank=True)
    phone_index = BlindIndexField("联系电话索引", source="phone", normalise="digits")

    title = models.CharField("标题", max_length=200)
    content = models.TextField("诉求内容")
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    grid = models.ForeignKey(GridCell, verbose_name="网格", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    category = models.ForeignKey(Category, verbose_name="分类", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, verbose_name="承办部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    created_at = models.DateTimeField("登记时间", db_index=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    claimed_at = models.DateTimeField("签收时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    claim_due_at = models.DateTimeField("签收时限", null=True, blank=True)
    reply_due_at = models.DateTimeField("答复时限", null=True, blank=True)
    reply_warn_at = models.DateTimeField("临期提醒", null=True, blank=True)
    sla_unit = models.CharField(max_length=2, blank=True, editable=False)
    reply_budget_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    paused_at = models.DateTimeField("挂起时间", null=True, blank=True)
    paused_remaining_seconds = models.BigIntegerField(null=True, blank=True, editable=False)

    extension_days_requested = models.PositiveSmallIntegerField("申请延期(工作日)", null=True, blank=True)
    reply_text = models.TextField("答复内容", blank=True)
    reply_public = models.BooleanField("答复可公开", default=False, help_text="是：答复内容可在 Open311 和公开地图上展示（须先确认不含个人信息）")
    satisfaction = models.PositiveSmallIntegerField("满意度", choices=Satisfaction.choices, null=True, blank=True)
    resolved = models.BooleanField("是否解决", null=True, blank=True)
    rating_comment = models.TextField("评价意见", blank=True)
    closed_on_time = models.BooleanField("按时办结", null=True, blank=True)
    bad_rating_at = models.DateTimeField("差评时间", null=True, blank=True)
    bad_rating_callback_at = models.DateTimeField("差评整改回访时间", null=True, blank=True)
    sla_flag = models.CharField("时限状态", max_length=10, default="", blank=True, help_text="由时限巡检维护：due_soon / overdue")
    escalation_level = models.PositiveSmallIntegerField("督办级别", default=0, help_text="0 无，1 催办，2 督办，3 挂牌督办")
    escalated_at = models.DateTimeField("最近督办时间", null=True, blank=True)
    return_count = models.PositiveSmallIntegerField("退单次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    merged_into = models.ForeignKey("self", verbose_name="合并至", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")

    triage = models.JSONField("智能派单建议", default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = "诉求工单"
        verbose_name_plural = "诉求工单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="appeal_status_created"),
            models.Index(fields=["department", "status", "reply_due_at"], name="appeal_dept_status_due"),
            models.Index(fields=["channel", "-created_at"], name="appeal_channel_created"),
            models.Index(fields=["reply_due_at"], name="appeal_reply_due"),
            models.Index(fields=["sla_flag", "escalation_level"], name="appeal_sla_flag"),
            # The hot set at a million rows: open work in deadline order (inbox, supervisor board), and the
            # dispatch queue most urgent first (``queries.most_urgent_first``). Partial: closed appeals, nearly
            # all of them, are not in these indexes at all.
            models.Index(fields=["reply_due_at", "created_at"], condition=models.Q(status__in=SLA_OPEN), name="appeal_open_due"),
            models.Index(priority_rank().desc(), "created_at", condition=models.Q(status__in=DISPATCH_QUEUE), name="appeal_dispatch_queue"),
            # The rare flags the queues' tabs count: 重办, 差评整改, 退单, 待批延期.
            models.Index(fields=["status", "department"], condition=models.Q(reopen_count__gt=0), name="appeal_redo"),
            models.Index(fields=["bad_rating_at"], condition=models.Q(bad_rating_at__isnull=False, bad_rating_callback_at__isnull=True), name="appeal_rectify"),
            models.Index(fields=["status", "department"], condition=models.Q(return_count__gt=0), name="appeal_returned"),
            models.Index(fields=["status", "department"], condition=models.Q(extension_days_requested__isnull=False), name="appeal_extension"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def state(self) -> State:
        return State(self.status)

    def status_label(self) -> str:
        return gettext(STATE_LABELS[self.state])

    def triage_summary(self) -> dict[str, Any]:
        return self.triage or {}


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"appeals/{instance.appeal.created_at:%Y/%m}/{instance.appeal.number}/{instance.stored_name}"


class Attachment(models.Model):
    class Stage(models.TextChoices):
        """The step a file came with: a reply's files are shown to the citizen, the others stay internal."""

        INTAKE = "intake", _("登记材料")
        REPLY = "reply", _("答复材料")
        RETURN = "return", _("退单材料")
        EXTENSION = "extension", _("延期材料")
        SUSPEND = "suspend", _("挂起材料")
        CALLBACK = "callback", _("回访材料")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    stage = models.CharField("环节", max_length=16, choices=Stage.choices, default=Stage.INTAKE)
    file = models.FileField("文件", upload_to=attachment_path)
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField(max_length=80, editable=False)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.original_name


class DailyCounter(models.Model):
    """Per-day sequence behind the human-readable appeal number (20261122-000123)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
