"""The printed 工单 (派单单/办理单): one A4 page a department can file, with a QR code back to the appeal.

The page shows the appeal as the printing user sees it on screen (``core.pii.present``): a role
without the personal-data permission prints masked phone, name and address. The QR code holds
only the appeal's staff URL, which asks for a login; nothing personal is in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import segno
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from minyi.appeals.models import Appeal
from minyi.core.pii import present
from minyi.directory.models import Department
from minyi.workflow.machine import Event


def qr_svg(url: str) -> str:
    """An inline SVG QR code (vector: sharp at any printer resolution)."""
    return str(segno.make(url, error="m").svg_inline(scale=3, border=2, dark="#000"))


def context(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    view = present(appeal, request.user)
    url = request.build_absolute_uri(reverse("appeals:detail", args=[appeal.number]))
    dispatch = appeal.audit.filter(event__in=[Event.DISPATCH, Event.REDISPATCH]).order_by("-id").first()
    district = Department.objects.filter(parent__isnull=True).order_by("pk").first()
    return {
        "appeal": appeal,
        "view": view,
        "district": district.name.removesuffix("人民政府") if district else "",
        "kind_of_sheet": "办理单" if appeal.claimed_at else "派单单",
        "dispatch": dispatch,
        "qr": qr_svg(url),
        "url": url,
        "printed_at": timezone.now(),
        "printed_by": getattr(request.user, "get_full_name", lambda: "")() or request.user.get_username(),
    }


def _css() -> str:
    """The sheet's CSS, handed to WeasyPrint directly (the browser page links the same static file)."""
    path = finders.find("minyi/print.css")
    return Path(str(path)).read_text(encoding="utf-8") if path else ""


def to_html(request: HttpRequest, appeal: Appeal, *, for_pdf: bool = False) -> str:
    return render_to_string("appeals/print.html", {**context(request, appeal), "for_pdf": for_pdf}, request=request)


def to_pdf(request: HttpRequest, appeal: Appeal) -> bytes:
    from weasyprint import CSS, HTML

    page = HTML(string=to_html(request, appeal, for_pdf=True), base_url=request.build_absolute_uri("/"))
    return bytes(page.write_pdf(stylesheets=[CSS(string=_css())]))

