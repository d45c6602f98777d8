"""Render a bulletin's content as HTML, PDF (WeasyPrint) or DOCX (python-docx), in the GB/T 9704 layout.

GB/T 9704-2012 (党政机关公文格式): A4 paper, a 版心 of 156 × 225 mm (top margin 37 mm, left
28 mm, so right 26 mm and bottom 35 mm), 22 lines of 28 characters: body text 3号 (16 pt)
仿宋, 一级标题 "一、" 黑体, 二级标题 "（一）" 楷体, the title 2号 小标宋, page numbers
"— 1 —" in the footer. The fonts are named as offices have them (方正小标宋简体, 仿宋_GB2312,
楷体_GB2312, 黑体) with fallbacks: in the PDF by CSS font lists ending in the Noto CJK fonts
that Debian ships, in the DOCX by the font table's alternate names, which Word uses when the
first font is missing. ``MINYI_BULLETIN_FONTS`` overrides the names.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from minyi.cockpit import kpi

RANK_COLUMNS = [("rank", "名次"), ("unit", "单位"), ("created", "受理"), ("response", "响应率"), ("resolution", "解决率"),
                ("satisfaction", "满意率"), ("on_time", "按时办结率"), ("score", "综合得分")]  # fmt: skip

# GB/T 9704: millimetres and points.
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
LINE_PT = 28.95  # 225 mm / 22 lines
SIZE_PT = {"title": 22, "masthead": 30, "body": 16, "table": 10.5, "note": 14}  # 2号, 初号-ish, 3号, 五号, 4号

DEFAULT_FONTS = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "h1": "黑体", "h2": "楷体_GB2312"}
# Word's alternate for each when it is not installed (fontTable altName).
FALLBACKS = {"方正小标宋简体": "黑体", "仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "黑体": "SimHei"}
CSS_FALLBACKS = {
    "title": '"FZXiaoBiaoSong-B05S", "SimHei", "黑体", "Noto Serif CJK SC", serif',
    "body": '"仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", serif',
    "h1": '"SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif',
    "h2": '"楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC", serif',
}

NUMERALS = "一二三四五六七八九十"
HEAD_KEYS = {"工作动态": "news", "处办质效排名": "rank", "答复质量": "quality", "热点诉求": "hot", "未诉先办建议": "prop"}
QUALITY_COLUMNS = [("unit", "承办部门"), ("submitted", "提交答复"), ("flagged", "有质检提示"), ("flagged_pct", "提示占比"),
                   ("approved", "审核通过"), ("sent_anyway_pct", "提示后仍发送占比")]  # fmt: skip


def fonts() -> dict[str, str]:
    return {**DEFAULT_FONTS, **getattr(settings, "MINYI_BULLETIN_FONTS", {})}


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (for 一、 and （一） headings)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def sections(content: dict[str, Any]) -> list[str]:
    """The 一级 headings, in order: the same in every format."""
    out = ["工作动态", "处办质效排名"]
    if content.get("reply_quality"):
        out.append("答复质量")
    if content.get("hot"):
        out.append("热点诉求")
    if content.get("proposals"):
        out.append("未诉先办建议")
    return out


def hot_line(t: dict[str, Any], window: str) -> str:
    return f"{t['label']}：{window}{t['size']}件，增长{t['growth']}倍。例：{t['sample'][:60]}"


def trend_svg(trend: list[dict[str, Any]], width: int = 560, height: int = 180) -> str:
    """A small bar chart of appeals received per day, as inline SVG (no JavaScript needed)."""
    if not trend:
        return ""
    top = max([d["created"] for d in trend] + [1])
    bar = width / len(trend)
    bars = []
    for i, d in enumerate(trend):
        h = (height - 42) * d["created"] / top  # the tallest bar stops below the caption
        bars.append(f'<rect x="{i * bar + 1:.1f}" y="{height - 20 - h:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" fill="#2b6cb0"/>')
        if i % max(len(trend) // 8, 1) == 0:
            bars.append(f'<text x="{i * bar:.1f}" y="{height - 5}" font-size="10">{d["day"][5:]}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="每日受理量">'
        f'<text x="0" y="12" font-size="12">每日受理量（最高 {top} 件）</text>{"".join(bars)}</svg>'
    )


def to_html(content: dict[str, Any], *, number: str = "（草稿）") -> str:
    f = fonts()
    css_fonts = {k: f'"{f[k]}", {CSS_FALLBACKS[k]}' for k in CSS_FALLBACKS}
    heads = sections(content)
    return render_to_string(
        "reports/bulletin.html",
        {
            "c": content,
            "number": number,
            "columns": RANK_COLUMNS,
            "chart": trend_svg(content.get("trend", [])),
            "labels": kpi.RATE_LABELS,
            "fonts": css_fonts,
            "heads": {HEAD_KEYS[name]: f"{chinese_number(i)}、{name}" for i, name in enumerate(heads, 1)},
            "news": [{**item, "n": chinese_number(i)} for i, item in enumerate(content["news"], 1)],
            "hot": [hot_line(t, content.get("hot_window", "本期")) for t in content.get("hot", [])],
            "margins": MARGINS_MM,
            "line": LINE_PT,
            "size": SIZE_PT,
        },
    )


def to_pdf(content: dict[str, Any], *, number: str = "（草稿）") -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=to_html(content, number=number)).write_pdf())


def to_docx(content: dict[str, Any], *, number: str = "（草稿）") -> bytes:
    from minyi.reports.docx_layout import GbtDocument

    doc = GbtDocument(fonts(), FALLBACKS)
    issue = number if number.startswith("（") else f"第{number}期"
    doc.masthead(content["masthead"], f"{issue}（{content['period_label']}）", content["issuer"], content["date"])
    heads = sections(content)
    doc.heading1("本期目录")
    for i, item in enumerate(content["news"], 1):
        doc.body(f"{i}. {item['heading']}", indent=False)
    for i, name in enumerate(heads, 1):
        doc.heading1(f"{chinese_number(i)}、{name}")
        if name == "工作动态":
            for j, item in enumerate(content["news"], 1):
                doc.heading2(f"（{chinese_number(j)}）{item['heading']}")
                doc.body(item["text"])
        elif name == "处办质效排名":
            rows = [[("—" if row.get(key) is None else str(row[key])) for key, _ in RANK_COLUMNS] for row in content["ranking"]]
            doc.table([label for _, label in RANK_COLUMNS], rows or [["本期无数据", *[""] * (len(RANK_COLUMNS) - 1)]])
        elif name == "答复质量":
            rows = [[str(row[key]) for key, _ in QUALITY_COLUMNS] for row in content["reply_quality"]]
            doc.table([label for _, label in QUALITY_COLUMNS], rows)
        elif name == "热点诉求":
            for j, t in enumerate(content["hot"], 1):
                doc.body(f"{j}. {hot_line(t, content.get('hot_window', '本期'))}")
        elif name == "未诉先办建议":
            for j, prop in enumerate(content["proposals"], 1):
                doc.body(f"{j}. {prop['title']}（{prop['why']}）")
    doc.record([content["send"], content["issue"]], content["issuer"][-1] if content["issuer"] else "", content["date"])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


RENDERERS = {"html": lambda c, n: to_html(c, number=n).encode("utf-8"), "pdf": lambda c, n: to_pdf(c, number=n), "docx": lambda c, n: to_docx(c, number=n)}
