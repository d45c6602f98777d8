"""Read side of points: complaints per point (the cockpit's ranking), a point's history, the reward ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from minyi.appeals.models import Appeal
from minyi.core.roles import department_ids_of, sees_all
from minyi.points.models import Point, PointAppeal, RewardEntry
from minyi.workflow.calendar import SHANGHAI


def month_start(now: dt.datetime | None = None) -> dt.datetime:
    local = (now or timezone.now()).astimezone(SHANGHAI)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def ranking(*, since: dt.datetime | None = None, kind: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """Points by appeals filed from their code since ``since`` (default: the start of this month), most first."""
    since = since or month_start()
    qs = PointAppeal.objects.filter(created_at__gte=since)
    if kind:
        qs = qs.filter(point__kind=kind)
    rows = qs.values("point_id").annotate(n=Count("id")).order_by("-n", "point_id")[:limit]
    points = Point.objects.select_related("owner__market", "grid__parent").in_bulk([r["point_id"] for r in rows])
    return [{"point": points[r["point_id"]], "complaints": r["n"]} for r in rows if r["point_id"] in points]


def history(point: Point) -> QuerySet[Appeal]:
    """The appeals filed from this point's code, newest first."""
    return Appeal.objects.filter(point_link__point=point).select_related("department", "category").order_by("-created_at")


def ledger(user: Any) -> QuerySet[RewardEntry]:
    """The reward decisions the user may see: all for leaders and the loop's staff, their department's for handlers."""
    qs = RewardEntry.objects.select_related("appeal", "point", "department", "decided_by").order_by("-decided_at", "-id")
    if sees_all(user):
        return qs
    return qs.filter(department_id__in=department_ids_of(user))


def awaiting(user: Any) -> QuerySet[Appeal]:
    """随手拍 and scanned reports the user's department holds or answered, not decided yet."""
    from minyi.points.services import REWARDABLE_STATES

    qs = Appeal.objects.filter(status__in=[s.value for s in REWARDABLE_STATES], reward__isnull=True, department__isnull=False)
    qs = qs.filter(channel__code="ssp") | qs.filter(point_link__isnull=False)
    if not sees_all(user):
        qs = qs.filter(department_id__in=department_ids_of(user))
    return qs.select_related("department", "channel").distinct().order_by("-created_at")


def reporter_points(appeal: Appeal) -> dict[str, Any]:
    """What the reporter of ``appeal`` sees on the tracking page: this report's finding and their total points.

    The total is over every appeal filed with the same phone (the blind index), so nothing personal is stored twice.
    """
    entry = RewardEntry.objects.filter(appeal=appeal).first()
    total = 0
    if appeal.phone:
        total = RewardEntry.objects.filter(appeal__in=Appeal.objects.with_phone(appeal.phone), valid=True).aggregate(s=Sum("points"))["s"] or 0
    eligible = appeal.channel.code == "ssp" or PointAppeal.objects.filter(appeal=appeal).exists()
    return {"entry": entry, "total": total, "eligible": eligible}
