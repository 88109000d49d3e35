"""A notice as plain data, rendered to .docx (python-docx), PDF (LibreOffice from the .docx,
so both show the same page) and .xlsx. No Django here.

Layout follows the customary 党政机关公文 look (GB/T 9704 in spirit): the issuing office in
red above a red rule, the 文号, a centred title in 小标宋/黑体, body in 仿宋 三号-ish, sections
numbered 一、二、三. Regenerating the same notice gives byte-identical files: every timestamp
inside the documents comes from the notice itself.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pingtai.xlsx import escape_unwritable, write_table_xlsx

RED = RGBColor(0xC0, 0x00, 0x00)
BODY_FONT, HEADING_FONT, TITLE_FONT = "仿宋", "黑体", "方正小标宋简体"
# Fonts the LibreOffice renderer falls back to when the 公文 fonts are not installed.
FALLBACK_SERIF, FALLBACK_SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[object]]
    note: str = ""


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
    issuer: str  # 发文机关, printed in red
    number: str  # 文号, e.g. 丽开整办〔2025〕3号
    title: str
    date: dt.date
    recipients: str  # 主送
    sections: list[Section]
    footer_note: str = ""  # e.g. the synthetic-data label

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    # Chinese glyphs take the East Asian font, which python-docx does not set by itself.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _run(paragraph, text: str):
    """Names in a notice are data users typed; Word's XML cannot hold control characters."""
    return paragraph.add_run(escape_unwritable(text))


def _paragraph(
    doc,
    text: str,
    font: str,
    size: float,
    *,
    bold=False,
    align=None,
    color=None,
    indent: bool = False,
    space_after: float = 0,
):
    para = doc.add_paragraph()
    if align is not None:
        para.alignment = align
    if indent:
        para.paragraph_format.first_line_indent = Pt(size * 2)
    para.paragraph_format.space_after = Pt(space_after)
    para.paragraph_format.line_spacing = Pt(size * 1.75)
    _font(_run(para, text), font, size, bold, color)
    return para


def _red_rule(paragraph) -> None:
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", "18"),
        ("w:space", "4"),
        ("w:color", "C00000"),
    ):
        bottom.set(qn(key), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().append(border)


def _table(doc, table: Table) -> None:
    _paragraph(doc, table.title, HEADING_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=4)
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, table.headers, strict=True):
        cell.text = ""
        _font(_run(cell.paragraphs[0], str(text)), HEADING_FONT, 10.5, bold=True)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:fill"), "D9D9D9")
        cell._tc.get_or_add_tcPr().append(shading)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = ""
            _font(_run(cell.paragraphs[0], "" if value is None else str(value)), BODY_FONT, 10.5)
    if table.note:
        _paragraph(doc, table.note, BODY_FONT, 10.5, space_after=6)


NUMERALS = "一二三四五六七八九十"


def render_docx(notice: Notice) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    issuer = _paragraph(
        doc,
        notice.issuer,
        TITLE_FONT,
        22,
        bold=True,
        color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=6,
    )
    issuer.paragraph_format.line_spacing = Pt(36)
    number = _paragraph(
        doc, notice.number, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12
    )
    _red_rule(number)
    _paragraph(doc, notice.title, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    _paragraph(doc, f"{notice.recipients}：", BODY_FONT, 16)
    for i, part in enumerate(notice.sections):
        _paragraph(doc, f"{NUMERALS[i]}、{part.heading}", HEADING_FONT, 16, indent=True)
        for text in part.paragraphs:
            _paragraph(doc, text, BODY_FONT, 16, indent=True)
        for chart in part.charts:
            doc.add_picture(io.BytesIO(chart.png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _paragraph(
                doc, chart.title, BODY_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6
            )
        for table in part.tables:
            _table(doc, table)
    _paragraph(doc, "", BODY_FONT, 16)
    _paragraph(doc, notice.issuer, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(
        doc,
        f"{notice.date.year}年{notice.date.month}月{notice.date.day}日",
        BODY_FONT,
        16,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )
    if notice.footer_note:
        _paragraph(doc, notice.footer_note, BODY_FONT, 10.5, color=RED)
    stamp = dt.datetime.combine(notice.date, dt.time(9, 0))
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = notice.title, notice.issuer, notice.issuer
    props.created = props.modified = stamp
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return _fixed_zip(buffer.getvalue(), stamp)


_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _fixed_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite the package with one fixed timestamp on every entry (zip stores write times)
    and in the document properties (openpyxl stamps the save time there)."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>" + iso + rb"\g<3>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()


class PdfUnavailable(RuntimeError):
    pass


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdf(docx: bytes, timeout: int = 120) -> bytes:
    """Convert the .docx with LibreOffice (headless) so that PDF and Word show the same page."""
    binary = soffice()
    if binary is None:
        raise PdfUnavailable(
            "生成 PDF 需要安装 LibreOffice（Debian 软件包 libreoffice-writer-nogui）"
        )
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "notice.docx"
        source.write_bytes(docx)
        profile = Path(work) / "profile"
        result = subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                work,
                str(source),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        target = Path(work) / "notice.pdf"
        if result.returncode != 0 or not target.exists():
            raise PdfUnavailable(
                f"LibreOffice 转换失败：{result.stderr.decode(errors='replace')[-500:]}"
            )
        return target.read_bytes()


def render_xlsx(notice: Notice) -> bytes:
    """Every table of the notice in one workbook, one sheet per table."""
    import openpyxl

    sheets = [write_table_xlsx(t.headers, t.rows, sheet_name=t.title[:31]) for t in notice.tables]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table, data in zip(notice.tables, sheets, strict=True):
        source = openpyxl.load_workbook(io.BytesIO(data)).active
        target = book.create_sheet(_sheet_name(table.title, book.sheetnames))
        for row in source.iter_rows(values_only=True):
            target.append(list(row))
    book.properties.created = book.properties.modified = dt.datetime.combine(
        notice.date, dt.time(9, 0)
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue(), dt.datetime.combine(notice.date, dt.time(9, 0)))


def _sheet_name(title: str, taken: list[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "表"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name
