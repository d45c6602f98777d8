"""Accountability actions and figures: answering 督办单, return statistics, the bad-rating callback rate.

Appeal transitions (return rulings, arbitration, urging, merges) are named actions in
``minyi.appeals.services``; what is here changes only accountability's own tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from minyi.accountability.models import Rectification, ReturnRecord, SupervisionOrder
from minyi.appeals.models import Appeal
from minyi.workflow import services as wf
from minyi.workflow.machine import OPEN_STATES
from minyi.workflow.policy import Role


def respond_to_order(order: SupervisionOrder | int, *, response: str, by: Any, now: dt.datetime | None = None) -> SupervisionOrder:
    """The department head's written answer to a 督办单 (once; audited on the appeal's timeline)."""
    actor = wf.Actor.of(by)
    now = now or timezone.now()
    text = response.strip()
    if len(text) < 10:
        raise ValidationError({"response": ["书面回复至少 10 个字，请说明原因、措施和完成时间"]})
    order_id = order if isinstance(order, int) else order.pk
    with transaction.atomic():
        locked = SupervisionOrder.objects.select_for_update().select_related("appeal").get(pk=order_id)
        own = locked.department_id is not None and locked.department_id in actor.department_ids
        if not (own and Role.HANDLER in actor.roles) and Role.ADMIN not in actor.roles:
            raise wf.ActionForbidden("只有被督办单位的负责人可以书面回复督办单")
        if locked.responded_at is not None:
            raise wf.ActionForbidden("该督办单已回复")
        locked.response = text
        locked.responded_at = now
        locked.responded_by_id = actor.user_id
        locked.save()
        wf.record_note(
            locked.appeal,
            by=actor,
            kind="order_response",
            reason=text,
            payload={"order_id": locked.pk, "level": locked.level},
            now=now,
        )
    return locked


def open_orders(department_ids: list[int] | None = None) -> Any:
    qs = SupervisionOrder.objects.filter(responded_at__isnull=True).select_related("appeal", "department")
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return qs


def listed_appeals() -> Any:
    """挂牌督办: open appeals at escalation level 3, for the cockpit."""
    return (
        Appeal.objects.filter(escalation_level=3, status__in=[s.value for s in OPEN_STATES])
        .select_related("department")
        .order_by("reply_due_at")
    )


def return_counts() -> list[dict[str, Any]]:
    """Per department: returns requested, accepted (incl. redispatched), rejected, pending."""
    rows = (
        ReturnRecord.objects.order_by()
        .values("department_id", "department__name")
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=Q(decision__in=[ReturnRecord.Decision.ACCEPTED, ReturnRecord.Decision.REDISPATCHED])),
            rejected=Count("id", filter=Q(decision=ReturnRecord.Decision.REJECTED)),
            pending=Count("id", filter=Q(decision=ReturnRecord.Decision.PENDING)),
        )
    )
    return sorted(rows, key=lambda r: (-r["total"], r["department__name"]))


@dataclass(frozen=True)
class CallbackRate:
    """差评整改回访率: of the appeals with a bad rating, the share called back after it."""

    bad_rated: int
    called_back: int
    overdue: int  # rectified, callback past due, not yet called back

    @property
    def rate(self) -> float | None:
        return round(self.called_back / self.bad_rated, 4) if self.bad_rated else None

    @property
    def reached(self) -> bool:
        return self.bad_rated > 0 and self.called_back == self.bad_rated


def callback_rate(now: dt.datetime | None = None) -> CallbackRate:
    now = now or timezone.now()
    agg = Appeal.objects.aggregate(
        bad=Count("id", filter=Q(bad_rating_at__isnull=False)),
        back=Count("id", filter=Q(bad_rating_at__isnull=False, bad_rating_callback_at__isnull=False)),
    )
    overdue = Rectification.objects.filter(called_back_at__isnull=True, callback_due_at__lt=now).count()
    return CallbackRate(agg["bad"], agg["back"], overdue)


def pending_callbacks() -> Any:
    """Rectifications waiting for their callback, soonest due first."""
    return (
        Rectification.objects.filter(called_back_at__isnull=True)
        .select_related("appeal", "department")
        .order_by("callback_due_at", "opened_at")
    )
