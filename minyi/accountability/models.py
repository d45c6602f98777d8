"""Accountability records: notifications, supervision orders, returns, rectifications, topics, events.

The appeal's status lives on ``appeals.Appeal`` and changes only through
``minyi.workflow``; these tables hold what the loop needs around it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from minyi.workflow.models import ImmutableQuerySet, SealedModel


class Notification(models.Model):
    """One message in a user's in-app notification centre (站内通知)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类型", max_length=60)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    appeal_number = models.CharField("诉求编号", max_length=24, blank=True)
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notif_user_unread")]

    def __str__(self) -> str:
        return self.subject


class SupervisionOrder(models.Model):
    """督办单 / 挂牌督办: the department head answers in writing by ``response_due_at``."""

    class Level(models.IntegerChoices):
        SUPERVISE = 2, "督办"
        LISTED = 3, "挂牌督办"

    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="supervision_orders")
    department = models.ForeignKey("directory.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("级别", choices=Level.choices)
    reason = models.TextField("督办事由")
    issued_at = models.DateTimeField("下达时间")
    issued_by_label = models.CharField("下达人", max_length=120)
    response_due_at = models.DateTimeField("书面回复时限")
    response = models.TextField("书面回复", blank=True)
    responded_at = models.DateTimeField("回复时间", null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["department", "responded_at"], name="order_dept_open")]
        constraints = [models.UniqueConstraint(fields=["appeal", "level", "issued_at"], name="order_once_per_step")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.appeal_id}"


class ReturnRecord(models.Model):
    """A department's 退单 request and the dispatcher's ruling on it."""

    class Code(models.TextChoices):
        NOT_OUR_DUTY = "not_our_duty", "非本单位职责"
        WRONG_TERRITORY = "wrong_territory", "不属本辖区"
        INCOMPLETE = "incomplete", "诉求信息不全无法办理"
        DUPLICATE = "duplicate", "重复诉求"
        OTHER = "other", "其他"

    class Decision(models.TextChoices):
        PENDING = "", "待审核"
        ACCEPTED = "accepted", "同意退单"
        REDISPATCHED = "redispatched", "同意并改派"
        REJECTED = "rejected", "驳回退单"

    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="return_records")
    department = models.ForeignKey("directory.Department", on_delete=models.PROTECT, related_name="+")
    code = models.CharField("退单原因类别", max_length=20, choices=Code.choices, default=Code.OTHER)
    reason = models.TextField("退单理由")
    requested_at = models.DateTimeField("退单时间")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField("审核结果", max_length=16, choices=Decision.choices, default=Decision.PENDING, blank=True)
    decision_reason = models.TextField("审核意见", blank=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_department = models.ForeignKey("directory.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "退单记录"
        verbose_name_plural = "退单记录"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["department", "decision"], name="return_dept_decision")]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.get_code_display()}"


class Rectification(models.Model):
    """差评整改: opened by a bad rating; the department rectifies, then a callback is due within N working days."""

    class Outcome(models.TextChoices):
        OPEN = "", "整改中"
        SATISFIED = "satisfied", "回访满意"
        UNSATISFIED = "unsatisfied", "回访仍不满意（提请仲裁）"
        ARBITRATED = "arbitrated", "仲裁办结"

    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="rectifications")
    department = models.ForeignKey("directory.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField("轮次", default=1)
    satisfaction = models.PositiveSmallIntegerField("差评等级")
    comment = models.TextField("评价意见", blank=True)
    opened_at = models.DateTimeField("差评时间")
    rectified_at = models.DateTimeField("整改答复时间", null=True, blank=True)
    report = models.TextField("整改情况", blank=True)
    callback_due_at = models.DateTimeField("回访时限", null=True, blank=True)
    called_back_at = models.DateTimeField("回访时间", null=True, blank=True)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices, default=Outcome.OPEN, blank=True)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["called_back_at", "callback_due_at"], name="rectify_callback_due")]

    def __str__(self) -> str:
        return f"{self.appeal_id} 第{self.round}轮整改"


class Enterprise(models.Model):
    """An enterprise that raises appeals, with its 首席服务专员 (chief service officer)."""

    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=120)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="首席服务专员", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    officer_since = models.DateField("任命日期", null=True, blank=True)

    class Meta:
        verbose_name = "企业（首席服务专员）"
        verbose_name_plural = "企业（首席服务专员）"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AnnualTopic(models.Model):
    """An entry of the year's topic list for 政企早餐会 and 社情民意联系日."""

    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("主题", max_length=120)

    class Meta:
        verbose_name = "年度主题"
        verbose_name_plural = "年度主题"
        ordering = ["-year", "id"]
        constraints = [models.UniqueConstraint(fields=["year", "title"], name="annual_topic_unique")]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


