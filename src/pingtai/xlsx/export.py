"""Exports of user-sourced text: formula injection neutralised (R-22, ASVS 5.0 1.2.10) and
characters that a spreadsheet file cannot hold escaped, so that no text a user typed can break
an export or run in the reader's spreadsheet program. Every .xlsx/.csv the system writes goes
through ``safe_text`` (these writers, the error-marked copy, ``pingtai evaluate``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# Tab and CR joined OWASP's list (CVE-2021-41270), so a tab must never be the escape itself.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
Cell = str | int | float | Decimal | date | datetime | None


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
    """A cell value fit for any spreadsheet file: text escaped and neutralised, numbers as is."""
    if isinstance(value, str):
        return neutralise(escape_unwritable(value))
    return value


def write_table_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet_name: str = "导出"
) -> bytes:
    """Write one sheet; every text cell is stored as a string, never as a formula."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name[:31])

    def line(values: Sequence[Cell]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, safe_text(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cells.append(cell)
        return cells

    ws.append(line(headers))
    for row in rows:
        ws.append(line(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_table_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with BOM so Excel opens the Chinese text correctly; CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(v) for v in headers])
    for row in rows:
        writer.writerow(["" if v is None else safe_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
