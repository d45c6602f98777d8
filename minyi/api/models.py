"""Integrations: API keys, import identity and runs, outbound webhooks and their deliveries.

None of these add fields to ``Appeal``: an imported appeal is found through
``ImportRecord`` (source + external id), a key acts through its linked staff user.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

SCOPES = {
    "appeals:read": "读取诉求（仅本密钥登记的，或本密钥渠道的）",
    "appeals:read-all": "读取服务账号角色可见的全部诉求",
    "pii:read": "查看个人信息（姓名、电话、信用代码、地址、精确位置、正文中的证件号和电话）",
    "appeals:write": "登记诉求",
    "appeals:act": "办理动作（派单、签收、答复……）",
    "directory:read": "读取部门和分类",
    "stats:read": "读取统计",
    "open311": "Open311 提交和评论",
}


class ApiKey(models.Model):
    """One integration's key. Only the SHA-256 of the secret is stored; the prefix finds the row."""

    name = models.CharField("名称", max_length=80, unique=True)
    prefix = models.CharField("前缀", max_length=16, unique=True, editable=False)
    key_hash = models.CharField("密钥摘要", max_length=64, editable=False)
    scopes = models.CharField("权限范围", max_length=300, help_text="空格分隔：" + " ".join(SCOPES))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="服务账号", on_delete=models.PROTECT, related_name="api_keys")
    rate_limit = models.PositiveIntegerField("每分钟请求上限", default=120)
    channel_code = models.CharField("默认渠道编码", max_length=40, blank=True, help_text="Open311 提交所用渠道，空则取设置")
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "API 密钥"
        verbose_name_plural = "API 密钥"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class ImportRecord(models.Model):
    """Which appeal a row of an external system became: the identity that makes re-imports no-ops."""

    source = models.CharField("来源", max_length=40)
    external_id = models.CharField("外部编号", max_length=100)
    appeal = models.OneToOneField("appeals.Appeal", on_delete=models.PROTECT, related_name="import_record")
    imported_at = models.DateTimeField("导入时间")

    class Meta:
        verbose_name = "导入记录"
        verbose_name_plural = "导入记录"
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="import_source_external_unique")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class ImportRun(models.Model):
    """One import of one file; a rerun of the same file resumes after the last committed batch."""

    class Status(models.TextChoices):
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    source = models.CharField("来源", max_length=40)
    file_name = models.CharField("文件", max_length=255)
    file_sha256 = models.CharField("文件摘要", max_length=64, db_index=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已处理行", default=0)
    created = models.PositiveIntegerField("新建诉求", default=0)
    skipped = models.PositiveIntegerField("跳过", default=0)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    message = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.get_status_display()} {self.rows_done}/{self.rows_total}"


WEBHOOK_EVENTS = {
    "created": "新建",
    "dispatched": "派单",
    "replied": "答复",
    "rated": "评价",
    "closed": "办结",
}


class Webhook(models.Model):
    """An outbound subscription. Each delivery is signed with HMAC-SHA256 over the body."""

    name = models.CharField("名称", max_length=80)
    url = models.URLField("地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=128)
    events = models.CharField("事件", max_length=200, default=" ".join(WEBHOOK_EVENTS), help_text="空格分隔：" + " ".join(WEBHOOK_EVENTS))
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "Webhook 订阅"
        verbose_name_plural = "Webhook 订阅"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"

    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())


class Delivery(models.Model):
    """One event for one webhook: pending until delivered, dead after the last failed attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", "待投递"
        DELIVERED = "delivered", "已投递"
        DEAD = "dead", "死信"

    webhook = models.ForeignKey(Webhook, verbose_name="订阅", on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField("事件", max_length=20)
    appeal_number = models.CharField("诉求编号", max_length=24, db_index=True)
    payload = models.JSONField("内容")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    last_error = models.TextField("最近错误", blank=True)
    response_code = models.PositiveSmallIntegerField("响应码", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")
    delivered_at = models.DateTimeField("投递时间", null=True, blank=True)

    class Meta:
        verbose_name = "Webhook 投递"
        verbose_name_plural = "Webhook 投递"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.appeal_number} → {self.webhook_id} ({self.get_status_display()})"


class DeadLetter(Delivery):
    """The dead-letter list: deliveries that failed every attempt (admin view of ``Delivery``)."""

    class Meta:
        proxy = True
        verbose_name = "死信（投递失败）"
        verbose_name_plural = "死信（投递失败）"
