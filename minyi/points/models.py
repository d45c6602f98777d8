"""Points: things in the street that carry a QR code (随手拍 stands, market scales, service points, other assets).

A point has a stable, unguessable code (``/q/<code>`` on its label). Appeals filed from a
code keep their point (``PointAppeal``); reports confirmed valid earn the reporter reward
points (``RewardEntry``). Actions on points are audited in ``PointAudit`` (append-only,
hash-chained like the other audit tables); actions on appeals on the appeal's own timeline.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minyi.directory.models import Department, GridCell
from minyi.workflow.models import ImmutableQuerySet, SealedModel

CODE_BYTES = 9  # 72 random bits: 12 URL-safe characters, short enough for a small QR code


def new_code() -> str:
    """An unguessable, URL-safe point code (never derived from the name, place or a counter)."""
    return secrets.token_urlsafe(CODE_BYTES)


class Owner(models.Model):
    """Who a point belongs to: a market (农贸市场/生鲜超市) or a merchant (a stall inside one)."""

    class Kind(models.TextChoices):
        MARKET = "market", _("农贸市场/超市")
        MERCHANT = "merchant", _("商户")
        UNIT = "unit", _("单位")

    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("名称", max_length=100)
    market = models.ForeignKey("self", verbose_name="所在市场", null=True, blank=True, on_delete=models.PROTECT, related_name="merchants")
    stall = models.CharField("摊位号", max_length=20, blank=True)
    grid = models.ForeignKey(GridCell, verbose_name="网格", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address = models.CharField("地址", max_length=200, blank=True)

    class Meta:
        verbose_name = "点位归属"
        verbose_name_plural = "点位归属"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        if self.market_id and self.market is not None:
            return f"{self.market.name} {self.stall} {self.name}".replace("  ", " ")
        return self.name


class Point(models.Model):
    class Kind(models.TextChoices):
        STAND = "stand", _("随手拍立牌")
        SCALE = "scale", _("电子秤")
        SERVICE = "service", _("服务网点")
        ELEVATOR = "elevator", _("电梯")
        TOILET = "toilet", _("公厕")
        MANHOLE = "manhole", _("井盖")
        OTHER = "other", _("其他设施")

    class Verification(models.TextChoices):
        VALID = "valid", _("检定合格")
        DUE = "due", _("待检定")
        EXPIRED = "expired", _("检定过期")
        FAILED = "failed", _("检定不合格")

    class Service(models.TextChoices):
        GOV = "gov", _("政务服务网点")
        MEDICAL_INSURANCE = "yibao", _("医保服务点")
        EMPLOYMENT = "jiuye", _("就业服务点")
        SOCIAL_SECURITY = "shebao", _("社保服务点")
        ELDERLY = "yanglao", _("养老服务站")
        VETERANS = "tuiyi", _("退役军人服务站")
        DISABILITY = "canlian", _("残疾人之家")
        LEGAL = "falv", _("法律服务站")
        TAX = "shuiwu", _("税务服务点")
        POLICE = "jingwu", _("警务服务站")

    code = models.CharField("点位码", max_length=24, unique=True, default=new_code, editable=False)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField("名称", max_length=100)
    grid = models.ForeignKey(GridCell, verbose_name="网格", on_delete=models.PROTECT, related_name="+")
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    owner = models.ForeignKey(Owner, verbose_name="归属", null=True, blank=True, on_delete=models.PROTECT, related_name="points")
    department = models.ForeignKey(Department, verbose_name="责任部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # 电子秤
    verified_on = models.DateField("检定日期", null=True, blank=True)
    verification = models.CharField("检定状态", max_length=10, choices=Verification.choices, blank=True)
    # 服务网点
    service = models.CharField("服务类别", max_length=12, choices=Service.choices, blank=True, db_index=True)
    hours = models.CharField("开放时间", max_length=120, blank=True)
    services = models.TextField("服务事项", blank=True, help_text="每行一项")
    phone = models.CharField("咨询电话", max_length=40, blank=True, help_text="单位办公电话，公开展示")

    active = models.BooleanField("在用", default=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    retired_reason = models.CharField("停用原因", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "点位"
        verbose_name_plural = "点位"
        ordering = ["kind", "grid__code", "name"]
        indexes = [models.Index(fields=["kind", "active"], name="point_kind_active"), models.Index(fields=["service", "active"], name="point_service_active")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]


class PointAppeal(models.Model):
    """An appeal filed from a point's code: written in the same transaction as the intake."""

    appeal = models.OneToOneField("appeals.Appeal", on_delete=models.PROTECT, related_name="point_link")
    point = models.ForeignKey(Point, on_delete=models.PROTECT, related_name="appeal_links")
    created_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "扫码诉求"
        verbose_name_plural = "扫码诉求"
        indexes = [models.Index(fields=["point", "created_at"], name="pointappeal_point_at")]

    def __str__(self) -> str:
        return f"{self.point_id} ← {self.appeal_id}"


class RewardEntry(models.Model):
    """The handling department's finding on a 随手拍 report: valid (with reward points) or not.

    The reporter is the appeal's submitter: the ledger is read through the appeal (its phone's
    blind index), so no personal data is copied here.
    """

    appeal = models.OneToOneField("appeals.Appeal", on_delete=models.PROTECT, related_name="reward")
    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    valid = models.BooleanField("有效举报")
    points = models.PositiveIntegerField("奖励积分", default=0)
    note = models.CharField("认定意见", max_length=200, blank=True)
    department = models.ForeignKey(Department, verbose_name="认定部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="认定人", null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("认定时间", db_index=True)

    class Meta:
        verbose_name = "随手拍奖励"
        verbose_name_plural = "随手拍奖励台账"
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.points}"


class PointAuditQuerySet(ImmutableQuerySet["PointAudit"]):
    pass


class PointAudit(SealedModel):
    """One row per action on points (create, import, retire, edit). Never updated or deleted."""

    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField("操作人", max_length=120)
    event = models.CharField("事件", max_length=32)
    reason = models.TextField("说明", blank=True)
    payload = models.JSONField(default=dict, blank=True)

    LABELS = {
        "point_created": _("新建点位"),
        "points_imported": _("批量导入点位"),
        "point_retired": _("停用点位"),
        "scale_verified": _("登记检定"),
        "verification_expired": _("检定到期"),
    }

    objects = PointAuditQuerySet.as_manager()

    class Meta:
        verbose_name = "点位操作记录"
        verbose_name_plural = "点位操作记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event} {self.at:%Y-%m-%d %H:%M}"

    def event_label(self) -> str:
        return str(self.LABELS.get(self.event, self.event))