class Engagement(models.Model):
    """政企早餐会 / 社情民意联系日: when, on which topic, who was invited, which appeals were raised."""

    class Kind(models.TextChoices):
        BREAKFAST = "breakfast", "政企早餐会"
        CONTACT_DAY = "contact_day", "社情民意联系日"

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    date = models.DateField("日期")
    topic = models.ForeignKey(AnnualTopic, verbose_name="主题", on_delete=models.PROTECT, related_name="engagements")
    host = models.CharField("主持/出席领导", max_length=80, blank=True)
    place = models.CharField("地点", max_length=120, blank=True)
    notes = models.TextField("纪要", blank=True)
    enterprises = models.ManyToManyField(Enterprise, verbose_name="受邀企业", blank=True, related_name="engagements")
    appeals = models.ManyToManyField("appeals.Appeal", verbose_name="现场提出的诉求", blank=True, related_name="engagements")

    class Meta:
        verbose_name = "政企早餐会/社情民意联系日"
        verbose_name_plural = "政企早餐会/社情民意联系日"
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.topic.title}"


class Topic(models.Model):
    """疑难复杂问题专题: an owner, a leader, milestones and linked appeals; 销号 needs all milestones and the leader."""

    class Status(models.TextChoices):
        OPEN = "open", "推进中"
        CLOSED = "closed", "已销号"

    title = models.CharField("专题名称", max_length=160)
    description = models.TextField("问题描述", blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("directory.Department", verbose_name="牵头单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="包案领导", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField("立项时间")
    signed_off_at = models.DateTimeField("领导签批时间", null=True, blank=True)
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    close_note = models.TextField("销号说明", blank=True)
    appeals = models.ManyToManyField("appeals.Appeal", verbose_name="关联诉求", blank=True, related_name="topics")

    class Meta:
        verbose_name = "疑难专题"
        verbose_name_plural = "疑难专题"
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("节点", max_length=160)
    due_on = models.DateField("计划完成", null=True, blank=True)
    sort = models.PositiveSmallIntegerField("顺序", default=0)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    done_note = models.TextField("完成情况", blank=True)

    class Meta:
        verbose_name = "专题节点"
        verbose_name_plural = "专题节点"
        ordering = ["topic", "sort", "id"]

    def __str__(self) -> str:
        return self.title


class Reminder(models.Model):
    """A reminder the SLA sweep sent: 催签 (dispatched, not claimed in time) or 回访超期 (callback overdue).

    One row per appeal, kind and deadline (``due_at``): the unique constraint is what makes
    the sweep remind once, even when two sweeps run at the same moment. A new deadline
    (redispatch, a rejected return, a new rectification round) earns a new reminder.
    """

    class Kind(models.TextChoices):
        CLAIM = "claim", "催签"
        CALLBACK = "callback", "回访超期"

    appeal = models.ForeignKey("appeals.Appeal", on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField("所提醒的时限")
    department = models.ForeignKey("directory.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rectification = models.ForeignKey(Rectification, null=True, blank=True, on_delete=models.PROTECT, related_name="reminders")
    sent_at = models.DateTimeField("提醒时间")

    class Meta:
        verbose_name = "超时提醒"
        verbose_name_plural = "超时提醒"
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["appeal", "kind", "due_at"], name="reminder_once_per_deadline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.appeal_id}"


class RecordAuditQuerySet(ImmutableQuerySet["RecordAudit"]):
    pass


class RecordAudit(SealedModel):
    """One row per action on a 专题 or an event (政企早餐会/社情民意联系日). Never updated or deleted.

    Actions on an appeal (linking it to a topic or an event) are audited on the appeal's
    own timeline (``workflow.AuditEvent``) instead.
    """

    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")
    engagement = models.ForeignKey(Engagement, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人", max_length=120)
    event = models.CharField("事件", max_length=32)
    reason = models.TextField("说明", blank=True)
    payload = models.JSONField(default=dict, blank=True)

    LABELS = {
        "topic_created": gettext_lazy("设立专题"),
        "topic_updated": gettext_lazy("修改专题"),
        "milestone_added": gettext_lazy("增加节点"),
        "milestone_completed": gettext_lazy("完成节点"),
        "topic_closed_out": gettext_lazy("销号"),
        "engagement_recorded": gettext_lazy("登记活动"),
        "engagement_updated": gettext_lazy("修改活动记录"),
    }

    objects = RecordAuditQuerySet.as_manager()

    class Meta:
        verbose_name = "专题/活动操作记录"
        verbose_name_plural = "专题/活动操作记录"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(topic__isnull=False, engagement__isnull=True) | models.Q(topic__isnull=True, engagement__isnull=False),
                name="record_audit_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.at:%Y-%m-%d %H:%M}"

    def event_label(self) -> str:
        return str(self.LABELS.get(self.event, self.event))
