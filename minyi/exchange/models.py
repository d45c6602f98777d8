"""Peers (upstream and downstream platforms), links between orders and appeals, the event logs, mismatches."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from minyi.core.crypto import EncryptedCharField


class Peer(models.Model):
    """Another platform we exchange orders with: the city's 12345, 苏商通, another minyi, a spreadsheet."""

    class Kind(models.TextChoices):
        MINYI = "minyi", "minyi 平台（HTTPS+JSON）"
        FILE = "file", "Excel 文件交换"

    class Algorithm(models.TextChoices):
        SHA256 = "hmac-sha256", "HMAC-SHA256"
        SM3 = "hmac-sm3", "HMAC-SM3"

    code = models.SlugField("编码", max_length=40, unique=True, help_text="本平台对该对接方的称呼；对方请求头 X-Minyi-Peer 须为此值")
    remote_code = models.SlugField("对方对本平台的称呼", max_length=40, help_text="本平台发往对方的请求头 X-Minyi-Peer")
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.MINYI)
    base_url = models.URLField("接口地址", blank=True, help_text="如 https://12345.example.gov.cn/；文件交换可不填")
    key = EncryptedCharField("签名密钥", max_length=200, blank=True, context="exchange.peer.key")
    algorithm = models.CharField("签名算法", max_length=16, choices=Algorithm.choices, default=Algorithm.SHA256)
    department = models.OneToOneField(
        "directory.Department",
        verbose_name="对应的承办单位（远程平台）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_peer",
        help_text="派给该部门的诉求即下发到对方平台",
    )
    channel = models.ForeignKey(
        "directory.Channel",
        verbose_name="来件渠道",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="对方下发的工单登记为此渠道",
    )
    category_map = models.JSONField("分类对照", default=dict, blank=True, help_text='对方分类编码 → 本平台分类编码，如 {"A01": "env-noise"}')
    department_map = models.JSONField(
        "承办单位对照",
        default=dict,
        blank=True,
        help_text='对方分类编码或承办单位名称 → 本平台部门编码，"*" 为默认；有对照的来件自动派单',
    )
    active = models.BooleanField("启用", default=True)
    pull_cursor = models.BigIntegerField("拉取游标", default=0, editable=False)
    last_pull_at = models.DateTimeField("最近拉取", null=True, blank=True, editable=False)
    last_push_at = models.DateTimeField("最近推送", null=True, blank=True, editable=False)
    last_error = models.TextField("最近错误", blank=True, editable=False)
    last_error_at = models.DateTimeField("最近错误时间", null=True, blank=True, editable=False)
    errors = models.PositiveIntegerField("累计错误", default=0, editable=False)

    class Meta:
        verbose_name = "对接平台"
        verbose_name_plural = "对接平台"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def map_category(self, code: str) -> str:
        return str(self.category_map.get(code, code)) if code else ""

    def map_department(self, *keys: str) -> str:
        for key in (*keys, "*"):
            if key and key in self.department_map:
                return str(self.department_map[key])
        return ""


class Link(models.Model):
    """An upstream order and the local appeal that carries it, on either side."""

    class Direction(models.TextChoices):
        IN = "in", "来自上级（本平台承办）"
        OUT = "out", "下发下级（对方承办）"

    peer = models.ForeignKey(Peer, verbose_name="对接平台", on_delete=models.PROTECT, related_name="links")
    order_id = models.CharField("上级工单号", max_length=64)
    appeal = models.ForeignKey("appeals.Appeal", verbose_name="本地诉求", on_delete=models.PROTECT, related_name="exchange_links")
    direction = models.CharField("方向", max_length=4, choices=Direction.choices)
    active = models.BooleanField("在办", default=True, help_text="退单获批后不再由对方承办")
    upstream_claim_due_at = models.DateTimeField("上级签收时限", null=True, blank=True)
    upstream_reply_due_at = models.DateTimeField("上级答复时限", null=True, blank=True)
    remote_state = models.CharField("对方状态", max_length=24, blank=True)
    remote_seen_at = models.DateTimeField("对方状态时间", null=True, blank=True)
    created_at = models.DateTimeField("建立时间", auto_now_add=True)

    class Meta:
        verbose_name = "工单关联"
        verbose_name_plural = "工单关联"
        constraints = [
            models.UniqueConstraint(fields=["peer", "order_id"], name="exchange_link_order_once"),
            models.UniqueConstraint(fields=["peer", "appeal"], name="exchange_link_appeal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.peer.code}:{self.order_id}"


class OutboundEvent(models.Model):
    """An event for a peer, written in the transaction of the local action; its id is the peer's cursor."""

    peer = models.ForeignKey(Peer, verbose_name="对接平台", on_delete=models.PROTECT, related_name="outbound")
    event_id = models.UUIDField("事件标识", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("事件", max_length=32)
    order_id = models.CharField("上级工单号", max_length=64)
    body: models.JSONField[dict[str, Any]] = models.JSONField("内容", default=dict)
    created_at = models.DateTimeField("产生时间", db_index=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "发出事件"
        verbose_name_plural = "发出事件"
        indexes = [models.Index(fields=["peer", "delivered_at", "id"], name="exchange_out_backlog")]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id}"

    def wire(self) -> dict[str, Any]:
        return {
            "seq": self.pk,
            "event_id": str(self.event_id),
            "kind": self.kind,
            "order_id": self.order_id,
            "occurred_at": self.created_at.isoformat(),
            "body": self.body,
        }


class InboundEvent(models.Model):
    """An event received from a peer: the unique (peer, event_id) makes every event apply once."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "已执行"
        MISMATCH = "mismatch", "状态不一致"
        IGNORED = "ignored", "无需处理"

    peer = models.ForeignKey(Peer, verbose_name="对接平台", on_delete=models.PROTECT, related_name="inbound")
    event_id = models.CharField("事件标识", max_length=64)
    kind = models.CharField("事件", max_length=32)
    order_id = models.CharField("上级工单号", max_length=64)
    outcome = models.CharField("结果", max_length=12, choices=Outcome.choices)
    detail = models.TextField("说明", blank=True)
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = "收到事件"
        verbose_name_plural = "收到事件"
        constraints = [models.UniqueConstraint(fields=["peer", "event_id"], name="exchange_inbound_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id}"


class Mismatch(models.Model):
    """A disagreement between the two sides, kept for a dispatcher to settle; never overwritten silently."""

    peer = models.ForeignKey(Peer, verbose_name="对接平台", on_delete=models.PROTECT, related_name="mismatches")
    link = models.ForeignKey(Link, verbose_name="工单关联", null=True, blank=True, on_delete=models.PROTECT, related_name="mismatches")
    order_id = models.CharField("上级工单号", max_length=64)
    event_kind = models.CharField("引发事件", max_length=32, blank=True)
    local_state = models.CharField("本地状态", max_length=24, blank=True)
    remote_state = models.CharField("对方状态", max_length=24, blank=True)
    detail = models.TextField("说明")
    found_at = models.DateTimeField("发现时间")
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey("auth.User", verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolution = models.TextField("处理说明", blank=True)

    class Meta:
        verbose_name = "状态不一致"
        verbose_name_plural = "状态不一致"
        ordering = ["-found_at"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.detail}"
