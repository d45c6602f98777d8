"""Bulletin pages: list/archive, draft from a period, revise, publish, download."""

from __future__ import annotations

from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from minyi.core.roles import roles_of
from minyi.reports import render as renderer
from minyi.reports import services
from minyi.reports.models import Bulletin

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


# The bulletin is one self-contained document: the same HTML is the download and WeasyPrint's PDF source,
# so its stylesheet is embedded. It gets its own policy: inline style and data: images only, nothing else
# loads or runs (sandbox), and only minyi's own pages may frame it (the preview on the bulletin page).
BULLETIN_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
    "sandbox": [True],
}


def _editor(request: HttpRequest) -> bool:
    return bool(roles_of(request.user) & services.EDITORS)


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    if not _editor(request):
        raise PermissionDenied("您没有查看简报的权限")
    if request.method == "POST":
        period = request.POST.get("period", "").strip()
        try:
            b = services.draft_bulletin(period, by=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("reports:list")
        return redirect("reports:detail", pk=b.pk)
    return render(request, "reports/list.html", {"bulletins": Bulletin.objects.select_related("created_by")[:200]})


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not _editor(request):
        raise PermissionDenied("您没有查看简报的权限")
    b = get_object_or_404(Bulletin, pk=pk)
    if request.method == "POST":
        headings, texts = request.POST.getlist("heading"), request.POST.getlist("text")
        news = [{"heading": h, "text": t} for h, t in zip(headings, texts, strict=False)]
        try:
            services.revise_bulletin(b, news=news, send=request.POST.get("send", ""), issue=request.POST.get("issue", ""), by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, "简报已保存")
        return redirect("reports:detail", pk=b.pk)
    return render(request, "reports/detail.html", {"b": b, "number": services.number_label(b)})


@login_required
@require_POST
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    if not _editor(request):
        raise PermissionDenied("您没有发布简报的权限")
    b = services.publish_bulletin(get_object_or_404(Bulletin, pk=pk), by=request.user)
    messages.success(request, f"已发布：第 {services.number_label(b)} 期")
    return redirect("reports:detail", pk=b.pk)


@login_required
@xframe_options_sameorigin
@csp(BULLETIN_CSP)  # type: ignore[arg-type]  # django-csp 4.0 types views as taking the request only
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if not _editor(request):
        raise PermissionDenied("您没有查看简报的权限")
    if fmt not in renderer.RENDERERS:
        return HttpResponseBadRequest("格式只支持 html、pdf、docx")
    b = Bulletin.objects.filter(pk=pk).first()
    if b is None:
        raise Http404("简报不存在")
    response = HttpResponse(renderer.RENDERERS[fmt](b.content, services.number_label(b)), content_type=CONTENT_TYPES[fmt])
    if fmt != "html":
        response["Content-Disposition"] = f'attachment; filename="bulletin-{b.period}-{b.number or "draft"}.{fmt}"'
    return response
