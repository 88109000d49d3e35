"""Exports of user-sourced text with formula injection neutralised (R-22, ASVS 5.0 1.2.10)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

# Tab and CR joined OWASP's list (CVE-2021-41270), so a tab must never be the escape itself.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
Cell = str | int | float | Decimal | date | datetime | None


def neutralise(value: Cell) -> Cell:
    """Prefix ' to text that a spreadsheet would read as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
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
            cell = WriteOnlyCell(ws, neutralise(value))
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
    writer.writerow([neutralise(v) for v in headers])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
