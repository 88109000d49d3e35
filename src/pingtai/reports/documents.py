"""A notice as plain data, and its Word and Excel files; the PDF is in ``pdf.py``. No Django.

Word and PDF follow the same 公文 layout (GB/T 9704-2012, docs/notices.md): the issuing
office's mark in red above a red rule with the 文号, the title in 小标宋, body text in 仿宋 三号
on a grid of 22 lines, headings in 黑体, page numbers "— 1 —" alternating right and left, the
office and date of issue, and the 版记 at the foot of the last page. Both lay tables out with
the same plan (``layout.plan_table``). The body holds only what an official reads: method
names, hashes and times go into the document properties.

Regenerating the same notice gives byte-identical files: every time written into a file comes
from the notice itself.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from pingtai.core.dates import CHINA_TIME
from pingtai.reports import fonts, layout
from pingtai.xlsx.export import (
    Column,
    Properties,
    Sheet,
    escape_unwritable,
    stable_zip,
    write_workbook_xlsx,
)

RED = RGBColor(0xC0, 0x00, 0x00)
NUMERALS = "一二三四五六七八九十"
DRAFT_LABEL = "草稿（未印发，无文号）"


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]  # Cell values, formatted by their column
    note: str = ""

    def cells(self) -> list[list[str]]:
        """The table as printed: every value formatted by its column; names are text users
        typed, so control characters are escaped (no file format can hold them)."""
        return [
            [escape_unwritable(c.text(v)) for c, v in zip(self.columns, row, strict=True)]
            for row in self.rows
        ]


@dataclass(frozen=True)
class Chart:
    title: str
    png: bytes


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    issuer: str  # 发文机关: the red mark, the signature and the 版记
    title: str
    recipients: str  # 主送机关
    sections: list[Section]
    # The time the content refers to (the run's publication); written into the properties of
    # a draft so that a draft too regenerates byte for byte.
    as_of: dt.datetime
    number: str = ""  # 文号; empty while the notice is a draft
    date: dt.date | None = None  # 成文日期 = date of issue; none while a draft
    copy_to: str = ""  # 抄送机关 in the 版记
    annotation: str = ""  # 附注, e.g. the synthetic-data label
    demo: bool = False  # the tables hold synthetic data
    # Method, hashes, generation time, audit chain head: document properties only.
    provenance: dict[str, str] = field(default_factory=dict)
    kind: str = "通报"

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    @property
    def is_draft(self) -> bool:
        """Not yet issued: no date of issue. A result letter is issued (dated) without a 文号
        (docs/enterprise.md, "Result letters"), so the 文号 alone does not say it."""
        return self.date is None

    @property
    def head(self) -> str:
        """What stands where the 文号 goes: the 文号, the draft mark, or nothing (a letter)."""
        return self.number or (DRAFT_LABEL if self.is_draft else "")

    @property
    def stamp(self) -> dt.datetime:
        """The time written into every file, Beijing time: 09:00 on the day of issue, or the
        time of the run."""
        if self.date is not None:
            return dt.datetime.combine(self.date, dt.time(9, 0))
        as_of = self.as_of.astimezone(CHINA_TIME) if self.as_of.tzinfo else self.as_of
        return as_of.replace(microsecond=0, tzinfo=None)

    @property
    def date_text(self) -> str:
        if self.date is None:
            return "　　年　　月　　日"
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"

    def provenance_text(self) -> str:
        return "；".join(f"{k}：{v}" for k, v in self.provenance.items())

    def issued(self, number: str, date: dt.date, provenance: dict[str, str]) -> Notice:
        """The same notice with its 文号, date of issue and the provenance of the issue."""
        return replace(self, number=number, date=date, provenance={**self.provenance, **provenance})


# --- geometry shared by Word and PDF --------------------------------------------------------

MARK_SIZE = 26.0  # the office's mark; condensed when the name is longer than the 版心


@dataclass(frozen=True)
class Mark:
    size: float
    scale: float  # horizontal scale (1.0 = none), as printers condense long office names


def mark(issuer: str) -> Mark:
    width = fonts.metrics("title").width(issuer, MARK_SIZE)
    return Mark(MARK_SIZE, min(1.0, layout.PORTRAIT.text_width / width))


@dataclass(frozen=True)
class Signature:
    issuer_at: float  # left indent of the office's name, points
    date_at: float


def signature(issuer: str, date_text: str) -> Signature:
    """GB/T 9704 §7.3.5.2: office two characters in from the right margin, the date starting
    two characters right of the office's first character (or, when the date is the longer
    one, the date two characters in and the office moved left to keep the offset)."""
    body = fonts.metrics("body")
    em = layout.BODY_SIZE
    width = layout.PORTRAIT.text_width
    office = body.width(issuer, em)
    date = body.width(date_text, em)
    office_at = width - 2 * em - office
    if office_at + 2 * em + date > width - 2 * em:
        date_at = width - 2 * em - date
        office_at = date_at - 2 * em
    else:
        date_at = office_at + 2 * em
    return Signature(max(office_at, 0.0), max(date_at, 0.0))


def plan(table: Table) -> list[layout.TablePart]:
    body, heading = fonts.metrics("body"), fonts.metrics("heading")
    return layout.plan_table(
        table.title,
        table.columns,
        table.cells(),
        lambda text: body.width(text, 1.0),
        lambda text: heading.width(text, 1.0),
    )


def title_lines(title: str) -> list[str]:
    title_font = fonts.metrics("title")
    return layout.title_lines(
        title,
        lambda text: title_font.width(text, 1.0),
        layout.TITLE_SIZE,
        layout.PORTRAIT.text_width,
    )


def record_fits(notice: Notice) -> bool:
    """Whether 印发机关 and 印发日期 share one line of the 版记 (one character in from each
    side, at least two apart)."""
    body = fonts.metrics("body")
    used = body.width(notice.issuer + record_date(notice), layout.NUMERAL_SIZE)
    return used + 4 * layout.NUMERAL_SIZE <= layout.PORTRAIT.text_width


def align_of(column: Column) -> str:
    return "right" if column.numeric else "left" if column.kind == "text" else "center"


# --- Word -----------------------------------------------------------------------------------


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    # Chinese glyphs take the East Asian font, which python-docx does not set by itself.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _condense(run, scale: float) -> None:
    if scale < 0.999:
        w = OxmlElement("w:w")
        w.set(qn("w:val"), str(round(scale * 100)))
        run._element.get_or_add_rPr().append(w)


class _Writer:
    def __init__(self, notice: Notice) -> None:
        self.notice = notice
        self.names = fonts.word_names()
        self.doc = Document()
        self.pitch = Pt(layout.LINE_PITCH)
        self.landscape = False

    def paragraph(
        self,
        text: str,
        role: str = "body",
        size: float = layout.BODY_SIZE,
        *,
        bold: bool = False,
        align=None,
        color=None,
        indent: bool = False,
        left: float = 0.0,
        before: float = 0.0,
    ):
        para = self.doc.add_paragraph()
        fmt = para.paragraph_format
        if align is not None:
            para.alignment = align
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if left:
            fmt.left_indent = Pt(left)
        fmt.space_before, fmt.space_after = Pt(before), Pt(0)
        # Body text sits on the 22-line grid; larger type (the mark, the title) takes 1.5 lines.
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = self.pitch if size <= layout.BODY_SIZE else Pt(size * 1.5)
        _font(para.add_run(escape_unwritable(text)), self.names[role], size, bold, color)
        return para

    def page_numbers(self, section) -> None:
        """— 1 —: odd pages right, even pages left, one character from the edge."""
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            para = footer.paragraphs[0]
            para.alignment = align
            indent = Pt(layout.NUMERAL_SIZE)
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                para.paragraph_format.right_indent = indent
            else:
                para.paragraph_format.left_indent = indent
            _font(para.add_run("— "), self.names["numeral"], layout.NUMERAL_SIZE)
            field_run = para.add_run()
            _font(field_run, self.names["numeral"], layout.NUMERAL_SIZE)
            for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
                if kind:
                    char = OxmlElement("w:fldChar")
                    char.set(qn("w:fldCharType"), kind)
                    field_run._element.append(char)
                else:
                    instr = OxmlElement("w:instrText")
                    instr.set(qn("xml:space"), "preserve")
                    instr.text = text
                    field_run._element.append(instr)
            _font(para.add_run(" —"), self.names["numeral"], layout.NUMERAL_SIZE)

    def geometry(self, section, page: layout.Page) -> None:
        section.page_width, section.page_height = Pt(page.width), Pt(page.height)
        section.orientation = (
            WD_ORIENT.LANDSCAPE if page.width > page.height else WD_ORIENT.PORTRAIT
        )
        section.top_margin, section.bottom_margin = Pt(page.top), Pt(page.bottom)
        section.left_margin, section.right_margin = Pt(page.left), Pt(page.right)
        # The page number sits 7 mm below the 版心.
        section.footer_distance = Pt(page.bottom - 7 * layout.MM - layout.NUMERAL_SIZE)

    def red_rule(self, paragraph) -> None:
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (
            ("w:val", "single"),
            ("w:sz", "8"),
            ("w:space", "11"),
            ("w:color", "C00000"),
        ):
            bottom.set(qn(key), value)
        border.append(bottom)
        paragraph._p.get_or_add_pPr().append(border)

    def orient(self, landscape: bool) -> None:
        """Consecutive landscape tables share one landscape section."""
        if landscape != self.landscape:
            page = layout.LANDSCAPE if landscape else layout.PORTRAIT
            self.geometry(self.doc.add_section(WD_SECTION.NEW_PAGE), page)
            self.landscape = landscape

    def table(self, table: Table) -> None:
        for part in plan(table):
            self.orient(part.landscape)
            self.table_part(table, part)
        if table.note:
            self.paragraph(table.note, size=layout.NUMERAL_SIZE)

    def table_part(self, table: Table, part: layout.TablePart) -> None:
        title = self.paragraph(
            part.title, "heading", layout.NUMERAL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, before=6
        )
        title.paragraph_format.keep_with_next = True
        columns = [table.columns[i] for i in part.columns]
        grid = self.doc.add_table(rows=1, cols=len(columns))
        grid.style = "Table Grid"
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        grid.autofit = False
        tbl_pr = grid._tbl.tblPr
        fixed = OxmlElement("w:tblLayout")
        fixed.set(qn("w:type"), "fixed")
        tbl_pr.append(fixed)
        for col, width in zip(grid.columns, part.widths, strict=True):
            col.width = Pt(width)
        header = grid.rows[0]
        repeat = OxmlElement("w:tblHeader")
        header._tr.get_or_add_trPr().append(repeat)
        for cell, lines, width in zip(header.cells, part.headers, part.widths, strict=True):
            cell.width = Pt(width)
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for n, line in enumerate(lines):
                run = para.add_run(line)
                _font(run, self.names["heading"], part.size)
                if n < len(lines) - 1:
                    run.add_break()
            shading = OxmlElement("w:shd")
            shading.set(qn("w:fill"), "D9D9D9")
            cell._tc.get_or_add_tcPr().append(shading)
        aligns = {
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
        }
        printed = table.cells()
        for row in printed:
            cells = grid.add_row().cells
            for cell, i, width in zip(cells, part.columns, part.widths, strict=True):
                cell.width = Pt(width)
                para = cell.paragraphs[0]
                para.alignment = aligns[align_of(table.columns[i])]
                _font(para.add_run(row[i]), self.names["body"], part.size)

    def record(self) -> None:
        """版记: a table floating at the foot of the last page's 版心, thick rules at top and
        bottom, a thin one between 抄送 and 印发 (GB/T 9704 §7.4)."""
        notice = self.notice
        rows = ([f"抄送：{notice.copy_to}"] if notice.copy_to else []) + [None]
        grid = self.doc.add_table(rows=len(rows), cols=1)
        tbl_pr = grid._tbl.tblPr
        floating = OxmlElement("w:tblpPr")
        for key, value in (
            ("w:vertAnchor", "margin"),
            ("w:horzAnchor", "margin"),
            ("w:tblpYSpec", "bottom"),
            ("w:tblpXSpec", "center"),
        ):
            floating.set(qn(key), value)
        tbl_pr.append(floating)
        borders = OxmlElement("w:tblBorders")
        for edge, size in (("top", "8"), ("bottom", "8"), ("insideH", "6")):
            line = OxmlElement(f"w:{edge}")
            line.set(qn("w:val"), "single")
            line.set(qn("w:sz"), size)
            borders.append(line)
        tbl_pr.append(borders)
        grid.columns[0].width = Pt(layout.PORTRAIT.text_width)
        for row, text in zip(grid.rows, rows, strict=True):
            cell = row.cells[0]
            cell.width = Pt(layout.PORTRAIT.text_width)
            para = cell.paragraphs[0]
            para.paragraph_format.left_indent = Pt(layout.NUMERAL_SIZE)
            para.paragraph_format.right_indent = Pt(layout.NUMERAL_SIZE)
            if text is None:
                para.paragraph_format.tab_stops.add_tab_stop(
                    Pt(layout.PORTRAIT.text_width - 2 * layout.NUMERAL_SIZE - 12),
                    alignment=WD_TAB_ALIGNMENT.RIGHT,
                )
            line = text
            if text is None:
                gap = "\t" if record_fits(notice) else "\n\t"
                line = f"{notice.issuer}{gap}{record_date(notice)}"
            _font(para.add_run(line), self.names["body"], layout.NUMERAL_SIZE)
        # A body must end with a paragraph; without one some readers drop a floating table.
        end = self.doc.add_paragraph()
        end.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        end.paragraph_format.line_spacing = Pt(1)

    def properties(self) -> None:
        notice = self.notice
        props = self.doc.core_properties
        props.title, props.author, props.last_modified_by = (
            notice.title,
            notice.issuer,
            notice.issuer,
        )
        props.subject = notice.kind
        props.category = notice.kind
        props.identifier = notice.number
        props.keywords = "演示数据（合成）" if notice.demo else ""
        props.comments = ""  # python-docx's template says "generated by python-docx" there
        props.created = props.modified = notice.stamp
        props.revision = 1
        # Core properties hold 255 characters at most: the provenance goes into custom
        # properties (Word: 文件 → 属性 → 自定义), one per item.
        entries = "".join(
            f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" '
            f'name="{escape(name, {chr(34): "&quot;"})}"><vt:lpwstr>{escape(value)}</vt:lpwstr></property>'
            for pid, (name, value) in enumerate(notice.provenance.items(), start=2)
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f"{entries}</Properties>"
        )
        package = self.doc.part.package
        part = Part(
            PackURI("/docProps/custom.xml"), CT.OFC_CUSTOM_PROPERTIES, xml.encode(), package
        )
        package.relate_to(part, RT.CUSTOM_PROPERTIES)

    def render(self) -> bytes:
        notice, doc = self.notice, self.doc
        doc.settings.odd_and_even_pages_header_footer = True
        section = doc.sections[0]
        self.geometry(section, layout.PORTRAIT)
        self.page_numbers(section)

        the_mark = mark(notice.issuer)
        para = self.paragraph(
            notice.issuer,
            "title",
            the_mark.size,
            color=RED,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            before=MARK_DROP,
        )
        _condense(para.runs[0], the_mark.scale)
        number = self.paragraph(
            notice.head,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            before=layout.LINE_PITCH,
            color=None if notice.number else RGBColor(0x5A, 0x5A, 0x5A),
        )
        self.red_rule(number)
        title = self.paragraph(
            "",
            "title",
            layout.TITLE_SIZE,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            before=layout.LINE_PITCH,
        )
        lines = title_lines(notice.title)
        for n, line in enumerate(lines):
            run = title.add_run(line)
            _font(run, self.names["title"], layout.TITLE_SIZE)
            if n < len(lines) - 1:
                run.add_break()
        self.paragraph(f"{notice.recipients}：", before=layout.LINE_PITCH)
        # As in the PDF: a heading, a chart and a table's title stay with what follows them, and
        # the closing paragraph with the office and date (GB/T 9704 §7.3.5).
        closing = None
        for i, part in enumerate(notice.sections):
            heading = self.paragraph(f"{NUMERALS[i]}、{part.heading}", "heading", indent=True)
            heading.paragraph_format.keep_with_next = True
            for text in part.paragraphs:
                closing = self.paragraph(text, indent=True)
            if part.charts or part.tables:
                closing = None
            for chart in part.charts:
                doc.add_picture(io.BytesIO(chart.png), width=Pt(layout.PORTRAIT.text_width))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                doc.paragraphs[-1].paragraph_format.keep_with_next = True
                self.paragraph(
                    chart.title, "subheading", layout.NUMERAL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER
                )
            for table in part.tables:
                self.table(table)
            self.orient(False)
        if closing is not None:
            closing.paragraph_format.keep_with_next = True
        sign = signature(notice.issuer, notice.date_text)
        office = self.paragraph(notice.issuer, left=sign.issuer_at, before=layout.LINE_PITCH)
        office.paragraph_format.keep_with_next = True
        self.paragraph(notice.date_text, left=sign.date_at)
        if notice.annotation:
            self.paragraph(f"（{notice.annotation}）", indent=True, color=RED)
        self.record()
        self.properties()
        buffer = io.BytesIO()
        doc.save(buffer)
        return stable_zip(buffer.getvalue(), notice.stamp)


# The mark's top edge sits 35 mm below the top of the 版心 (GB/T 9704 §7.2.2).
MARK_DROP = 35 * layout.MM - MARK_SIZE


def record_date(notice: Notice) -> str:
    return f"{notice.date_text}印发"


def render_docx(notice: Notice) -> bytes:
    return _Writer(notice).render()


# --- Excel ----------------------------------------------------------------------------------


def render_xlsx(notice: Notice) -> bytes:
    """Every table of the notice on its own sheet, numbers as numbers; each title says what
    the file is: the 文号 once issued, 草稿 before (a forwarded sheet cannot pass for issued)."""
    mark = notice.number or ("草稿" if notice.is_draft else "")
    sheets = [
        Sheet(
            t.title,
            t.columns,
            t.rows,
            title=f"{t.title}（{mark}）" if mark else t.title,
            notes=[t.note] if t.note else [],
            demo=notice.demo,
        )
        for t in notice.tables
    ]
    return write_workbook_xlsx(
        sheets,
        Properties(
            title=notice.title,
            subject=notice.head or notice.kind,
            creator=notice.issuer,
            keywords="演示数据（合成）" if notice.demo else "",
            description=notice.provenance_text(),
            created=notice.stamp,
            extra=notice.provenance,
        ),
    )
