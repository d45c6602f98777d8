"""Headline figures: counts by status, channel and department, and the KPI rates.

The rates are the formulas of :mod:`minyi.cockpit.kpi` (响应率, 解决率, 满意率, 按时办结率,
退单率, 重办率, 差评整改回访率), computed live over the appeal table. The cockpit pages read
the rollup tables instead (:mod:`minyi.cockpit.rollup`), with the same formulas.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.utils import timezone

from minyi.appeals.models import Appeal, AppealQuerySet
from minyi.cockpit import kpi


def live_counts(qs: AppealQuerySet | None = None) -> kpi.Counts:
    """One aggregate query over ``qs`` that fills every field of :class:`kpi.Counts`."""
    qs = Appeal.objects.all() if qs is None else qs
    return kpi.Counts.from_mapping(qs.order_by().aggregate(**kpi.counts_aggregates(timezone.now())))


def received_in(p: Any, qs: AppealQuerySet | None = None) -> AppealQuerySet:
    """The appeals received (受理) in period ``p`` (a :class:`minyi.cockpit.queries.Period`): the cockpit's cohort."""
    import datetime as dt

    qs = Appeal.objects.all() if qs is None else qs
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(p.start, dt.time(), tzinfo=tz)
    until = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return qs.filter(created_at__gte=since, created_at__lt=until)


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
    counts = live_counts(qs)
    return {
        "total": counts.created,
        "by_status": dict(sorted(by_status.items())),
        "by_channel": dict(sorted(by_channel.items(), key=lambda kv: -kv[1])),
        "by_department": dict(sorted(by_department.items(), key=lambda kv: -kv[1])),
        "rates": kpi.rates(counts),
    }


def topic_from_hot(snapshot_id: int, index: int, *, by: Any) -> Any:
    """Turn hot topic ``index`` of a snapshot into a 专题 (minyi.accountability) in one click.

    The leader who clicks becomes both owner and 包案领导 (editable on the topic page);
    the cluster's appeals are linked. Permission and the audit trail are the
    accountability action's (``create_topic``).
    """
    from minyi.accountability.topics import create_topic
    from minyi.cockpit.hot import propose
    from minyi.cockpit.models import HotTopicSnapshot

    snap = HotTopicSnapshot.objects.get(pk=snapshot_id)
    if not 0 <= index < len(snap.topics):
        raise ValueError("热点不存在")
    hot = snap.topics[index]
    proposal = propose([hot])[0]
    ids = [int(i) for i in hot["ids"] if str(i).isdigit()]
    description = f"{proposal['why']}。关键词：{'、'.join(hot['keywords'])}。\n" + "\n".join(f"例：{s}" for s in hot["samples"])
    return create_topic(
        proposal["title"], owner=by, leader=by, by=by, description=description, appeals=Appeal.objects.filter(id__in=ids)
    )
