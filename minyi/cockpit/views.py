"""数字驾驶舱 pages: the leader's cockpit, its wall-screen mode, chart data and exports.

Views parse the request, check the role and call :mod:`minyi.cockpit.queries`; every
figure they show carries the link to the filtered appeal list behind it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from minyi.appeals.queries import filter_appeals, visible_to
from minyi.cockpit import exports, hot, kpi, queries, services
from minyi.cockpit.models import HotTopicSnapshot, RollupState
from minyi.core.roles import may_reveal_pii, roles_of
from minyi.core.routers import replica_reads
from minyi.directory.models import GridCell, GridShape
from minyi.workflow.policy import Role

COCKPIT_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER})


def _allowed(request: HttpRequest) -> bool:
    return bool(roles_of(request.user) & COCKPIT_ROLES)


def _period(request: HttpRequest) -> queries.Period:
    try:
        return queries.period(request.GET.get("period", "month"))
    except ValueError:
        return queries.period("month")


def _freshness(refreshed_at: Any, now: Any) -> dict[str, Any]:
    """How old the figures are, for the line under the heading: minutes, and whether the scheduler seems stopped."""
    if refreshed_at is None:
        return {"at": None, "minutes": None, "stale": True}
    minutes = max(0, int((now - refreshed_at).total_seconds() // 60))
    return {"at": refreshed_at, "minutes": minutes, "stale": minutes >= STALE_MINUTES}


STALE_MINUTES = 10  # rollups refresh every minute; ten minutes without means the background jobs are not running


@login_required
@replica_reads
def cockpit(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden("您没有查看数字驾驶舱的权限")
    p = _period(request)
    state = RollupState.objects.filter(id=1).first()
    snapshot = HotTopicSnapshot.objects.first()
    topics = list(snapshot.topics) if snapshot else []
    now = timezone.now()
    context = {
        "p": p,
        "period_name": request.GET.get("period", "month"),
        "periods": queries.PERIODS,
        "totals": queries.totals(),
        "summary": queries.summed("dept", p)[()],
        "rates": queries.headline_rates(p),
        "ranking": queries.ranking(p),
        "rate_keys": [(k, kpi.RATE_LABELS[k]) for k in ("response", "resolution", "satisfaction", "on_time", "return", "reopen")],
        # Named as the page names the rates (响应率 0.2 …), never by their codes.
        "weights": [(gettext(kpi.RATE_LABELS.get(code, code)), w) for code, w in kpi.composite_weights().items()],
        "grid": queries.grid_table(p),
        "has_map": GridShape.objects.exists(),
        "refreshed_at": state.refreshed_at if state else None,
        "fresh": _freshness(state.refreshed_at if state else None, now),
        "hot_at": snapshot.computed_at if snapshot else None,
        "wall": request.GET.get("wall") == "1",
        "wall_refresh": WALL_REFRESH_SECONDS,
        "hot_topics": topics,
        "hot_snapshot": snapshot,
        "proposals": hot.propose(topics),
    }
    template = "cockpit/wall.html" if context["wall"] else "cockpit/index.html"
    return render(request, template, context)


WALL_REFRESH_SECONDS = 120


def _map_points(p: queries.Period, grid: list[dict[str, Any]], topics: list[dict[str, Any]]) -> dict[str, Any]:
    """Appeals per 街道/社区 for the heat map (cell code → count, link) and hot topics placed on their main place.

    Every cell is there, with 0 and its (empty) list when nothing was received, so every region drills down.
    """
    counted: dict[int, dict[str, Any]] = {}
    for street in grid:
        for row in [street, *street["children"]]:
            counted[row["cell"].pk] = {"value": row["counts"].created, "link": row["link"]}
    cells: list[dict[str, Any]] = []
    by_name: dict[str, str] = {}
    for pk, code, name, level in GridCell.objects.order_by("level", "code").values_list("pk", "code", "name", "level"):
        figures = counted.get(pk) or {"value": 0, "link": queries.drill(grid=pk, **p.params())}
        cells.append({"code": code, "id": pk, "name": name, "level": level, **figures})
        if level == GridCell.Level.COMMUNITY or name not in by_name:
            by_name[name] = code  # a community before a street of the same name
    placed = []
    for rank, t in enumerate(topics[:8], 1):
        place = next((name for name, _ in t.get("places", []) if name in by_name), None)
        if place is not None:
            placed.append({"rank": rank, "label": t["label"], "size": t["size"], "code": by_name[place], "place": place})
    return {"cells": cells, "hot": placed}


@login_required
@replica_reads
def chart_data(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden("您没有查看数字驾驶舱的权限")
    p = _period(request)
    rows = queries.grid_table(p)
    grid = [{"name": row["cell"].name, "value": row["counts"].created, "link": row["link"]} for row in rows]
    body: dict[str, Any] = {"trend": queries.trend(p), "mix": queries.mix(p), "grid": grid}
    if GridShape.objects.exists():
        # The boundaries come from the public, cacheable /directory/district.geojson; the figures from here.
        body["map"] = {"url": reverse("directory:district_geojson"), **_map_points(p, rows, hot.cached_topics())}
    return JsonResponse(body)


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
