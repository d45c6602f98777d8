"""Staff pages: points and their history, label sheets, the 随手拍 reward ledger (with its Excel export)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from minyi.appeals.queries import visible_to
from minyi.cockpit.exports import to_xlsx
from minyi.core.context import POINTS_ROLES
from minyi.core.pii import mask_phone
from minyi.core.roles import roles_of
from minyi.points import importer, labels, queries, services
from minyi.points.models import Point, PointAudit
from minyi.workflow.policy import Role
from minyi.workflow.services import ActionForbidden, Actor

LOOP_ROLES = POINTS_ROLES  # the same roles see the navigation link (minyi.core.context)
PAGE = 50


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    if not roles_of(request.user) & LOOP_ROLES:
        return HttpResponseForbidden(gettext("您的角色不能查看点位"))
    return None


@login_required
def point_list(request: HttpRequest) -> HttpResponse:
    if (denied := _forbidden(request)) is not None:
        return denied
    kind = request.GET.get("kind", "")
    qs = Point.objects.select_related("grid__parent", "owner__market", "department").order_by("kind", "grid__code", "name")
    if kind in Point.Kind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "points/list.html", {"page": page, "kinds": Point.Kind.choices, "kind": kind, "ranking": queries.ranking(limit=10)})


@login_required
def point_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A point's page: what it is, the appeals filed from its code (as far as the user may see them), its audit."""
    if (denied := _forbidden(request)) is not None:
        return denied
    point = get_object_or_404(Point.objects.select_related("grid__parent", "owner__market", "department"), code=code)
    appeals = queries.history(point)
    visible = appeals.filter(pk__in=visible_to(request.user).values("pk"))
    month = appeals.filter(created_at__gte=queries.month_start()).count()
    may_retire = services.may_manage(Actor.of(request.user), point.department)
    context = {
        "point": point, "appeals": visible[:100], "total": appeals.count(), "month": month, "url": labels.point_url(point),
        "audit": PointAudit.objects.filter(point=point).order_by("-id")[:20], "may_retire": may_retire,
    }  # fmt: skip
    return render(request, "points/detail.html", context)


@login_required
def import_sheet(request: HttpRequest) -> HttpResponse:
    """批量导入 from an uploaded Excel list: every row checked first, errors by row, nothing half-done."""
    if (denied := _forbidden(request)) is not None:
        return denied
    if request.GET.get("template"):
        response = HttpResponse(importer.template_workbook(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="points-template.xlsx"'
        return response
    context: dict[str, Any] = {"headers": importer.HEADERS}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [gettext("请选择要导入的 Excel 文件")]
        else:
            parsed = importer.parse_workbook(upload)
            context["errors"] = parsed.errors
            if not parsed.errors:
                try:
                    points = services.import_points(parsed.items, by=request.user, source=upload.name or "")
                except (ValidationError, ActionForbidden) as exc:
                    context["errors"] = exc.messages if isinstance(exc, ValidationError) else [exc.message]
                else:
                    messages.success(request, gettext("已导入 %(n)s 个点位") % {"n": len(points)})
                    return redirect("points:list")
        return render(request, "points/import.html", context, status=400)
    return render(request, "points/import.html", context)


@login_required
@require_POST
def retire(request: HttpRequest, code: str) -> HttpResponse:
    point = get_object_or_404(Point, code=code)
    try:
        services.retire_point(point, reason=request.POST.get("reason", ""), by=request.user)
    except (ValidationError, ActionForbidden) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else exc.message)
    else:
        messages.success(request, gettext("点位已停用，扫码将提示已停用"))
    return redirect("points:detail", code=point.code)


@login_required
def label_sheet(request: HttpRequest) -> HttpResponse:
    """The label sheets of one kind as a PDF (the same as ``minyi codes print``)."""
    if (denied := _forbidden(request)) is not None:
        return denied
    kind = request.GET.get("kind", Point.Kind.SCALE)
    if kind not in Point.Kind.values:
        kind = Point.Kind.SCALE
    points = Point.objects.filter(kind=kind, active=True).select_related("grid__parent", "owner__market", "department").order_by("grid__code", "name")
    response = HttpResponse(labels.to_pdf(points), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="labels-{kind}.pdf"'
    return response


def _ledger_rows(user: Any) -> list[list[Any]]:
    rows = []
    for e in queries.ledger(user):
        rows.append([
            timezone.localtime(e.decided_at).strftime("%Y-%m-%d %H:%M"), e.appeal.number, e.appeal.title, e.point.name if e.point else "",
            mask_phone(e.appeal.phone) if e.appeal.phone else gettext("匿名"), gettext("有效") if e.valid else gettext("无效"), e.points,
            e.department.name if e.department else "", e.note,
        ])  # fmt: skip
    return rows


LEDGER_HEADER = ["认定时间", "诉求编号", "标题", "点位", "举报人手机", "认定结果", "奖励积分", "认定部门", "认定意见"]


@login_required
def rewards(request: HttpRequest) -> HttpResponse:
    """随手拍奖励台账: reports waiting for the department's finding, and the findings made, with the points."""
    if (denied := _forbidden(request)) is not None:
        return denied
    if request.GET.get("format") == "xlsx":
        body = to_xlsx("随手拍奖励台账", LEDGER_HEADER, _ledger_rows(request.user))
        response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="rewards-{timezone.localdate():%Y%m%d}.xlsx"'
        return response
    entries = Paginator(queries.ledger(request.user), PAGE).get_page(request.GET.get("page"))
    may_decide = bool(roles_of(request.user) & {Role.HANDLER, Role.ADMIN})
    context = {"entries": entries, "awaiting": queries.awaiting(request.user)[:50] if may_decide else [], "reward": settings.MINYI_POINTS_REWARD}
    return render(request, "points/rewards.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, number: str) -> HttpResponse:
    appeal = get_object_or_404(visible_to(request.user), number=number)
    try:
        services.decide_reward(appeal, valid=request.POST.get("valid") == "1", note=request.POST.get("note", ""), by=request.user)
    except (ValidationError, ActionForbidden) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else exc.message)
    else:
        messages.success(request, gettext("已认定：%(number)s") % {"number": appeal.number})
    return redirect("points:rewards")
