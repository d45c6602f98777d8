"""智能派单质量 page ``/triage/quality``: supervisors, leaders and admins; everyone else gets 403.

The view parses the period, checks the role and calls :mod:`minyi.triage.quality`; it writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _

from minyi.core.roles import roles_of
from minyi.triage import quality
from minyi.triage.quality import Rate


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", quality.DEFAULT_DAYS))
    except ValueError:
        return quality.DEFAULT_DAYS
    return days if days in quality.PERIODS else quality.DEFAULT_DAYS


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _figure(label: str, rate: Rate, help_text: str, *, interval: bool = False) -> dict[str, Any]:
    bounds = rate.interval if interval else None
    return {
        "label": label,
        "value": _pct(rate.value),
        "hits": rate.hits,
        "n": rate.n,
        "interval": f"{_pct(bounds[0])} – {_pct(bounds[1])}" if bounds else "",
        "help": help_text,
    }


@login_required
def quality_page(request: HttpRequest) -> HttpResponse:
    if not roles_of(request.user) & quality.QUALITY_ROLES:
        return HttpResponseForbidden(_("您没有查看智能派单质量的权限"))
    days = _days(request)
    report = quality.compute(days)
    total = report.total
    figures = [
        _figure(_("覆盖率"), report.coverage, _("有建议的诉求中，置信度达到模型阈值（可自动派单）的比例")),
        _figure(_("建议与首次派单一致"), report.agreement_first, _("首选建议部门与第一次派单的部门相同")),
        _figure(_("建议与最终承办部门一致"), report.agreement_final, _("首选建议部门与转派、退单改派之后的最终部门相同")),
        _figure(_("前三建议含最终部门"), report.top3_final, _("最终部门在前三个建议部门之中")),
        _figure(_("高置信建议实测准确率"), report.confident_precision, _("置信度达阈值的建议中，与最终部门一致的比例"), interval=True),
        _figure(_("自动派单后被纠正"), report.auto_corrected, _("系统自动派出的诉求中，后来被转派或同意退单的比例"), interval=True),
    ]
    high = report.confident_precision.interval
    context = {
        "report": report,
        "days": days,
        "periods": quality.PERIODS,
        "figures": figures,
        "total": total,
        "categories": [
            {**row, "coverage_pct": _pct(row["coverage"]["value"]), "final_pct": _pct(row["agreement_final"]["value"]),
             "category_pct": _pct(row["category_agreement"]["value"])}
            for row in report.category_rows()
        ],
        "models": [
            {**row, "coverage_pct": _pct(row["coverage"]["value"]), "final_pct": _pct(row["agreement_final"]["value"]),
             "precision_pct": _pct(row["confident_precision"]["value"])}
            for row in report.model_rows()
        ],
        "sources": [(label, report.corrections_since_model.get(value, 0)) for value, label in quality.sources_label().items()],
        "corrections_total": report.corrections_since_model.get("total", 0),
        "alarm_high": _pct(high[1]) if high else "",
        "target_pct": _pct(report.target_precision),
    }
    return render(request, "triage/quality.html", context)
