"""Cockpit read side: every figure is a sum of ``DailyRollup`` rows and a KPI formula.

Periods: ``today``, ``week`` (Monday on), ``month``, ``year``, or an explicit month
``2026-03`` / year ``2026``. 受理, 在办, 超期 and the rates count the appeals received in
the period (a cohort, in their current state); 交办 and 办结 count the dispatches and
closures that happened in the period.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from minyi.cockpit import kpi
from minyi.cockpit.models import MEASURES, DailyRollup
from minyi.directory.models import Category, Channel, Department, GridCell

PERIODS = {"today": "今日", "week": "本周", "month": "本月", "year": "本年"}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    label: str

    def params(self, prefix: str = "created") -> dict[str, str]:
        return {f"{prefix}_from": self.start.isoformat(), f"{prefix}_to": self.end.isoformat()}

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware moments [start, end): midnight of its first day to midnight after its last."""
        tz = timezone.get_current_timezone()
        return dt.datetime.combine(self.start, dt.time(), tzinfo=tz), dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def period(name: str, today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    if name == "today":
        return Period(today, today, PERIODS[name])
    if name == "week":
        return Period(today - dt.timedelta(days=today.weekday()), today, PERIODS[name])
    if name == "month":
        return Period(today.replace(day=1), today, PERIODS[name])
    if name == "year":
        return Period(today.replace(month=1, day=1), today, PERIODS[name])
    if len(name) == 7 and name[4] == "-" and name[:4].isdigit() and name[5:].isdigit() and 1 <= int(name[5:]) <= 12 and int(name[:4]) >= 1:
        year, month = int(name[:4]), int(name[5:])
        last = calendar.monthrange(year, month)[1]
        return Period(dt.date(year, month, 1), dt.date(year, month, last), f"{year}年{month}月")
    if len(name) == 4 and name.isdigit() and int(name) >= 1:
        return Period(dt.date(int(name), 1, 1), dt.date(int(name), 12, 31), f"{name}年")
    raise ValueError(f"无法识别的统计期：{name}（可用 today/week/month/year、2026-03 或 2026）")


@dataclass
class Figures:
    counts: kpi.Counts = field(default_factory=kpi.Counts)
    dispatched_flow: int = 0
    closed_flow: int = 0

    @property
    def rates(self) -> dict[str, float | None]:
        return kpi.rates(self.counts)


def _figures(row: Mapping[str, Any]) -> Figures:
    return Figures(kpi.Counts.from_mapping(row), int(row.get("dispatched_flow") or 0), int(row.get("closed_flow") or 0))


def summed(cube: str, p: Period, group_by: Iterable[str] = (), **filters: Any) -> dict[tuple[Any, ...], Figures]:
    group = list(group_by)
    qs = DailyRollup.objects.filter(cube=cube, day__gte=p.start, day__lte=p.end, **filters).order_by()
    sums = {m: Sum(m) for m in MEASURES}
    if not group:
        return {(): _figures(qs.aggregate(**sums))}
    return {tuple(row[g] for g in group): _figures(row) for row in qs.values(*group).annotate(**sums)}


def drill(**params: Any) -> str:
    return reverse("appeals:list") + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def totals(today: dt.date | None = None) -> list[dict[str, Any]]:
    """受理/交办/办结/在办/超期 for today, this week, month and year, each with its list link."""
    out = []
    for name in PERIODS:
        p = period(name, today)
        f = summed("dept", p)[()]
        out.append(
            {
                "period": name,
                "label": p.label,
                "created": (f.counts.created, drill(**p.params())),
                "dispatched": (f.dispatched_flow, drill(**p.params("dispatched"))),
                "closed": (f.closed_flow, drill(**p.params("closed"), status="closed")),
                "open": (f.counts.open, drill(**p.params(), open="1")),
                "overdue": (f.counts.overdue, drill(**p.params(), sla="overdue")),
            }
        )
    return out


def headline_rates(p: Period) -> list[dict[str, Any]]:
    f = summed("dept", p)[()]
    rates, targets = f.rates, kpi.targets()
    out = []
    for key in ("response", "resolution", "satisfaction"):
        value, target = rates[key], targets.get(key)
        met = None if value is None or target is None else value >= target
        out.append({"key": key, "label": kpi.RATE_LABELS[key], "value": value, "target": target, "met": met})
    return out


def _unit_of() -> dict[int, Department]:
    """Department id → the unit it is ranked under (a child of the district root)."""
    depts = {d.id: d for d in Department.objects.all()}
    unit: dict[int, Department] = {}
    for d in depts.values():
        node = d
        while node.parent_id is not None and depts[node.parent_id].parent_id is not None:
            node = depts[node.parent_id]
        unit[d.id] = node
    return unit


def ranking(p: Period, weights: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """处办质效 ranking of departments and streets (sections roll up to their bureau)."""
    unit_of = _unit_of()
    per_unit: dict[int, kpi.Counts] = {}
    for (dept_id,), f in summed("dept", p, ["department_id"]).items():
        if not dept_id or dept_id not in unit_of:
            continue
        u = unit_of[dept_id]
        if u.parent_id is None:
            continue  # appeals held by the district itself are not ranked
        per_unit[u.id] = per_unit.get(u.id, kpi.Counts()) + f.counts
    rows: list[dict[str, Any]] = []
    for unit_id, counts in per_unit.items():
        r = kpi.rates(counts)
        rows.append(
            {
                "unit": unit_of[unit_id],
                "counts": counts,
                "rates": r,
                "score": kpi.composite(r, weights),
                "link": drill(unit=unit_id, **p.params()),
            }
        )
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), -row["counts"].created, row["unit"].code))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return rows


