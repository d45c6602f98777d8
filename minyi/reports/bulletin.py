"""The 简报 generator: factual sentences, KPI tables and hot topics from the rollups.

``build(period)`` returns the bulletin content as plain data (a dict) that editors may
revise; :mod:`minyi.reports.render` turns it into HTML, PDF or DOCX. The shape follows
the district bulletins (姑苏信息): title block with 期号 and date, 目录, 【动态】
paragraphs per department and street, tables, and the 送/发 distribution lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
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


def build(period_name: str, *, today: dt.date | None = None, top_units: int = 5) -> dict[str, Any]:
    p = queries.period(period_name)
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
    news = [{"heading": f"{p.label}全区接诉即办运行平稳", "text": overview}]
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
    docs = hot.appeal_docs(p.end, window_days=(p.end - p.start).days + 1, baseline_weeks=4)
    topics = [t.as_dict() for t in hot.find(docs, p.end, window_days=(p.end - p.start).days + 1, top=5)]
    trend = queries.trend(p)
    today = today or timezone.localdate()
    return {
        "masthead": getattr(settings, "MINYI_BULLETIN_MASTHEAD", "明湖信息（接诉即办·专报）"),
        "issuer": getattr(settings, "MINYI_BULLETIN_ISSUER", ["明湖区人民政府办公室", "明湖区12345热线分中心"]),
        "period": period_name,
        "period_label": p.label,
        "date": f"{today.year} 年 {today.month} 月 {today.day} 日",
        "news": news,
        "ranking": table,
        "hot": [{"label": t["label"], "size": t["size"], "growth": t["growth"], "sample": t["samples"][0] if t["samples"] else ""} for t in topics],
        "proposals": hot.propose(topics),
        "trend": trend,
        "send": getattr(settings, "MINYI_BULLETIN_SEND", "送：区委、区人大常委会、区政府、区政协领导。"),
        "issue": getattr(settings, "MINYI_BULLETIN_ISSUE", "发：各街道，区各部门、各单位。"),
    }
