"""Headline figures: counts by status, channel and department, and the three rates.

响应率 (response): of the appeals dispatched, the share signed for (签收) within the
claim deadline. 解决率 (resolution): of the appeals with a callback, the share the
citizen called resolved. 满意率 (satisfaction): of the rated appeals, the share rated
基本满意 or better. A rate with nothing to count is ``None``, never a made-up 100%.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q

from minyi.appeals.models import Appeal, AppealQuerySet


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def stats(qs: AppealQuerySet | None = None) -> dict[str, Any]:
    qs = Appeal.objects.all() if qs is None else qs
    by_status = dict(qs.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_channel = dict(
        qs.order_by().values_list("channel__name").annotate(n=Count("id")).values_list("channel__name", "n")
    )
    by_department = dict(
        qs.filter(department__isnull=False)
        .order_by()
        .values_list("department__name")
        .annotate(n=Count("id"))
        .values_list("department__name", "n")
    )
    agg = qs.aggregate(
        total=Count("id"),
        dispatched=Count("id", filter=Q(dispatched_at__isnull=False)),
        claimed_on_time=Count("id", filter=Q(claimed_at__isnull=False, claimed_at__lte=F("claim_due_at"))),
        rated=Count("id", filter=Q(satisfaction__isnull=False)),
        satisfied=Count("id", filter=Q(satisfaction__gte=3)),
        called_back=Count("id", filter=Q(resolved__isnull=False)),
        resolved=Count("id", filter=Q(resolved=True)),
    )
    return {
        "total": agg["total"],
        "by_status": dict(sorted(by_status.items())),
        "by_channel": dict(sorted(by_channel.items(), key=lambda kv: -kv[1])),
        "by_department": dict(sorted(by_department.items(), key=lambda kv: -kv[1])),
        "rates": {
            "response": _rate(agg["claimed_on_time"], agg["dispatched"]),
            "resolution": _rate(agg["resolved"], agg["called_back"]),
            "satisfaction": _rate(agg["satisfied"], agg["rated"]),
        },
    }
