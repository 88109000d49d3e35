"""Exports: spreadsheets a person can read, sort, sum and print, with formula injection
neutralised (ASVS 5.0 1.2.10).

Every .xlsx the system hands out is written here (docs/notices.md, "Spreadsheets"):

- row 1 carries the table's title and, when the data are synthetic, the label 演示数据（合成）
  (data files that programs read back, such as the engine's result, start with the headers);
  row 2 the headers with their units; data from row 3. The two top rows are frozen and printed
  on every page; the sheet prints on A4, fitted to the page width.
- numbers are numbers with a number format (thousands separators, fixed decimals, percentages);
  a column declares its kind with ``Column``. Codes (统一社会信用代码, administrative codes) are
  text and stay text: a spreadsheet must never turn 331102 into a number or 0571 into 571.
- text cells are stored as strings, never as formulas, after ``safe_text``: formula injection
  neutralised (ASVS 5.0 1.2.10) and characters a spreadsheet file cannot hold escaped, so no
  text a user typed can break an export or run in the reader's spreadsheet program. The
  error-marked copy, the templates and ``pingtai evaluate`` use it too.
- provenance (method, hashes, time) goes into the document properties, not into cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from pingtai.core.dates import CHINA_TIME

# Tab and CR joined OWASP's list (CVE-2021-41270), so a tab must never be the escape itself.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
Cell = str | int | float | Decimal | dt.date | dt.datetime | None
Kind = Literal["text", "name", "code", "integer", "decimal", "percent", "date", "auto"]
DEMO_LABEL = "演示数据（合成）"
NUMERIC_KINDS = ("integer", "decimal", "percent")


# XML 1.0, and so .xlsx, cannot hold C0 control characters other than tab, LF and CR, nor
# U+FFFE/U+FFFF; lone surrogates cannot even be encoded as UTF-8.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_unwritable(text: str) -> str:
    """Control characters as visible escapes (``\\x07``): the text stays readable and whole."""
    return _UNWRITABLE.sub(_escape, text)


def neutralise(value: Cell) -> Cell:
    """Prefix ' to text that a spreadsheet would read as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def safe_text(value: Cell) -> Cell:
    """A cell value fit for any spreadsheet file: text escaped and neutralised, numbers as is.
    Every text cell of every export passes here."""
    if isinstance(value, str):
        return neutralise(escape_unwritable(value))
    return value


@dataclass(frozen=True)
class Column:
    """One column of an exported or printed table.

    ``kind``: ``text`` free text (may wrap when printed), ``name`` a name that never breaks,
    ``code`` an identifier kept as text, ``integer``/``decimal``/``percent`` numbers (a percent
    is a fraction, 0.164 → 16.4%), ``date``; ``auto`` (plain string headers) formats numbers
    by their type. ``signed`` prints a plus sign on changes. ``key`` columns are repeated in
    every part when a printed table is too wide for one page and is split.
    """

    header: str
    unit: str = ""
    kind: Kind = "auto"
    decimals: int = 2
    signed: bool = False
    key: bool = False

    @property
    def title(self) -> str:
        return f"{self.header}（{self.unit}）" if self.unit else self.header

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def number_format(self, value: Cell = None) -> str:
        if self.kind == "integer":
            return "#,##0"
        if self.kind in ("decimal", "percent"):
            places = "." + "0" * self.decimals if self.decimals else ""
            body = f"0{places}%" if self.kind == "percent" else f"#,##0{places}"
            return f"+{body};-{body};{body}" if self.signed else body
        if self.kind == "date" or isinstance(value, dt.date):
            return "yyyy-mm-dd"
        if self.kind == "auto" and isinstance(value, int | float | Decimal):
            if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
                return "#,##0"
            return "#,##0." + "0" * min(_places(value), 4)
        return "@"

    def text(self, value: Cell) -> str:
        """The cell as printed in a document: thousands separators, fixed decimals, units in
        the header, "—" for a missing value."""
        if value is None or value == "":
            return "—"
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            if isinstance(value, dt.date):
                return f"{value.year}年{value.month}月{value.day}日"
            return str(value)
        if self.kind == "integer":
            return f"{int(value):,}"
        if self.kind == "percent":
            return f"{_fixed(Decimal(str(value)) * 100, self.decimals, self.signed)}%"
        if self.kind == "decimal":
            return _fixed(Decimal(str(value)), self.decimals, self.signed)
        if isinstance(value, int):
            return f"{value:,}"
        return _fixed(Decimal(str(value)), min(_places(value), 4), False)


