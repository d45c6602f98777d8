"""A python-docx document in the GB/T 9704 公文 layout: page, fonts, headings, table, 版记, page numbers."""

from __future__ import annotations

from typing import IO, Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from minyi.reports.render import LINE_PT, MARGINS_MM, PAGE_MM, SIZE_PT

RED = RGBColor(0xC0, 0x00, 0x00)


class GbtDocument:
    def __init__(self, fonts: dict[str, str], fallbacks: dict[str, str]) -> None:
        self.doc: Any = Document()
        self.fonts = fonts
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        section.header_distance, section.footer_distance = Mm(15), Mm(20)
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(SIZE_PT["body"])
        self._set_font(normal.element.get_or_add_rPr(), fonts["body"])
        self._page_numbers(section)
        self._alternate_fonts(fallbacks)

    # -- low level --------------------------------------------------------------------------
    @staticmethod
    def _set_font(rpr: Any, name: str) -> None:
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), name)

    def _paragraph(self, *, align: Any = None, indent: bool = False, line: float = LINE_PT) -> Any:
        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(line)
        fmt.space_before = fmt.space_after = Pt(0)
        if indent:
            fmt.first_line_indent = Pt(SIZE_PT["body"] * 2)  # two characters
        if align is not None:
            p.alignment = align
        return p

    def _run(self, p: Any, text: str, font: str, size: float, *, bold: bool = False, color: RGBColor | None = None) -> Any:
        run = p.add_run(text)
        run.font.size, run.bold = Pt(size), bold
        if color is not None:
            run.font.color.rgb = color
        self._set_font(run._element.get_or_add_rPr(), self.fonts[font])
        return run

    @staticmethod
    def _border(p: Any, *, sides: tuple[str, ...], color: str = "000000", size: int = 6) -> None:
        ppr = p._p.get_or_add_pPr()
        borders = OxmlElement("w:pBdr")
        for side in sides:
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), str(size))  # eighths of a point
            el.set(qn("w:space"), "1")
            el.set(qn("w:color"), color)
            borders.append(el)
        ppr.append(borders)

    def _page_numbers(self, section: Any) -> None:
        """Page numbers "— 1 —" centred in the footer (4号 半角宋体 in the standard; the body font here)."""
        p = section.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._run(p, "— ", "body", SIZE_PT["note"])
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        p._p.append(field)
        self._run(p, " —", "body", SIZE_PT["note"])

    def _alternate_fonts(self, fallbacks: dict[str, str]) -> None:
        """Declare each font with its alternate in word/fontTable.xml, so Word substitutes it when missing."""
        from lxml import etree

        part = next((p for p in self.doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml"), None)
        if part is None:
            return
        root = etree.fromstring(part.blob)
        known = {el.get(qn("w:name")) for el in root.findall(qn("w:font"))}
        for name in dict.fromkeys(self.fonts.values()):
            if name in known:
                continue
            font = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), name)
            if name in fallbacks:
                etree.SubElement(font, qn("w:altName")).set(qn("w:val"), fallbacks[name])
            etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
            etree.SubElement(font, qn("w:family")).set(qn("w:val"), "auto")
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    # -- blocks -----------------------------------------------------------------------------
    def masthead(self, name: str, number: str, issuers: list[str], date: str) -> None:
        """版头: the red masthead, the issue number, the issuer and date, and the red rule."""
        p = self._paragraph(align=WD_ALIGN_PARAGRAPH.CENTER, line=SIZE_PT["masthead"] * 1.3)
        self._run(p, name, "title", SIZE_PT["masthead"], color=RED)
        p = self._paragraph(align=WD_ALIGN_PARAGRAPH.CENTER)
        self._run(p, number, "body", SIZE_PT["body"])
        width = Mm(PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"])
        for i, issuer in enumerate(issuers):
            p = self._paragraph()
            self._run(p, issuer, "body", SIZE_PT["body"])
            if i == len(issuers) - 1:
                p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
                self._run(p, "\t" + date, "body", SIZE_PT["body"])
                self._border(p, sides=("bottom",), color="C00000", size=18)

    def title(self, text: str) -> None:
        p = self._paragraph(align=WD_ALIGN_PARAGRAPH.CENTER, line=SIZE_PT["title"] * 1.6)
        self._run(p, text, "title", SIZE_PT["title"])

    def heading1(self, text: str) -> None:
        p = self._paragraph(indent=True)
        self._run(p, text, "h1", SIZE_PT["body"])

    def heading2(self, text: str) -> None:
        p = self._paragraph(indent=True)
        self._run(p, text, "h2", SIZE_PT["body"])

    def body(self, text: str, *, indent: bool = True) -> None:
        p = self._paragraph(indent=indent)
        self._run(p, text, "body", SIZE_PT["body"])

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cells, values, font in [(table.rows[0].cells, header, "h1")] + [(table.add_row().cells, r, "body") for r in rows]:
            for cell, value in zip(cells, values, strict=True):
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self._run(p, value, font, SIZE_PT["table"])

    def record(self, lines: list[str], printer: str, date: str) -> None:
        """版记: 送/发 lines between rules, then the printing office and date."""
        self._paragraph()
        for i, line in enumerate(lines):
            p = self._paragraph(line=SIZE_PT["note"] * 1.8)
            p.paragraph_format.left_indent = Pt(SIZE_PT["note"])
            self._run(p, line, "body", SIZE_PT["note"])
            self._border(p, sides=("top",) if i == 0 else ("top", "bottom") if i == len(lines) - 1 else ())
        p = self._paragraph(line=SIZE_PT["note"] * 1.8)
        width = Mm(PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"])
        p.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
        self._run(p, f"{printer}\t{date}印发", "body", SIZE_PT["note"])
        self._border(p, sides=("bottom",))

    def save(self, out: IO[bytes]) -> None:
        self.doc.save(out)
