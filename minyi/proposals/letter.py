"""The 答复函 as a DOCX in the usual 公文 layout (GB/T 9704 in spirit), built with python-docx.

A4 with 公文 margins; the A/B/C classification and 公开属性 in the top-left corner; 文号; the title
in 小标宋 二号; 主送 (the 代表 or 委员); the body in 仿宋 三号 with a two-character indent; the
落款 unit and date on the right; the contact line and 抄送 at the foot.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from minyi.proposals.models import Proposal

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI_FONT = "黑体"


def chinese_date(day: dt.date) -> str:
    """2026年3月5日: 公文 dates use Arabic numerals (GB/T 9704-2012)."""
    return f"{day.year}年{day.month}月{day.day}日"


def title_of(proposal: Proposal) -> str:
    unit = proposal.appeal.department.name if proposal.appeal.department else ""
    who = "代表" if proposal.is_npc else "委员"
    what = proposal.get_kind_display()[2:]  # 建议 / 议案 / 提案
    session = proposal.session or f"{proposal.year}年闭会期间"
    return f"{unit}关于对{session}{proposal.proposer_name}{who}第{proposal.number}号{what}的答复"


def reference_of(proposal: Proposal) -> str:
    return f"明{'人建' if proposal.is_npc else '政提'}复〔{proposal.year}〕{proposal.number}号"


def _font(paragraph: Paragraph, name: str, size: float, *, bold: bool = False) -> None:
    for run in paragraph.runs:
        run.font.name = name
        run.font.size = Pt(size)
        run.font.bold = bold
        rpr = run._element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _line(doc: object, text: str, *, font: str = BODY_FONT, size: float = 16, align: WD_ALIGN_PARAGRAPH | None = None, indent: bool = False) -> Paragraph:
    paragraph: Paragraph = doc.add_paragraph(text)  # type: ignore[attr-defined]
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.line_spacing = Pt(28)  # 固定值 28 磅: 22 lines a page
    fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _font(paragraph, font, size)
    return paragraph


def render_letter(proposal: Proposal) -> bytes:
    """The letter as DOCX bytes; ValueError if the proposal has no letter yet."""
    if not proposal.classification or not proposal.letter_body.strip() or proposal.letter_signed_on is None:
        raise ValueError("no letter yet")
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _line(doc, f"{proposal.classification}类", font=HEI_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(doc, "公开属性：依申请公开", font=HEI_FONT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(doc, reference_of(proposal), align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, "")
    _line(doc, title_of(proposal), font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER)
    _line(doc, "")
    _line(doc, f"{proposal.proposer_name}{'代表' if proposal.is_npc else '委员'}：")
    opening = f"您提出的《{proposal.appeal.title}》收悉。现答复如下："
    _line(doc, opening, indent=True)
    for text in [p.strip() for p in proposal.letter_body.splitlines() if p.strip()]:
        _line(doc, text, indent=True)
    _line(doc, f"答复类别：{proposal.get_classification_display()}。", indent=True)
    _line(doc, "感谢您对我区工作的关心和支持！", indent=True)
    _line(doc, "")
    unit = proposal.appeal.department.name if proposal.appeal.department else ""
    _line(doc, unit, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, chinese_date(proposal.letter_signed_on), align=WD_ALIGN_PARAGRAPH.RIGHT)
    _line(doc, "")
    if proposal.letter_contact:
        _line(doc, f"（联系人及电话：{proposal.letter_contact}）", indent=True)
    copy_to = "区人大常委会选举任免联络工作委员会，区人民政府办公室" if proposal.is_npc else "区政协提案委员会，区人民政府办公室"
    _line(doc, f"抄送：{copy_to}。", size=14)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def filename_of(proposal: Proposal) -> str:
    return f"答复函-{proposal.year}-{proposal.get_kind_display()}-第{proposal.number}号.docx"
