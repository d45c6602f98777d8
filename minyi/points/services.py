"""Point actions: create, import, retire, report from a code, route a scale's report, decide a reward.

Each action is one transaction with one audit row: ``PointAudit`` for actions on points, the
appeal's own timeline (``workflow.AuditEvent`` notes) for actions on an appeal. Side effects
(routing a report) are outbox rows written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from minyi.appeals import services as appeal_services
from minyi.appeals.models import Appeal
from minyi.directory.models import Category, Department, GridCell
from minyi.jobs.registry import enqueue
from minyi.points.models import Owner, Point, PointAppeal, PointAudit, RewardEntry
from minyi.workflow import services as wf
from minyi.workflow.machine import State
from minyi.workflow.policy import Role

# Reports filed from a scale's code: the level-3 category 缺斤短两 under 消费维权, routed to the scale's department.
SHORT_WEIGHT_CATEGORY = ("smjg-xf-qjdl", "缺斤短两", "smjg-xf")
MARKET_DEPARTMENT = "scj"
# Where a report may be confirmed valid: after the department has it, before it is thrown out.
REWARDABLE_STATES = frozenset({State.DISPATCHED, State.IN_PROGRESS, State.SUSPENDED, State.REPLIED, State.PENDING_CALLBACK, State.CLOSED})


@dataclass
class PointData:
    """A new point as read from a form, a spreadsheet row or the demo, before it is saved."""

    kind: str
    name: str
    grid: GridCell
    address: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    department: Department | None = None
    market: str = ""
    merchant: str = ""
    stall: str = ""
    verified_on: dt.date | None = None
    verification: str = ""
    service: str = ""
    hours: str = ""
    services: str = ""
    phone: str = ""

    def clean(self) -> None:
        """Raise ValidationError naming every bad field, in Chinese."""
        errors: list[str] = []
        self.name = self.name.strip()
        if self.kind not in Point.Kind.values:
            errors.append("点位类型无效")
        if not self.name:
            errors.append("请填写点位名称")
        elif len(self.name) > 100:
            errors.append("点位名称不能超过 100 字")
        if (self.lat is None) != (self.lng is None):
            errors.append("经纬度须同时填写")
        if self.lat is not None and not Decimal(-90) <= self.lat <= Decimal(90):
            errors.append("纬度超出范围")
        if self.lng is not None and not Decimal(-180) <= self.lng <= Decimal(180):
            errors.append("经度超出范围")
        if self.kind == Point.Kind.SCALE:
            if not self.market.strip():
                errors.append("电子秤须填写所属市场")
            if not self.merchant.strip():
                errors.append("电子秤须填写商户名称")
            if self.verification and self.verification not in Point.Verification.values:
                errors.append("检定状态无效")
        elif self.verified_on or self.verification:
            errors.append("检定日期和检定状态只适用于电子秤")
        if self.kind == Point.Kind.SERVICE:
            if self.service not in Point.Service.values:
                errors.append("服务网点须填写有效的服务类别")
        elif self.service:
            errors.append("服务类别只适用于服务网点")
        if errors:
            raise ValidationError(errors)


def may_manage(actor: wf.Actor, department: Department | None) -> bool:
    if actor.roles & {Role.ADMIN, Role.DISPATCHER}:
        return True
    return Role.HANDLER in actor.roles and department is not None and department.pk in actor.department_ids


def _audit(point: Point | None, actor: wf.Actor, event: str, *, reason: str = "", payload: dict[str, Any] | None = None) -> PointAudit:
    return PointAudit.objects.create(
        point=point, at=timezone.now(), actor_id=actor.user_id, actor_label=actor.label, event=event, reason=reason, payload=payload or {}
    )


def _owner(kind: str, name: str, *, market: Owner | None = None, stall: str = "", grid: GridCell | None = None, address: str = "") -> Owner:
    owner = Owner.objects.filter(kind=kind, name=name, market=market).first()
    if owner is None:
        owner = Owner.objects.create(kind=kind, name=name, market=market, stall=stall, grid=grid, address=address)
    return owner


def _with_defaults(data: PointData) -> PointData:
    """A scale without a responsible department belongs to 市场监管."""
    if data.kind == Point.Kind.SCALE and data.department is None:
        data.department = Department.objects.filter(code=MARKET_DEPARTMENT).first()
    return data


def _build(data: PointData, now: dt.datetime) -> Point:
    owner = None
    department = data.department
    if data.kind == Point.Kind.SCALE:
        market = _owner(Owner.Kind.MARKET, data.market.strip(), grid=data.grid, address=data.address)
        owner = _owner(Owner.Kind.MERCHANT, data.merchant.strip(), market=market, stall=data.stall.strip(), grid=data.grid)
    return Point(
        kind=data.kind, name=data.name, grid=data.grid, address=data.address.strip(), lat=data.lat, lng=data.lng, owner=owner,
        department=department, verified_on=data.verified_on, verification=data.verification or (Point.Verification.VALID if data.verified_on else ""),
        service=data.service, hours=data.hours.strip(), services=data.services.strip(), phone=data.phone.strip(), created_at=now,
    )  # fmt: skip


def create_point(data: PointData, *, by: Any) -> Point:
    """新建点位: one point with a fresh code."""
    actor = wf.Actor.of(by)
    data.clean()
    _with_defaults(data)
    if not may_manage(actor, data.department):
        raise wf.ActionForbidden("您没有管理该点位的权限")
    with transaction.atomic():
        point = _build(data, timezone.now())
        point.save()
        _audit(point, actor, "point_created", payload={"kind": point.kind, "name": point.name})
    return point


def import_points(items: list[PointData], *, by: Any, source: str = "") -> list[Point]:
    """批量导入: every row is checked first; one bad row and nothing is created (the caller reports the rows)."""
    actor = wf.Actor.of(by)
    if not items:
        raise ValidationError("没有可导入的点位")
    for item in items:
        item.clean()
        _with_defaults(item)
        if not may_manage(actor, item.department):
            raise wf.ActionForbidden("您没有管理这些点位的权限")
    now = timezone.now()
    with transaction.atomic():
        points = [_build(item, now) for item in items]
        Point.objects.bulk_create(points, batch_size=500)
        _audit(None, actor, "points_imported", reason=source[:200], payload={"count": len(points), "kinds": sorted({p.kind for p in points})})
    return points


def retire_point(point: Point, *, reason: str, by: Any) -> Point:
    """停用点位: its code then answers with a clear page (410), never a silent fallback."""
    actor = wf.Actor.of(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写停用原因")
    if not may_manage(actor, point.department):
        raise wf.ActionForbidden("您没有管理该点位的权限")
    with transaction.atomic():
        locked = Point.objects.select_for_update().get(pk=point.pk)
        if not locked.active:
            raise ValidationError("该点位已停用")
        locked.active, locked.retired_at, locked.retired_reason = False, timezone.now(), reason[:200]
        locked.save(update_fields=["active", "retired_at", "retired_reason"])
        _audit(locked, actor, "point_retired", reason=reason)
    return locked


VERIFICATION_VALID_DAYS = 365  # 强制检定: market scales are verified once a year


def expire_verifications(*, today: dt.date | None = None, by: Any = None) -> int:
    """检定过期: scales verified more than a year ago are marked expired (the daily sweep). Returns how many.

    One audit row for the run, naming the scales, when any changed.
    """
    actor = wf.Actor.of(by or wf.SYSTEM)
    today = today or timezone.localdate()
    limit = today - dt.timedelta(days=VERIFICATION_VALID_DAYS)
    with transaction.atomic():
        stale = list(
            Point.objects.select_for_update()
            .filter(kind=Point.Kind.SCALE, active=True, verified_on__lt=limit)
            .exclude(verification__in=[Point.Verification.EXPIRED, Point.Verification.FAILED])
            .values_list("pk", "code")
        )
        if not stale:
            return 0
        Point.objects.filter(pk__in=[pk for pk, _ in stale]).update(verification=Point.Verification.EXPIRED)
        _audit(None, actor, "verification_expired", reason=f"检定日期早于 {limit:%Y-%m-%d}", payload={"codes": [c for _, c in stale]})
    return len(stale)


def short_weight_category() -> Category | None:
    """The category 缺斤短两 (under 消费维权), created on first use when the default tree has its parent."""
    code, name, parent_code = SHORT_WEIGHT_CATEGORY
    found = Category.objects.filter(code=code).first()
    if found is not None:
        return found
    parent = Category.objects.filter(code=parent_code).first()
    if parent is None:
        return None
    category, _ = Category.objects.get_or_create(
        code=code, defaults={"name": name, "parent": parent, "level": parent.level + 1, "default_department": parent.default_department}
    )
    return category


def report_at_point(point: Point, data: appeal_services.IntakeData, *, caller: str, idempotency_key: str | None = None) -> tuple[Appeal, bool]:
    """扫码反映: intake from a point's code; the appeal keeps its point (same transaction).

    A scale's report is filed under 缺斤短两 and, with ``MINYI_POINTS_AUTO_ROUTE``, an outbox job
    accepts it and dispatches it to the scale's department right after commit.
    """
    if not point.active:
        raise ValidationError("该点位已停用，不能再通过它反映问题")
    with transaction.atomic():
        if point.kind == Point.Kind.SCALE:
            data.category = short_weight_category()
        appeal, created = appeal_services.intake_appeal(data, by=wf.CITIZEN, idempotency_key=idempotency_key, caller=caller, accept=False)
        if created:
            PointAppeal.objects.create(appeal=appeal, point=point, created_at=appeal.created_at)
            wf.record_note(appeal, by=wf.CITIZEN, kind="point_report", reason=f"{point.get_kind_display()}：{point.name}",
                           payload={"point": point.code, "kind": point.kind})  # fmt: skip
            if point.kind == Point.Kind.SCALE and point.department_id and settings.MINYI_POINTS_AUTO_ROUTE:
                enqueue("points.route_report", {"appeal_id": appeal.pk, "point_id": point.pk}, dedupe_key=f"points.route:{appeal.pk}")
    return appeal, created


def route_report(appeal_id: int, point_id: int) -> bool:
    """受理并派单 a scale's report to the scale's department (the outbox job's body; the system acts).

    Left alone when a person got there first (no longer 登记). Returns whether it dispatched.
    """
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    point = Point.objects.select_related("department").filter(pk=point_id).first()
    if appeal is None or point is None or point.department is None or appeal.state is not State.REGISTERED:
        return False
    with transaction.atomic():
        appeal = appeal_services.accept_appeal(appeal, by=wf.SYSTEM)
        reason = f"一秤一码：{point.name}，按电子秤归属交{point.department.name}办理"
        appeal_services.dispatch_appeal(appeal, point.department, by=wf.SYSTEM, category=appeal.category, reason=reason)
    return True


def rewardable(appeal: Appeal) -> bool:
    """A 随手拍 report, or one filed from a point's code, that a department holds or has answered."""
    if appeal.state not in REWARDABLE_STATES or appeal.department_id is None:
        return False
    return appeal.channel.code == "ssp" or PointAppeal.objects.filter(appeal=appeal).exists()


def decide_reward(appeal: Appeal, *, valid: bool, by: Any, note: str = "", points: int | None = None) -> RewardEntry:
    """奖励认定: the handling department confirms a report valid (reward points for its reporter) or not."""
    actor = wf.Actor.of(by)
    note = note.strip()
    if not valid and not note:
        raise ValidationError("认定为无效举报时请说明理由")
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().select_related("channel").get(pk=appeal.pk)
        own = locked.department_id is not None and locked.department_id in actor.department_ids
        if not (Role.ADMIN in actor.roles or (Role.HANDLER in actor.roles and own)):
            raise wf.ActionForbidden("只有承办单位可以认定该举报是否有效")
        if not rewardable(locked):
            raise ValidationError("该诉求不在随手拍奖励范围内，或承办单位尚未接手")
        if RewardEntry.objects.filter(appeal=locked).exists():
            raise ValidationError("该举报已认定过")
        amount = (settings.MINYI_POINTS_REWARD if points is None else points) if valid else 0
        if amount < 0:
            raise ValidationError("奖励积分不能为负数")
        link = PointAppeal.objects.filter(appeal=locked).first()
        entry = RewardEntry.objects.create(
            appeal=locked, point_id=link.point_id if link else None, valid=valid, points=amount, note=note[:200],
            department_id=locked.department_id, decided_by_id=actor.user_id, decided_at=timezone.now(),
        )  # fmt: skip
        wf.record_note(locked, by=actor, kind="point_reward", reason=note or ("有效举报" if valid else "无效举报"),
                       payload={"valid": valid, "points": amount})  # fmt: skip
    return entry
