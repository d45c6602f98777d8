"""数字驾驶舱 pages: the leader's cockpit, its wall-screen mode, chart data and exports.

Views parse the request, check the role and call :mod:`minyi.cockpit.queries`; every
figure they show carries the link to the filtered appeal list behind it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from minyi.appeals.queries import filter_appeals, visible_to
from minyi.cockpit import exports, hot, kpi, queries, services
from minyi.cockpit.models import HotTopicSnapshot, RollupState
from minyi.core.roles import may_reveal_pii, roles_of
from minyi.core.routers import replica_reads
from minyi.workflow.policy import Role

COCKPIT_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER})


def _allowed(request: HttpRequest) -> bool:
    return bool(roles_of(request.user) & COCKPIT_ROLES)


def _period(request: HttpRequest) -> queries.Period:
    try:
        return queries.period(request.GET.get("period", "month"))
    except ValueError:
        return queries.period("month")


def _geojson() -> Any:
    path = getattr(settings, "MINYI_GRID_GEOJSON", "")
    if path and Path(path).is_file():
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return None


@login_required
@replica_reads
def cockpit(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden("您没有查看数字驾驶舱的权限")
    p = _period(request)
    state = RollupState.objects.filter(id=1).first()
    context = {
        "p": p,
        "period_name": request.GET.get("period", "month"),
        "periods": queries.PERIODS,
        "totals": queries.totals(),
        "rates": queries.headline_rates(p),
        "ranking": queries.ranking(p),
        "rate_keys": [(k, kpi.RATE_LABELS[k]) for k in ("response", "resolution", "satisfaction", "on_time", "return", "reopen")],
        # Named as the page names the rates (响应率 0.2 …), never by their codes.
        "weights": [(gettext(kpi.RATE_LABELS.get(code, code)), w) for code, w in kpi.composite_weights().items()],
        "grid": queries.grid_table(p),
        "has_map": _geojson() is not None,
        "refreshed_at": state.refreshed_at if state else None,
        "wall": request.GET.get("wall") == "1",
        "hot_topics": hot.cached_topics(),
        "hot_snapshot": HotTopicSnapshot.objects.first(),
        "proposals": hot.propose(hot.cached_topics()),
    }
    template = "cockpit/wall.html" if context["wall"] else "cockpit/index.html"
    return render(request, template, context)


@login_required
@replica_reads
def chart_data(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden("您没有查看数字驾驶舱的权限")
    p = _period(request)
    grid = [
        {"name": row["cell"].name, "value": row["counts"].created, "link": row["link"]} for row in queries.grid_table(p)
    ]
    return JsonResponse({"trend": queries.trend(p), "mix": queries.mix(p), "grid": grid, "geojson": _geojson()})


@login_required
def export(request: HttpRequest, what: str) -> HttpResponse:
    """/cockpit/export/<ranking|grid|appeals>?format=xlsx|csv&<list filters>."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        return HttpResponseBadRequest("导出格式只支持 xlsx 或 csv")
    if what == "appeals":
        params: dict[str, str] = {k: str(v) for k, v in request.GET.items() if v and k not in ("format", "full")}
        # Masked unless asked for (?full=1) by a role that may see personal data; then the export is the audited reveal.
        full = request.GET.get("full") == "1" and may_reveal_pii(request.user)
        header: list[str] = list(exports.APPEAL_COLUMNS)
        found = filter_appeals(visible_to(request.user), params, by_phone=may_reveal_pii(request.user))
        rows: Any = list(exports.appeal_rows(found, request.user, full=full))
        title = "诉求清单"
        if full:
            exports.record_appeal_export(request, rows=len(rows), filters=params, fmt=fmt)
    elif what in ("ranking", "grid"):
        if not _allowed(request):
            return HttpResponseForbidden("您没有导出排名的权限")
        p = _period(request)
        if what == "ranking":
            header, rows = exports.ranking_rows(queries.ranking(p))
            title = f"处办质效排名{p.label}"
        else:
            header, rows = exports.grid_rows(queries.grid_table(p))
            title = f"网格统计{p.label}"
    else:
        return HttpResponseBadRequest("未知的导出内容")
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    if fmt == "csv":
        body, ctype = exports.to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body, ctype = exports.to_xlsx(title, header, rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename=\"{what}-{stamp}.{fmt}\""
    return response


@login_required
@require_POST
def hot_to_topic(request: HttpRequest, snapshot_id: int, index: int) -> HttpResponse:
    """One click: a hot topic becomes a 专题 and the leader lands on its page."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from minyi.workflow.services import ActionForbidden

    try:
        topic = services.topic_from_hot(snapshot_id, index, by=request.user)
    except ActionForbidden as exc:
        return HttpResponseForbidden(str(exc))
    except (ValueError, ValidationError, HotTopicSnapshot.DoesNotExist):
        return HttpResponseBadRequest("热点不存在或已过期，请刷新页面")
    messages.success(request, f"已设立专题：{topic.title}")
    return redirect("accountability:topic", topic_id=topic.pk)
