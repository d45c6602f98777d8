"""Exports of any filtered appeal list or ranking to XLSX or CSV, personal data masked by role.

Every cell goes through :func:`neutralise` (OWASP "CSV injection"): text that a spreadsheet
would read as a formula — starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return — gets a leading ``'``. In XLSX, text cells are also written with the string type,
so openpyxl never stores a formula whatever the text. Numbers stay numbers, negative ones too.
An export that carries full personal data is written to the security log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from minyi.appeals.models import AppealQuerySet
from minyi.audit.models import SecurityKind
from minyi.audit.services import record_security_event
from minyi.cockpit import kpi
from minyi.core.pii import mask_address, mask_name, present

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

MAX_ROWS = 100_000

APPEAL_COLUMNS = ("编号", "登记时间", "渠道", "类型", "状态", "标题", "诉求人", "联系电话", "地址", "网格", "分类", "承办部门", "满意度", "是否解决")


def appeal_rows(qs: AppealQuerySet, user: Any, *, full: bool = False) -> Iterable[list[Any]]:
    """One row per appeal, personal data as ``present`` shows it: masked (titles too), or in full when
    ``full`` and the user may see it — the caller records that export in the security log."""
    qs = qs.select_related("channel", "department", "category", "grid", "grid__parent")[:MAX_ROWS]
    for a in qs.iterator(chunk_size=2000):
        view = present(a, user, reveal=full)
        yield [
            a.number,
            timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
            a.channel.name,
            a.get_kind_display(),
            a.status_label(),
            view.title,
            # A list export is bulk: names and doors go out in full only in the audited ?full=1 export.
            view.submitter_name if full else mask_name(view.submitter_name),
            view.phone,
            view.address if full else mask_address(view.address),
            str(a.grid) if a.grid else "",
            a.category.name if a.category else "",
            a.department.name if a.department else "",
            a.get_satisfaction_display() if a.satisfaction else "",
            "" if a.resolved is None else ("是" if a.resolved else "否"),
        ]


def ranking_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    header = ["名次", "单位", "受理", *[kpi.RATE_LABELS[k] for k in kpi.RATE_KEYS], "综合得分"]
    body = [
        [r["rank"], r["unit"].name, r["counts"].created, *[r["rates"].get(k) for k in kpi.RATE_KEYS], r["score"]] for r in rows
    ]
    return header, body


def grid_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    header = ["街道", "社区", "受理", "在办", "超期", "响应率", "解决率", "满意率"]
    body: list[list[Any]] = []
    for street in rows:
        for node, community in [(street, ""), *[(c, c["cell"].name) for c in street["children"]]]:
            c, r = node["counts"], node["rates"]
            body.append([street["cell"].name, community, c.created, c.open, c.overdue, r["response"], r["resolution"], r["satisfaction"]])
    return header, body


def neutralise(value: Any) -> Any:
    """A cell value no spreadsheet will evaluate: risky text gets a leading ``'``; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    bold = Font(bold=True)

    def cell(value: Any, font: Font | None = None) -> WriteOnlyCell:
        value = neutralise(value)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters that XLSX cannot hold
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # text is text: never a formula, whatever it starts with
        if font is not None:
            c.font = font
        return c

    ws.append([cell(h, bold) for h in header])
    for row in rows:
        ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM so that Excel opens UTF-8


def record_appeal_export(request: HttpRequest, *, rows: int, filters: Mapping[str, str], fmt: str) -> None:
    """Log an export that carried full names, phones and addresses (the caller decides it did)."""
    details = {"what": "appeals", "rows": rows, "filters": dict(filters), "format": fmt}
    record_security_event(SecurityKind.EXPORT_PII, request=request, target="诉求清单", details=details)