def _places(value: float | Decimal) -> int:
    exponent = Decimal(str(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _fixed(value: Decimal, places: int, signed: bool) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,}"
    # A change that rounds to nothing is 0.00, neither +0.00 nor -0.00.
    if rounded == 0:
        return text.lstrip("-")
    return f"+{text}" if signed and rounded > 0 else text


def as_columns(headers: Sequence[Column | str]) -> list[Column]:
    return [h if isinstance(h, Column) else Column(h) for h in headers]


@dataclass
class Sheet:
    """One table on one sheet. ``notes`` are printed below the data (e.g. 注：…)."""

    name: str
    columns: Sequence[Column | str]
    rows: Iterable[Sequence[Any]]  # Cell values; model fields arrive untyped
    title: str = ""
    notes: Sequence[str] = ()
    demo: bool = False
    # A data file that programs read back (the engine's result columns are a contract) has
    # its header in row 1; a table for people has its title above the header.
    title_row: bool = True


@dataclass(frozen=True)
class Properties:
    """Document properties: where provenance lives, out of the cells a person reads."""

    title: str = ""
    subject: str = ""
    creator: str = ""
    keywords: str = ""
    description: str = ""
    # A fixed time makes the same data give the same bytes (documents are reproducible).
    created: dt.datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


_TITLE_FONT = Font(bold=True, size=14)
_LABEL_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


# Column widths are taken from the first rows only, so that a 100,000-row export is not
# formatted twice.
WIDTH_SAMPLE = 2000


def _display_width(text: str) -> int:
    """Column width in Excel's units (one per Latin character, two per CJK character)."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _write_sheet(book: Workbook, name: str, sheet: Sheet) -> None:
    ws = book.create_sheet(name)
    columns = as_columns(sheet.columns)
    rows = [list(r) for r in sheet.rows]
    width = max(len(columns), 1)

    widths = [_display_width(c.title) for c in columns]
    for row in rows[:WIDTH_SAMPLE]:
        for i, value in enumerate(row[:width]):
            shown = columns[i].text(value) if i < len(columns) else str(value)
            widths[i] = max(widths[i], _display_width(shown))
    # Column widths, freeze panes and print set-up must be known before the first row is
    # written in write-only mode.
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 6), 60)
    header_row = 2 if sheet.title_row else 1
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"1:{header_row}"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if sum(widths) > 110 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if sheet.demo:
        ws.oddHeader.right.text = DEMO_LABEL

    if sheet.title_row:
        title = WriteOnlyCell(ws, safe_text(sheet.title or sheet.name))
        title.font = _TITLE_FONT
        first: list[WriteOnlyCell | None] = [title]
        if sheet.demo:
            label = WriteOnlyCell(ws, DEMO_LABEL)
            label.font = _LABEL_FONT
            first += [None] * (max(width - 1, 1) - 1) + [label]
        ws.append(first)

    headers = []
    for column in columns:
        cell = WriteOnlyCell(ws, safe_text(column.title))
        cell.data_type = "s"
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
        headers.append(cell)
    ws.append(headers)

    spare = Column("")  # cells beyond the declared columns (e.g. a trailing remark)
    for row in rows:
        ws.append(
            [_cell(ws, columns[i] if i < len(columns) else spare, v) for i, v in enumerate(row)]
        )
    if sheet.notes:
        ws.append([])
        for note in sheet.notes:
            ws.append([_text_cell(ws, note)])
    if rows:
        ws.auto_filter.ref = f"A2:{get_column_letter(width)}{len(rows) + 2}"


def _text_cell(ws, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, safe_text(value))
    cell.data_type = "s"
    return cell


def _cell(ws, column: Column, value: Cell) -> WriteOnlyCell:
    """Numbers stay numbers with the column's format; codes and text are strings."""
    if isinstance(value, bool):
        value = "是" if value else "否"
    if column.kind in ("text", "name", "code") and value is not None:
        cell = _text_cell(ws, str(value))
        cell.number_format = "@"
        return cell
    if isinstance(value, str):
        return _text_cell(ws, value)
    if isinstance(value, Decimal):
        # Excel holds doubles; a Decimal is written as its float with the declared format.
        value = float(value)
    cell = WriteOnlyCell(ws, value)
    if value is not None:
        cell.number_format = column.number_format(value)
    return cell


def write_workbook_xlsx(sheets: Sequence[Sheet], properties: Properties | None = None) -> bytes:
    """Several tables, one sheet each, with the same layout as ``write_table_xlsx``."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for sheet in sheets:
        name = _sheet_name(sheet.name, taken)
        taken.add(name)
        _write_sheet(book, name, sheet)
    props = properties or Properties()
    book.properties.title = props.title or None
    book.properties.subject = props.subject or None
    book.properties.creator = props.creator or "丽水市开发区（园区）整合提升平台"
    book.properties.keywords = props.keywords or None
    book.properties.description = props.description or None
    for name, value in props.extra.items():
        book.custom_doc_props.append(StringProperty(name=name, value=value))
    if props.created is not None:
        book.properties.created = book.properties.modified = props.created
    out = io.BytesIO()
    book.save(out)
    return out.getvalue() if props.created is None else stable_zip(out.getvalue(), props.created)


def write_table_xlsx(
    headers: Sequence[Column | str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "导出",
    title: str = "",
    notes: Sequence[str] = (),
    demo: bool = False,
    title_row: bool = True,
    properties: Properties | None = None,
) -> bytes:
    """One table on one sheet: title row (and 演示数据（合成） when ``demo``) unless
    ``title_row`` is off, header row with units, typed and formatted cells, frozen headers,
    A4 print set-up."""
    sheet = Sheet(
        sheet_name, headers, rows, title=title, notes=notes, demo=demo, title_row=title_row
    )
    return write_workbook_xlsx([sheet], properties)


def _sheet_name(title: str, taken: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "表"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite an Office package with one fixed time on every entry (zip stores write times)
    and in its core properties (the writers stamp the save time there), so that the same
    content gives the same bytes. ``stamp`` is Beijing wall-clock time: zip entries keep it
    as it is (they carry no zone), the core properties are UTC (W3CDTF ending in Z), so Word
    and Excel show the same hour in 文件 → 属性."""
    utc = stamp.replace(tzinfo=CHINA_TIME).astimezone(dt.UTC) if stamp.tzinfo is None else stamp
    iso = utc.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
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


def write_table_csv(headers: Sequence[Column | str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with BOM so Excel opens the Chinese text correctly; CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(c.title) for c in as_columns(headers)])
    for row in rows:
        writer.writerow(["" if v is None else safe_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
