"""The 简报 generator: factual sentences, KPI tables and hot topics from the rollups.

``build(period)`` returns the bulletin content as plain data (a dict) that editors may
revise; :mod:`minyi.reports.render` turns it into HTML, PDF or DOCX. The shape follows
the district bulletins (姑苏信息): title block with 期号 and date, 目录, 【动态】
paragraphs (the district, then 政企早餐会 and 专题 progress as "共交办问题X件，解决Y件，
剩余Z件正解决中", then the busiest departments and streets), the 处办质效 ranking,
hot topics, and the 送/发 distribution lines.

The figures are the cockpit's: ``build`` first brings the rollups up to date
(:func:`minyi.cockpit.rollup.ensure_current`), so a bulletin made right after an import
or a seed counts every appeal, and its figures equal ``minyi stats --json --period``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from minyi.cockpit import hot, kpi, queries


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _sentence(name: str, ytd: kpi.Counts, month: kpi.Counts, label: str) -> str:
    r = kpi.rates(month)
    done = ytd.closed
    rest = ytd.dispatched - done if ytd.dispatched >= done else ytd.open
    text = f"年初至今，共交办问题{ytd.dispatched}件，解决{done}件，剩余{max(rest, 0)}件正解决中。"
    if month.created:
        text += f"{label}受理{month.created}件，响应率{_pct(r['response'])}，解决率{_pct(r['resolution'])}，满意率{_pct(r['satisfaction'])}。"
    return f"{name}扎实推进接诉即办。{text}"


def _progress(appeal_ids: Any) -> tuple[int, int, int]:
    """(交办, 解决, 剩余) over a set of appeals: solved means 已办结, as on the 专题 pages."""
    from minyi.appeals.models import Appeal
    from minyi.workflow.machine import State

    figures = Appeal.objects.filter(id__in=appeal_ids).aggregate(n=Count("id"), done=Count("id", filter=Q(status=State.CLOSED)))
    n, done = int(figures["n"] or 0), int(figures["done"] or 0)
    return n, done, n - done


def progress_line(assigned: int, solved: int, remaining: int) -> str:
    return f"共交办问题{assigned}件，解决{solved}件，剩余{remaining}件正解决中"


def breakfast_news(p: queries.Period) -> dict[str, str]:
    """政企早餐会 since the start of the year, as the seed bulletins lead with them."""
    from minyi.accountability.models import Engagement

    events = Engagement.objects.filter(kind=Engagement.Kind.BREAKFAST, date__gte=p.start.replace(month=1, day=1), date__lte=p.end)
    held = events.count()
    in_period = events.filter(date__gte=p.start).count()
    themes = events.values("topic_id").distinct().count()
    firms = events.values("enterprises").exclude(enterprises=None).distinct().count()
    n, done, rest = _progress(events.values("appeals"))
    text = (
        f"我区常态开展政企早餐会，区领导与企业家面对面交流，现场收集的问题第一时间梳理形成清单并交办。"
        f"年初至今，已举办{held}场{f'（其中{p.label}{in_period}场）' if in_period and in_period != held else ''}，"
        f"围绕{themes}个主题，邀请{firms}家企业参与。"
        f"年初至今，{progress_line(n, done, rest)}。"
    )
    return {"heading": "我区常态开展政企“面对面”交流提升服务企业的温度与速度", "text": text}


def topic_news(p: queries.Period) -> dict[str, str]:
    """疑难专题 in progress during the period (set up before its end, not closed out before its start)."""
    from minyi.accountability.models import Topic

    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(p.start, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    topics = Topic.objects.filter(created_at__lt=end).exclude(closed_at__lt=start)
    total = topics.count()
    closed = topics.filter(status=Topic.Status.CLOSED).count()
    n, done, rest = _progress(topics.values("appeals"))
    text = (
        f"{p.label}，全区推进疑难复杂问题专题{total}个，其中已销号{closed}个、推进中{total - closed}个，"
        f"实行包案领导、牵头单位、节点计划闭环管理。专题{progress_line(n, done, rest)}。"
    )
    return {"heading": "疑难复杂问题专题化推进实现“件件有着落”", "text": text}


def reply_quality(p: queries.Period) -> list[dict[str, Any]]:
    """答复质量 per department for the period (``minyi.replyqc``): the share of replies the check flagged."""
    from minyi.replyqc.services import department_quality

    start, end = p.bounds()
    return [
        {
            "unit": r.department,
            "submitted": r.submitted,
            "flagged": r.submitted_flagged,
            "flagged_pct": f"{round(100 * r.submitted_flagged / r.submitted)}%" if r.submitted else "—",
            "approved": r.approved,
            "sent_anyway_pct": f"{round(100 * r.sent_anyway / r.approved)}%" if r.approved else "—",
        }
        for r in department_quality(start, end)
    ]


def build(period_name: str, *, today: dt.date | None = None, top_units: int = 5, refresh: bool = True) -> dict[str, Any]:
    p = queries.period(period_name)
    if refresh:
        from minyi.cockpit import rollup

        rollup.ensure_current()
    ytd = queries.Period(p.start.replace(month=1, day=1), p.end, f"{p.start.year}年初至今")
    whole = queries.summed("dept", p)[()]
    ytd_whole = queries.summed("dept", ytd)[()]
    r = whole.rates
    overview = (
        f"{p.label}，全区共受理群众诉求{whole.counts.created}件，交办{whole.dispatched_flow}件，办结{whole.closed_flow}件，"
        f"目前在办{whole.counts.open}件，超期{whole.counts.overdue}件。响应率{_pct(r['response'])}、解决率{_pct(r['resolution'])}、"
        f"满意率{_pct(r['satisfaction'])}，按时办结率{_pct(r['on_time'])}。年初至今累计受理{ytd_whole.counts.created}件。"
    )
    ranking = queries.ranking(p)
    ytd_rank = {row["unit"].id: row["counts"] for row in queries.ranking(ytd)}
    units = sorted(ranking, key=lambda row: -row["counts"].created)
    bureaus = [row for row in units if row["unit"].kind != "street"][:top_units]
    streets = [row for row in units if row["unit"].kind == "street"][:top_units]
    news = [{"heading": f"{p.label}全区接诉即办运行平稳", "text": overview}, breakfast_news(p), topic_news(p)]
    for row in [*bureaus, *streets]:
        unit = row["unit"]
        news.append(
            {"heading": f"{unit.name}{p.label}接诉即办情况", "text": _sentence(unit.name, ytd_rank.get(unit.id, row["counts"]), row["counts"], p.label)}
        )
    table = [
        {
            "rank": row["rank"],
            "unit": row["unit"].name,
            "created": row["counts"].created,
            **{k: _pct(row["rates"][k]) for k in ("response", "resolution", "satisfaction", "on_time")},
            "score": row["score"],
        }
        for row in ranking
    ]
    window = (p.end - p.start).days + 1
    docs = hot.appeal_docs(p.end, window_days=window, baseline_weeks=3)
    topics = [t.as_dict() for t in hot.find(docs, p.end, window_days=window, baseline_weeks=3, top=5)]
    this, _, _ = hot.window_words(window)
    trend = queries.trend(p)
    today = today or timezone.localdate()
    quality = reply_quality(p)
    return {
        "masthead": getattr(settings, "MINYI_BULLETIN_MASTHEAD", "明湖信息（接诉即办·专报）"),
        "issuer": getattr(settings, "MINYI_BULLETIN_ISSUER", ["明湖区人民政府办公室", "明湖区12345热线分中心"]),
        "period": period_name,
        "period_label": p.label,
        "date": f"{today.year}年{today.month}月{today.day}日",
        "figures": {"created": whole.counts.created, **{k: _pct(v) for k, v in r.items()}},
        "news": news,
        "ranking": table,
        "reply_quality": quality,
        "hot_window": this,
        "hot": [{"label": t["label"], "size": t["size"], "growth": t["growth"], "sample": t["samples"][0] if t["samples"] else ""} for t in topics],
        "proposals": hot.propose(topics, window_days=window),
        "trend": trend,
        "send": getattr(settings, "MINYI_BULLETIN_SEND", "送：区委、区人大常委会、区政府、区政协领导。"),
        "issue": getattr(settings, "MINYI_BULLETIN_ISSUE", "发：各街道，区各部门、各单位。"),
    }
