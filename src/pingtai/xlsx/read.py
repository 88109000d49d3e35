"""Read an uploaded template: guard → structure → marker → header → every row → outcome.

File-level problems raise ``RefusedFile``; everything located in a cell becomes an ``Issue`` in
``ImportOutcome.errors``. An outcome with errors never carries rows, so a partial result cannot
be mistaken for success; saving the rows in one transaction is the caller's job (docs/import.md, "Import pipeline").
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar
from xml.etree.ElementTree import ParseError

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from openpyxl.utils import column_index_from_string, get_column_letter

from pingtai.catalogue import Catalogue, Form, Period, default_catalogue, parse_period
from pingtai.catalogue.catalogue import FREQUENCY_LABELS, Value
from pingtai.core.refusal import Refused
from pingtai.xlsx.guard import (
    Limits,
    Package,
    RefusedFile,
    cell_text_too_long,
    inspect,
    text_too_long,
)
from pingtai.xlsx.marker import DATA_SHEET, HEADER_ROWS, INSTRUCTIONS_SHEET, MARKER_SHEET, Marker
from pingtai.xlsx.validate import (
    Confirmation,
    Issue,
    SlipChecker,
    cell_text,
    parse_column,
)

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CORRUPT = "文件已损坏，无法作为 Excel 工作簿读取。请重新保存或重新下载模板后再上传。"
_NO_UNIT = {"", "—", "-", "–", "/", "无"}


class Row(NamedTuple):
    """One accepted data row: sheet row number, key, parsed values and the raw cell texts."""

    number: int
    key: str
    values: Mapping[str, Value | None]
    raw: Mapping[str, str]


@dataclass(frozen=True)
class ImportOutcome:
    """The result of reading one upload. ``rows`` is empty whenever ``errors`` is not."""

    sha256: str
    marker: Marker
    form: Form
    period: Period
    rows: tuple[Row, ...]
    errors: tuple[Issue, ...]
    confirmations: tuple[Confirmation, ...]
    overridden_uscc: tuple[str, ...]
    rows_seen: int

    def __post_init__(self) -> None:
        if self.errors and self.rows:
            raise ValueError("an outcome with errors must not carry rows")

    @property
    def ok(self) -> bool:
        """True when the file has no errors (confirmations may still be pending)."""
        return not self.errors

    def unconfirmed(self, confirmed: Collection[str]) -> tuple[Confirmation, ...]:
        """The confirmations whose ids are not in ``confirmed``."""
        return tuple(c for c in self.confirmations if c.id not in confirmed)


V = TypeVar("V")


class _Record(Mapping[str, V]):
    """A read-only mapping of column codes to one row's values, sharing the code index."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: Sequence[V]) -> None:
        self._index, self._values = index, values

    def __getitem__(self, code: str) -> V:
        return self._values[self._index[code]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __eq__(self, other: object) -> bool:
        return dict(self) == other if isinstance(other, Mapping) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class _Sheet:
    name: str
    part: str


def _refuse(message: str, reason: str) -> RefusedFile:
    return RefusedFile(message, reason=reason)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _structure(package: Package) -> tuple[bool, list[_Sheet]]:
    """Return (uses the 1904 date system, sheets in order) from workbook.xml and its rels."""
    try:
        workbook = fromstring(package.parts["xl/workbook.xml"])
        rels_xml = package.parts.get("xl/_rels/workbook.xml.rels")
        rels = fromstring(rels_xml) if rels_xml is not None else None
    except (ParseError, DefusedXmlException, ValueError):
        raise _refuse(_CORRUPT, "corrupt") from None
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels:
            target = rel.get("Target", "")
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[rel.get("Id", "")] = path
    date1904 = False
    sheets: list[_Sheet] = []
    for element in workbook.iter():
        tag = _local(element.tag)
        if tag == "workbookPr":
            date1904 = element.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            rid = element.get(f"{{{_REL_NS}}}id", "")
            sheets.append(_Sheet(element.get("name", ""), targets.get(rid, "")))
    return date1904, sheets


_SHARED_CELL = re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*>")
_SHARED_REF = re.compile(
    rb"<(?:[\w.-]+:)?c\s[^>]*?\bt\s*=\s*[\"']s[\"'][^>]*>\s*"
    rb"(?:<(?:[\w.-]+:)?f\b[^>]*/>|<(?:[\w.-]+:)?f\b[^>]*>[^<]*</(?:[\w.-]+:)?f>)?\s*"
    rb"<(?:[\w.-]+:)?v(?:\s[^>]*)?>\s*([0-9]+)\s*<"
)
_INLINE_TEXT = re.compile(rb"<(?:[\w.-]+:)?t(?:\s[^>]*)?>([^<]*)<")


def _sheet_text(xml: bytes, shared_lengths: Sequence[int], limits: Limits) -> int:
    """Characters of text the parser will produce for this sheet, shared strings expanded.

    Inline text is counted in UTF-8 bytes (never fewer than its characters). A shared-string
    cell whose index cannot be read here counts as the longest string, so the bound holds
    however the XML is written.
    """
    total = 0
    for match in _INLINE_TEXT.finditer(xml):
        start, end = match.span(1)
        total += end - start
        if (
            end - start > limits.max_cell_chars
            and len(match[1].decode("utf-8", "replace")) > limits.max_cell_chars
        ):
            raise cell_text_too_long(limits)
    if shared_lengths:
        count = len(shared_lengths)
        found = 0
        for match in _SHARED_REF.finditer(xml):
            found += 1
            index = int(match[1])
            if index < count:
                total += shared_lengths[index]
            if total > limits.max_text_chars:
                raise text_too_long(limits)
        unread = sum(1 for _ in _SHARED_CELL.finditer(xml)) - found
        total += max(unread, 0) * max(shared_lengths)
    return total


def _scan_sheet(
    sheet: _Sheet, xml: bytes, limits: Limits, shared_lengths: Sequence[int] = ()
) -> tuple[list[str], int]:
    """Bound the sheet's extent and text from its raw XML before the parser allocates it.

    Return the references of formula cells that have no cached value, and the characters of
    text in the sheet. The checks are byte searches for rare patterns, so a normal
    100,000-row sheet costs well under a second.
    """
    opening = re.search(rb"<(\w+:)?sheetData[\s>/]", xml)
    if opening is None:
        return [], 0
    p = opening.group(1) or b""
    start = opening.start()
    end = xml.rfind(b"</" + p + b"sheetData>")
    end = len(xml) if end < start else end
    # Inside sheetData the only elements starting with "c" are cells, so two counts suffice
    # when every cell carries its reference first, as Excel, LibreOffice and openpyxl write.
    cells = xml.count(b"<" + p + b"c", start, end)
    if cells != xml.count(b"<" + p + b'c r="', start, end) and re.search(
        b"<" + re.escape(p) + rb'c(?=[\s>/])(?![^>]*\sr=")', xml
    ):
        raise _refuse(
            f"工作表“{sheet.name}”的单元格缺少位置信息（不是 Excel 保存的标准文件）。"
            "请用 Excel 打开后另存为 .xlsx 再上传。",
            "cell_without_reference",
        )
    too_wide = f"工作表“{sheet.name}”超过{limits.max_columns}列的上限。请删除多余的列后再上传。"
    last_letters = get_column_letter(limits.max_columns)
    n = len(last_letters)
    if re.search(rb' r="[A-Z]{%d,}[0-9]' % (n + 1), xml):
        raise _refuse(too_wide, "too_many_columns")
    if any(m > last_letters.encode() for m in re.findall(rb' r="([A-Z]{%d})[0-9]' % n, xml)):
        raise _refuse(too_wide, "too_many_columns")
    last_row = limits.max_rows + HEADER_ROWS
    rows = max(
        xml.count(b"<" + p + b"row", start, end),
        max(
            (int(m) for m in re.findall(rb' r="[A-Z]{0,3}([0-9]{%d,})"' % len(str(last_row)), xml)),
            default=0,
        ),
    )
    if rows > last_row:
        raise _refuse(
            f"工作表“{sheet.name}”有 {rows} 行，超过 {last_row} 行的上限（{limits.max_rows} 行数据）。"
            "请分多个文件上传或删除多余的行。",
            "too_many_rows",
        )
    # The parser allocates every cell of the rectangle from A1 to the last row and column.
    last = max(
        (int(m) for m in re.findall(rb"<(?:\w+:)?row\b[^>]*?\sr=\"([0-9]+)\"", xml)), default=0
    )
    width = _last_column(xml)
    if max(rows, last) * width > limits.max_cells:
        raise _refuse(
            f"工作表“{sheet.name}”的数据区（{max(rows, last)} 行 × {width} 列）超过 "
            f"{limits.max_cells:,} 个单元格的上限。请删除多余的行和列，或分多个文件上传。",
            "too_many_cells",
        )
    text = _sheet_text(xml, shared_lengths, limits)
    uncached: list[str] = []
    if xml.find(b"<" + p + b"f", start, end) < 0:
        return uncached, text
    cell_open, cell_close = b"<" + p + b"c ", b"</" + p + b"c>"
    formulas = re.compile(b"<" + re.escape(p) + rb"f[\s>/]")
    for formula in formulas.finditer(xml, start, end):
        cell_start = xml.rfind(cell_open, 0, formula.start())
        cell_end = xml.find(cell_close, formula.start())
        if cell_start < 0 or cell_end < 0:
            continue
        cell = xml[cell_start:cell_end]
        # openpyxl and other generators write <v/> or <v></v>: a formula with no computed value.
        if not re.search(b"<" + re.escape(p) + rb"v(?:\s[^>]*)?>[^<]", cell):
            ref = re.search(rb'\sr="([A-Z]{1,3}[0-9]{1,7})"', cell)
            if ref:
                uncached.append(ref[1].decode())
    return uncached, text


def _last_column(xml: bytes) -> int:
    """The number of the last column any cell reference names (0 for an empty sheet)."""
    for letters in (3, 2, 1):
        found = set(re.findall(rb' r="([A-Z]{%d})[0-9]' % letters, xml))
        if found:
            return max(column_index_from_string(c.decode()) for c in found)
    return 0


@contextmanager
def _parser_errors() -> Iterator[None]:
    """Turn any failure of the spreadsheet parser on a damaged file into a refusal."""
    try:
        yield
    except (python_calamine.CalamineError, ValueError, OverflowError):
        raise _refuse(_CORRUPT, "corrupt") from None
    except BaseException as exc:
        # A Rust panic inside the parser surfaces as pyo3's PanicException, a BaseException.
        if type(exc).__name__ == "PanicException":
            raise _refuse(_CORRUPT, "corrupt") from None
        raise


def _load(book: python_calamine.CalamineWorkbook, name: str) -> list[list[Any]]:
    with _parser_errors():
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _has_data(rows: Sequence[Sequence[object]]) -> bool:
    return any(v not in ("", None) for row in rows for v in row)


def _read_marker(
    book: python_calamine.CalamineWorkbook,
    names: Collection[str],
    catalogue: Catalogue,
    signing_key: bytes,
) -> tuple[Marker, Form, Period]:
    missing = (
        "文件中没有本系统模板的标记，无法确定报表、报告期和填报单位。"
        "请从系统下载模板填写，不要复制到新建的工作簿中。"
    )
    if MARKER_SHEET not in names:
        raise _refuse(missing, "marker_missing")
    values = {cell_text(r[0]): cell_text(r[1]) for r in _load(book, MARKER_SHEET) if len(r) >= 2}
    marker = Marker.from_mapping(values)
    if marker is None:
        raise _refuse(missing, "marker_missing")
    if not marker.verify(signing_key):
        raise _refuse(
            "模板标记校验失败（可能被修改或伪造）。请从系统重新下载模板填写。", "marker_forged"
        )
    if marker.form not in catalogue.forms:
        raise _refuse(
            f"模板对应的报表“{marker.form}”已不在指标目录中。请重新下载模板。", "marker_form"
        )
    form = catalogue.forms[marker.form]
    if marker.fingerprint != catalogue.fingerprint(form):
        raise _refuse(
            f"该模板由旧版指标目录（{marker.catalogue_version}）生成，“{form.name}”的列已调整。"
            "请重新下载模板，把数据粘贴到新模板后上传。",
            "marker_stale",
        )
    try:
        period = parse_period(marker.period)
    except Refused:
        raise _refuse("模板标记中的报告期无效。请从系统重新下载模板。", "marker_forged") from None
    if period.kind != form.frequency:
        raise _refuse(
            f"报表“{form.name}”为{FREQUENCY_LABELS[form.frequency]}报表，与标记的报告期 {period.label} 不符。",
            "marker_forged",
        )
    return marker, form, period


def _header_name(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split())


def _unit_text(value: object) -> str:
    text = _header_name(value)
    text = re.sub(r"^单位[:：]?", "", text)
    return text.strip("()[]【】")


def _check_header(
    rows: Sequence[Sequence[object]],
    catalogue: Catalogue,
    form: Form,
    blocked: Collection[tuple[int, int]],
) -> tuple[dict[str, int], Issue | None]:
    """Map column codes to sheet column indexes; one issue lists every header problem."""
    names = rows[0] if rows else []
    units = rows[1] if len(rows) > 1 else []
    wanted = {_header_name(ind.name): ind for ind in catalogue.columns(form)}
    found: dict[str, int] = {}
    problems: list[str] = []
    unknown, duplicated = [], []
    first_bad = ""
    for index, value in enumerate(names):
        name = _header_name(value)
        if not name:
            continue
        ind = wanted.get(name)
        if ind is None:
            unknown.append(f"{cell_text(value).strip()}（{get_column_letter(index + 1)}列）")
            first_bad = first_bad or f"{get_column_letter(index + 1)}1"
        elif ind.code in found:
            duplicated.append(ind.name)
            first_bad = first_bad or f"{get_column_letter(index + 1)}1"
        else:
            found[ind.code] = index
    # An optional column may be absent (a template from before it existed): read as empty.
    missing = [
        ind.name for ind in catalogue.columns(form) if ind.code not in found and ind.required
    ]
    if missing:
        problems.append("缺少列：" + "、".join(missing))
    if unknown:
        problems.append("多出模板以外的列：" + "、".join(unknown))
    if duplicated:
        problems.append("列重复：" + "、".join(duplicated))
    for code, index in found.items():
        ind = catalogue.indicators[code]
        actual = _unit_text(units[index] if index < len(units) else "")
        expected_ok = actual in _NO_UNIT if not ind.unit else actual == _unit_text(ind.unit)
        if not expected_ok:
            shown = actual or "空"
            problems.append(f"“{ind.name}”的单位应为“{ind.header_unit}”，实际为“{shown}”")
            first_bad = first_bad or f"{get_column_letter(index + 1)}2"
    merged_header = sorted(blocked)
    if merged_header:
        refs = "、".join(f"{get_column_letter(c + 1)}{r + 1}" for r, c in merged_header)
        problems.append(f"表头有合并单元格：{refs}")
        first_bad = (
            first_bad or f"{get_column_letter(merged_header[0][1] + 1)}{merged_header[0][0] + 1}"
        )
    if not problems:
        return found, None
    return found, Issue(
        sheet=DATA_SHEET,
        cell=first_bad or "A1",
        column="",
        value="",
        rule="header",
        message="表头与模板不一致：" + "；".join(problems),
        hint="请重新下载模板，把数据按列粘贴（只粘贴数值）到第3行起，不要改动第1–2行",
    )


def read_upload(
    data: bytes,
    catalogue: Catalogue | None = None,
    *,
    limits: Limits | None = None,
    expected_scope: str | None = None,
    expected_form: str | None = None,
    expected_period: str | None = None,
    previous: Mapping[str, Mapping[str, Decimal]] | None = None,
    last_year: Mapping[str, Mapping[str, Decimal]] | None = None,
    peers: Mapping[str, Sequence[Decimal]] | None = None,
    uscc_overrides: Collection[str] = (),
    signing_key: bytes = b"",
) -> ImportOutcome:
    """Validate an uploaded template completely; raise ``RefusedFile`` for file-level refusals.

    ``previous`` / ``last_year`` map row keys to {indicator code: value} of the previous period
    and the same period last year; ``peers`` maps indicator codes to comparable values (e.g.
    other platforms' figures); without it, enterprise-level columns are compared with their own
    median. ``uscc_overrides`` are legacy codes an official has allowed despite their check digit.
    """
    catalogue = catalogue or default_catalogue()
    limits = limits or Limits()
    digest = hashlib.sha256(data).hexdigest()
    package = inspect(data, limits)
    date1904, sheets = _structure(package)
    if date1904:
        raise _refuse(
            "工作簿使用“1904 日期系统”（旧版 Mac Excel 默认），日期会错位 1462 天。请在 Excel 选项 → 高级中"
            "取消勾选“使用 1904 日期系统”，或使用系统下载的模板后再上传。",
            "date1904",
        )
    scans: dict[str, list[str]] = {}
    text = 0
    for entry in sheets:
        xml = package.parts.get(entry.part)
        if xml is not None:
            scans[entry.name], chars = _scan_sheet(entry, xml, limits, package.shared_lengths)
            text += chars
            if text > limits.max_text_chars:
                raise text_too_long(limits)
    # The parser reads the rebuilt zip from a temporary file, so the decompressed parts are
    # not held twice; they are released before it allocates the sheet.
    with package.rebuilt_file() as rebuilt:
        del package
        with _parser_errors():
            book = python_calamine.CalamineWorkbook.from_path(rebuilt.name)
            metadata = {m.name: m for m in book.sheets_metadata}
        marker, form, period = _read_marker(book, metadata, catalogue, signing_key)
        if expected_form is not None and marker.form != expected_form:
            raise _refuse(f"该文件是“{form.name}”的模板，不是本次要求上传的报表。", "wrong_form")
        if expected_period is not None and marker.period != parse_period(expected_period).code:
            raise _refuse(f"该文件是 {period.label} 的模板，不是本次要求的报告期。", "wrong_period")
        if expected_scope is not None and marker.scope_code != expected_scope:
            raise _refuse(
                f"该文件是“{marker.scope_name}”（{marker.scope_code}）的模板，不属于您的填报范围。",
                "wrong_scope",
            )
        if DATA_SHEET not in metadata:
            raise _refuse(
                f"文件中没有“{DATA_SHEET}”工作表。请使用系统下载的模板。", "no_data_sheet"
            )
        for name, meta in metadata.items():
            if name in (MARKER_SHEET, INSTRUCTIONS_SHEET):
                continue
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            if name == DATA_SHEET:
                if hidden:
                    raise _refuse(
                        f"“{DATA_SHEET}”工作表被隐藏。请取消隐藏后再上传。", "hidden_sheet"
                    )
                continue
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet or not _has_data(
                _load(book, name)
            ):
                continue
            if hidden:
                raise _refuse(
                    f"隐藏的工作表“{name}”中有数据。系统只读取“{DATA_SHEET}”表，隐藏数据不会被导入，"
                    "请删除该工作表或把数据移到“数据”表后再上传。",
                    "hidden_sheet",
                )
            raise _refuse(
                f"工作表“{name}”中有数据，但系统只读取“{DATA_SHEET}”表。请删除该工作表或把数据移到“数据”表后再上传。",
                "extra_sheet",
            )
        with _parser_errors():
            sheet = book.get_sheet_by_name(DATA_SHEET)
            rows = sheet.to_python(skip_empty_area=False)
            merged = sheet.merged_cell_ranges or []
        del sheet, book  # release the parser's copy of the workbook before building Python rows
    return _validate(
        rows,
        merged,
        scans.get(DATA_SHEET, []),
        digest,
        marker,
        form,
        period,
        catalogue,
        limits,
        previous,
        last_year,
        peers,
        frozenset(uscc_overrides),
    )


def _reading_order(issue: Issue) -> tuple[int, int, str]:
    """Sort cell issues by row, then column; file-level issues first."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", issue.cell)
    if match is None:
        return (0, 0, "")
    return (int(match[2]), len(match[1]), match[1])


def _validate(
    rows: list[list[Any]],  # the parser's cell values; cleared once the columns hold them
    merged: Sequence[tuple[tuple[int, int], tuple[int, int]]],
    uncached: Sequence[str],
    digest: str,
    marker: Marker,
    form: Form,
    period: Period,
    catalogue: Catalogue,
    limits: Limits,
    previous: Mapping[str, Mapping[str, Decimal]] | None,
    last_year: Mapping[str, Mapping[str, Decimal]] | None,
    peers: Mapping[str, Sequence[Decimal]] | None,
    overrides: frozenset[str],
) -> ImportOutcome:
    """Check merges, formulas and the header, then parse column by column and check rows."""
    errors: list[Issue] = []

    def outcome(
        accepted: tuple[Row, ...] = (),
        confirmations: tuple[Confirmation, ...] = (),
        overridden: tuple[str, ...] = (),
        seen: int = 0,
    ) -> ImportOutcome:
        return ImportOutcome(
            digest,
            marker,
            form,
            period,
            () if errors else accepted,
            tuple(errors),
            confirmations,
            overridden,
            seen,
        )

    header_cells = set()
    for (r0, c0), (r1, c1) in merged:
        if r0 < HEADER_ROWS:
            header_cells.add((r0, c0))
        if r1 >= HEADER_ROWS:
            top = max(r0, HEADER_ROWS)
            errors.append(
                Issue(
                    DATA_SHEET,
                    f"{get_column_letter(c0 + 1)}{top + 1}",
                    "",
                    "",
                    "merged",
                    f"数据区有合并单元格 {get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}",
                    "请取消合并，每个单元格分别填写",
                )
            )
    columns, header_issue = _check_header(rows, catalogue, form, header_cells)
    if header_issue is not None:
        errors.insert(0, header_issue)
        return outcome()
    letters = {index: get_column_letter(index + 1) for index in columns.values()}
    names = catalogue.names()
    uncached_cells = set(uncached)
    for ref in uncached:
        letter = re.sub(r"\d", "", ref)
        column = next((names[c] for c, i in columns.items() if letters[i] == letter), "")
        errors.append(
            Issue(
                DATA_SHEET,
                ref,
                column,
                "",
                "formula",
                "单元格是公式且没有计算结果（文件不是由 Excel 保存的）",
                "请用 Excel 打开并保存，或“选择性粘贴 → 数值”后再上传",
            )
        )

    # Sheet row numbers of the non-blank data rows; blank rows are skipped but keep numbering.
    numbers = [i + 1 for i in range(HEADER_ROWS, len(rows)) if rows[i].count("") < len(rows[i])]
    if not numbers:
        errors.append(
            Issue(
                DATA_SHEET,
                f"A{HEADER_ROWS + 1}",
                "",
                "",
                "empty",
                "“数据”表没有任何数据行",
                "请从第3行起填写",
            )
        )
        return outcome()
    data = [rows[n - 1] for n in numbers]
    width = max(len(r) for r in data)
    for index in range(width):
        if index in letters:
            continue
        for row, number in zip(data, numbers, strict=True):
            if index < len(row) and row[index] != "":
                errors.append(
                    Issue(
                        DATA_SHEET,
                        f"{get_column_letter(index + 1)}{number}",
                        "",
                        cell_text(row[index]),
                        "no_header",
                        "该单元格所在列没有表头，数据不会被导入",
                        "请删除或移到对应的列",
                    )
                )
                break

    overridden: set[str] = set()
    codes = [code for code, _ in sorted(columns.items(), key=lambda item: item[1])]
    if all(len(row) == width for row in data):
        transposed = list(zip(*data, strict=True))
    else:
        transposed = [tuple(row[i] if i < len(row) else "" for row in data) for i in range(width)]
    # The parser's rows are no longer needed: the columns hold the cell values from here on.
    del data
    rows.clear()
    parsed_columns, raw_columns = [], []
    failed: list[set[int]] = []
    for code in codes:
        ind, index = catalogue.indicators[code], columns[code]
        letter = letters[index]
        cells, transposed[index] = transposed[index], ()
        # Formula cells without a value were reported above; do not report them again as empty.
        blocked = (
            {pos for pos, n in enumerate(numbers) if f"{letter}{n}" in uncached_cells}
            if uncached_cells
            else set()
        )
        parsed, raw, problems = parse_column(ind, cells, overrides, overridden)
        bad = set(blocked)
        for pos, problem in problems:
            if pos in blocked:
                continue
            bad.add(pos)
            errors.append(
                Issue(
                    DATA_SHEET,
                    f"{letter}{numbers[pos]}",
                    ind.name,
                    raw[pos],
                    problem.rule,
                    problem.message,
                    problem.hint,
                )
            )
        parsed_columns.append(parsed)
        raw_columns.append(raw)
        failed.append(bad)
        if len(errors) > limits.max_errors:
            break
    if len(errors) > limits.max_errors:
        errors.sort(key=_reading_order)
        del errors[limits.max_errors :]
        errors.append(
            Issue(
                DATA_SHEET,
                "",
                "",
                "",
                "too_many_errors",
                f"错误超过 {limits.max_errors} 条，其余未检查",
                "请先改正已列出的错误，再重新上传",
            )
        )
        return outcome(seen=len(numbers))

    position = {code: i for i, code in enumerate(codes)}
    column_map = dict(zip(codes, parsed_columns, strict=True))
    count = len(numbers)
    for rule in form.rules:
        if any(c not in position for c in rule.columns):
            continue  # an optional column the file leaves out
        comparison, condition = rule.comparison, rule.condition
        skip = set().union(*(failed[position[c]] for c in rule.columns))
        when = condition.outcomes(column_map, count) if condition is not None else None
        anchor = comparison.columns[0]
        for pos, holds in enumerate(comparison.outcomes(column_map, count)):
            if holds is not False or pos in skip or (when is not None and not when[pos]):
                continue
            shown = "，".join(f"{names[c]}为 {column_map[c][pos]}" for c in comparison.columns)
            errors.append(
                Issue(
                    DATA_SHEET,
                    f"{letters[columns[anchor]]}{numbers[pos]}",
                    names[anchor],
                    raw_columns[position[anchor]][pos],
                    "cross_field",
                    f"{rule.describe(names)}（{shown}）",
                    "请核对这几项数据",
                )
            )

    key_column = position[form.key]
    key_name = names[form.key]
    key_letter = letters[columns[form.key]]
    first_seen: dict[str, int] = {}
    for pos, key in enumerate(parsed_columns[key_column]):
        if not isinstance(key, str):
            continue
        number = numbers[pos]
        raw_key = raw_columns[key_column][pos]
        if key in first_seen:
            errors.append(
                Issue(
                    DATA_SHEET,
                    f"{key_letter}{number}",
                    key_name,
                    raw_key,
                    "duplicate",
                    f"与第{first_seen[key]}行重复",
                    f"每个{key_name}只能出现一次",
                )
            )
        else:
            first_seen[key] = number
        if form.level == "platform" and key != marker.scope_code:
            errors.append(
                Issue(
                    DATA_SHEET,
                    f"{key_letter}{number}",
                    key_name,
                    raw_key,
                    "scope",
                    f"本模板只能填报 {marker.scope_name}（{marker.scope_code}）",
                    "不要修改预填的平台代码",
                )
            )
    if errors:
        errors.sort(key=_reading_order)
        return outcome(seen=count)
    # One small mapping per row over a tuple, not two dicts: a dict per row per kind was the
    # largest single allocation of a 100,000-row import.
    code_index = {code: i for i, code in enumerate(codes)}
    accepted = [
        Row(number, values[key_column], _Record(code_index, values), _Record(code_index, raw))
        for number, values, raw in zip(
            numbers, zip(*parsed_columns, strict=True), zip(*raw_columns, strict=True), strict=True
        )
    ]

    checker = SlipChecker(catalogue.indicators, previous, last_year, peers)
    numeric = [code for code in codes if catalogue.indicators[code].numeric]
    if form.level != "platform" or peers is not None:
        checker.prepare(
            {
                code: [v for v in parsed_columns[position[code]] if isinstance(v, Decimal | int)]
                for code in numeric
            }
        )
    confirmations: list[Confirmation] = []
    keys = [row.key for row in accepted]
    for code in numeric:
        ind, letter = catalogue.indicators[code], letters[columns[code]]
        found = checker.check_column(code, keys, parsed_columns[position[code]])
        for pos, basis, reference, factor, message in found:
            flagged = accepted[pos]
            cell = f"{letter}{flagged.number}"
            flagged_value = flagged.values[code]
            assert flagged_value is not None  # check_column passes over empty cells
            value = Decimal(flagged_value)
            confirmations.append(
                Confirmation(
                    f"{cell}:{basis}",
                    DATA_SHEET,
                    cell,
                    ind.name,
                    flagged.key,
                    code,
                    value,
                    reference,
                    basis,
                    factor,
                    message,
                )
            )
    confirmations.sort(key=lambda c: (int(re.sub(r"[A-Z]", "", c.cell)), c.cell, c.basis))
    return outcome(tuple(accepted), tuple(confirmations), tuple(sorted(overridden)), len(numbers))
