"""Render a bulletin's content as HTML, PDF (WeasyPrint) or DOCX (python-docx)."""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string

from minyi.cockpit import kpi

RANK_COLUMNS = [("rank", "名次"), ("unit", "单位"), ("created", "受理"), ("response", "响应率"), ("resolution", "解决率"),
                ("satisfaction", "满意率"), ("on_time", "按时办结率"), ("score", "综合得分")]  # fmt: skip


def trend_svg(trend: list[dict[str, Any]], width: int = 640, height: int = 180) -> str:
    """A small bar chart of appeals received per day, as inline SVG (no JavaScript needed)."""
    if not trend:
        return ""
    top = max([d["created"] for d in trend] + [1])
    bar = width / len(trend)
    bars = []
    for i, d in enumerate(trend):
        h = (height - 30) * d["created"] / top
        bars.append(f'<rect x="{i * bar + 1:.1f}" y="{height - 20 - h:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" fill="#2b6cb0"/>')
        if i % max(len(trend) // 8, 1) == 0:
            bars.append(f'<text x="{i * bar:.1f}" y="{height - 5}" font-size="10">{d["day"][5:]}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="每日受理量">'
        f'<text x="0" y="12" font-size="12">每日受理量（最高 {top} 件）</text>{"".join(bars)}</svg>'
    )


def to_html(content: dict[str, Any], *, number: str = "（草稿）") -> str:
    return render_to_string(
        "reports/bulletin.html",
        {"c": content, "number": number, "columns": RANK_COLUMNS, "chart": trend_svg(content.get("trend", [])), "labels": kpi.RATE_LABELS},
    )


def to_pdf(content: dict[str, Any], *, number: str = "（草稿）") -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=to_html(content, number=number)).write_pdf())


def to_docx(content: dict[str, Any], *, number: str = "（草稿）") -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    doc = Document()
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(content["masthead"])
    run.bold, run.font.size, run.font.color.rgb = True, Pt(26), RGBColor(0xC0, 0, 0)
    doc.add_paragraph(f"第 {number} 期").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for issuer in content["issuer"]:
        doc.add_paragraph(issuer)
    doc.add_paragraph(content["date"])
    doc.add_paragraph("本期目录:")
    doc.add_paragraph("【动态】")
    for i, item in enumerate(content["news"], 1):
        doc.add_paragraph(f"{i}. {item['heading']}")
    doc.add_paragraph("【动态】")
    for item in content["news"]:
        p = doc.add_paragraph()
        p.add_run(item["heading"] + "。").bold = True
        p.add_run(item["text"])
    doc.add_paragraph("【处办质效排名】").runs[0].bold = True
    table = doc.add_table(rows=1, cols=len(RANK_COLUMNS))
    table.style = "Table Grid"
    for cell, (_, label) in zip(table.rows[0].cells, RANK_COLUMNS, strict=True):
        cell.text = label
    for row in content["ranking"]:
        cells = table.add_row().cells
        for cell, (key, _) in zip(cells, RANK_COLUMNS, strict=True):
            cell.text = "—" if row.get(key) is None else str(row[key])
    if content["hot"]:
        doc.add_paragraph("【热点诉求】").runs[0].bold = True
        for t in content["hot"]:
            doc.add_paragraph(f"{t['label']}：本期{t['size']}件，增长{t['growth']}倍。例：{t['sample'][:60]}", style="List Number")
    if content["proposals"]:
        doc.add_paragraph("【未诉先办建议】").runs[0].bold = True
        for prop in content["proposals"]:
            doc.add_paragraph(f"{prop['title']}（{prop['why']}）", style="List Bullet")
    doc.add_paragraph(content["send"])
    doc.add_paragraph(content["issue"])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


RENDERERS = {"html": lambda c, n: to_html(c, number=n).encode("utf-8"), "pdf": lambda c, n: to_pdf(c, number=n), "docx": lambda c, n: to_docx(c, number=n)}