def grid_table(p: Period) -> list[dict[str, Any]]:
    """Streets with their communities, by appeals received, with the three rates."""
    cells = {c.id: c for c in GridCell.objects.all()}
    streets: dict[int, kpi.Counts] = {}
    communities: dict[int, kpi.Counts] = {}
    for (grid_id, street_id), f in summed("grid", p, ["grid_id", "street_id"]).items():
        if street_id:
            streets[street_id] = streets.get(street_id, kpi.Counts()) + f.counts
        if grid_id and grid_id != street_id:
            communities[grid_id] = communities.get(grid_id, kpi.Counts()) + f.counts
    rows = []
    for sid, counts in sorted(streets.items(), key=lambda kv: -kv[1].created):
        if sid not in cells:
            continue
        children = [
            {"cell": cells[cid], "counts": c, "rates": kpi.rates(c), "link": drill(grid=cid, **p.params())}
            for cid, c in sorted(communities.items(), key=lambda kv: -kv[1].created)
            if cid in cells and cells[cid].parent_id == sid
        ]
        rows.append({"cell": cells[sid], "counts": counts, "rates": kpi.rates(counts), "link": drill(grid=sid, **p.params()), "children": children})
    return rows


def trend(p: Period) -> list[dict[str, Any]]:
    by_day = summed("dept", p, ["day"])
    out = []
    day = p.start
    while day <= p.end:
        f = by_day.get((day,), Figures())
        out.append({"day": day.isoformat(), "created": f.counts.created, "dispatched": f.dispatched_flow, "closed": f.closed_flow})
        day += dt.timedelta(days=1)
    return out


def mix(p: Period) -> dict[str, list[dict[str, Any]]]:
    from minyi.appeals.models import Kind

    channels = dict(Channel.objects.values_list("id", "name"))
    channel_codes = dict(Channel.objects.values_list("id", "code"))
    categories = dict(Category.objects.filter(level=1).values_list("id", "name"))
    kinds = dict(Kind.choices)
    acc: dict[str, dict[Any, int]] = {}
    for cube, dim in (("channel", "channel_id"), ("kind", "kind"), ("category", "category_l1_id")):
        acc[cube] = {key: f.counts.created for (key,), f in summed(cube, p, [dim]).items()}

    def rows(values: dict[Any, int], name: Any, link: Any) -> list[dict[str, Any]]:
        return [{"name": name(k), "value": v, "link": link(k)} for k, v in sorted(values.items(), key=lambda kv: -kv[1]) if v]

    return {
        "channel": rows(acc["channel"], lambda k: channels.get(k, "未知"), lambda k: drill(channel=channel_codes.get(k, ""), **p.params())),
        "kind": rows(acc["kind"], lambda k: kinds.get(k, k), lambda k: drill(kind=k, **p.params())),
        "category": rows(acc["category"], lambda k: categories.get(k, "未分类"), lambda k: drill(category=k or "", **p.params())),
    }
