"""QR label sheets on A4: one label per point, the QR code (vector, segno's SVG), the name and a short instruction.

WeasyPrint (already used for the bulletins) lays the sheet out; the QR codes stay vector
paths in the PDF, so a sheet prints sharp at 300 dpi or any other resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from minyi.points.models import Point

COLUMNS, ROWS = 3, 4  # 12 labels a sheet, each about 63 x 70 mm

INSTRUCTIONS: dict[str, str] = {
    Point.Kind.SCALE: "扫码看检定信息 · 缺斤短两一键反映",
    Point.Kind.STAND: "食品安全隐患扫码随手拍，查实有奖",
    Point.Kind.SERVICE: "扫码看办事指南，一键导航",
}
DEFAULT_INSTRUCTION = "设施损坏或安全隐患，扫码反映"


def point_url(point: Point) -> str:
    """The address a point's QR code opens: the public base URL and ``/q/<code>``."""
    return f"{settings.MINYI_POINTS_BASE_URL}{reverse('points:scan', args=[point.code])}"


def qr_svg(url: str) -> str:
    # Error correction Q: a label may get scuffed or splashed at a market stall.
    return segno.make(url, error="q", micro=False).svg_inline(scale=4, border=2, omitsize=True)


def subtitle(point: Point) -> str:
    if point.department is not None:
        return f"责任单位：{point.department.name}"
    return f"{point.grid.parent.name if point.grid.parent else ''} {point.grid.name}".strip()


def to_html(points: Iterable[Point]) -> str:
    items = [
        {"name": p.name, "sub": subtitle(p), "code": p.code, "qr": mark_safe(qr_svg(point_url(p))),  # noqa: S308 - segno's own SVG markup
         "hint": INSTRUCTIONS.get(p.kind, DEFAULT_INSTRUCTION)}
        for p in points
    ]  # fmt: skip
    per_sheet = COLUMNS * ROWS
    sheets = [items[i : i + per_sheet] for i in range(0, len(items), per_sheet)]
    return render_to_string("points/labels.html", {"sheets": sheets})


def to_pdf(points: Iterable[Point]) -> bytes:
    from weasyprint import CSS, HTML

    css = finders.find("points/labels.css")
    sheet = CSS(string=Path(str(css)).read_text(encoding="utf-8")) if css else None
    return bytes(HTML(string=to_html(points)).write_pdf(stylesheets=[sheet] if sheet else None))
