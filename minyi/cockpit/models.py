"""Rollup tables behind the cockpit.

``AppealFact`` is one narrow row per appeal: its dimensions, its days (受理/交办/办结) and
the flags the KPI formulas count. ``DailyRollup`` sums facts per
day × department × category × grid × channel × kind. Cockpit queries read only
``DailyRollup``; a refresh re-derives the facts of changed appeals and applies the
difference to the rollup cells they touch (see :mod:`minyi.cockpit.rollup`).

Dimension columns are plain integers (ids of directory rows, 0 for "none") so the
unique key works on every database and rebuilds do not fight foreign-key checks.
"""

from __future__ import annotations

from django.db import models

from minyi.cockpit.kpi import COUNT_FIELDS

DIMENSIONS = ("department_id", "category_id", "category_l1_id", "grid_id", "street_id", "channel_id", "kind")

# Grouping sets kept in DailyRollup: the full grain, and narrow cubes that the cockpit
# pages read (a year of the "dept" cube is a few thousand rows at any appeal volume).
ALL_CUBES: dict[str, tuple[str, ...]] = {
    "full": DIMENSIONS,
    "dept": ("department_id",),
    "grid": ("grid_id", "street_id"),
    "channel": ("channel_id",),
    "kind": ("kind",),
    "category": ("category_l1_id",),
}


def cubes() -> dict[str, tuple[str, ...]]:
    """The cubes kept; ``MINYI_COCKPIT_CUBES`` may drop "full" (the widest, ~1 row per appeal at scale)."""
    from django.conf import settings

    names = getattr(settings, "MINYI_COCKPIT_CUBES", tuple(ALL_CUBES))
    return {name: ALL_CUBES[name] for name in names if name in ALL_CUBES}


class AppealFact(models.Model):
    appeal_id = models.BigIntegerField(primary_key=True)
    created_day = models.DateField(db_index=True)
    dispatched_day = models.DateField(null=True, db_index=True)
    closed_day = models.DateField(null=True, db_index=True)
    department_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    category_l1_id = models.IntegerField(default=0)
    grid_id = models.IntegerField(default=0)
    street_id = models.IntegerField(default=0)
    channel_id = models.IntegerField(default=0)
    kind = models.CharField(max_length=16)
    status = models.CharField(max_length=20)
    # 0/1 flags and the rating level, exactly the fields of kpi.Counts but "created".
    claimed_on_time = models.BooleanField(default=False)
    is_open = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)
    satisfaction = models.PositiveSmallIntegerField(null=True)
    resolved = models.BooleanField(null=True)
    closed_on_time = models.BooleanField(null=True)
    returned = models.BooleanField(default=False)
    reopened = models.BooleanField(default=False)
    bad_rated = models.BooleanField(default=False)
    bad_rating_called_back = models.BooleanField(default=False)

    class Meta:
        verbose_name = "工单事实"
        verbose_name_plural = "工单事实"



class DailyRollup(models.Model):
    cube = models.CharField(max_length=8)
    day = models.DateField()
    department_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    category_l1_id = models.IntegerField(default=0)
    grid_id = models.IntegerField(default=0)
    street_id = models.IntegerField(default=0)
    channel_id = models.IntegerField(default=0)
    kind = models.CharField(max_length=16)
    # Flows by event day: 交办 and 办结 on the day they happened.
    dispatched_flow = models.IntegerField(default=0)
    closed_flow = models.IntegerField(default=0)
    # Cohort measures: the appeals received (受理) that day, in their current state.
    created = models.IntegerField(default=0)
    dispatched = models.IntegerField(default=0)
    claimed_on_time = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    sat_1 = models.IntegerField(default=0)
    sat_2 = models.IntegerField(default=0)
    sat_3 = models.IntegerField(default=0)
    sat_4 = models.IntegerField(default=0)
    sat_5 = models.IntegerField(default=0)
    called_back = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed_with_due = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    bad_rated = models.IntegerField(default=0)
    bad_rating_called_back = models.IntegerField(default=0)

    class Meta:
        verbose_name = "日汇总"
        verbose_name_plural = "日汇总"
        constraints = [models.UniqueConstraint(fields=["cube", "day", *DIMENSIONS], name="cockpit_rollup_key")]
        indexes = [
            # Drill-down within one department (``summed(cube, period, …, department_id=…)``):
            # two equalities then the day range, so the scan reads only that department's rows.
            # The unique key above leads with (cube, day) and would read every department's.
            models.Index(fields=["cube", "department_id", "day"], name="cockpit_rollup_cube_dept_day"),
        ]


MEASURES = ("dispatched_flow", "closed_flow", *COUNT_FIELDS)


class RollupState(models.Model):
    """Singleton watermark of the incremental refresh."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_audit_id = models.BigIntegerField(default=0)
    last_appeal_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "汇总水位"
        verbose_name_plural = "汇总水位"


class HotTopicSnapshot(models.Model):
    """The hot topics (热点诉求) found by the last run of ``minyi cockpit hot-topics``."""

    computed_at = models.DateTimeField("计算时间")
    window_start = models.DateField("本期起")
    window_end = models.DateField("本期止")
    topics = models.JSONField("热点", default=list)

    class Meta:
        verbose_name = "热点诉求快照"
        verbose_name_plural = "热点诉求快照"
        ordering = ["-computed_at", "-id"]
