"""A copy of an upload with every bad cell filled red and commented with its message."""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import coordinate_to_tuple
from openpyxl.worksheet.worksheet import Worksheet

from pingtai.xlsx.export import safe_text
from pingtai.xlsx.guard import RefusedFile
from pingtai.xlsx.validate import Issue

_RED = PatternFill("solid", fgColor="FF9999")
# Up to this many cells the copy keeps everything openpyxl can round-trip (drop-downs, widths,
# protection); beyond it, rows are streamed so time and memory grow with one row, not the sheet.
FULL_COPY_CELLS = 60_000


def _neutralise_formulas(ws: Worksheet) -> None:
    """The copy goes back to people who open it in a spreadsheet program: a formula the
    uploader put in (=HYPERLINK, DDE …) is kept as visible text, numbers stay as they are."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell) or cell.data_type != "f":
                continue
            formula = cell.value if isinstance(cell.value, str) else getattr(cell.value, "text", "")
            cell.value = safe_text(str(formula or ""))
            cell.data_type = "s"


def _comment(found: list[Issue]) -> Comment:
    text = "\n".join(i.message + (f"（{i.hint}）" if i.hint else "") for i in found)
    return Comment(text[:2000], "pingtai", width=320, height=120)


def _full_copy(data: bytes, by_cell: dict[tuple[str, str], list[Issue]]) -> bytes:
    wb = load_workbook(io.BytesIO(data), rich_text=False)
    for (sheet, ref), found in by_cell.items():
        if sheet not in wb.sheetnames:
            continue
        cell = wb[sheet][ref]
        if isinstance(cell, MergedCell):
            continue
        cell.fill = _RED
        cell.comment = _comment(found)
    for ws in wb.worksheets:
        _neutralise_formulas(ws)
    out = io.BytesIO()
    wb.save(out)
    wb.close()
    return out.getvalue()


def _streamed_copy(data: bytes, by_cell: dict[tuple[str, str], list[Issue]]) -> bytes:
    """Copy row by row: values and sheet visibility (the hidden template marker must survive
    so the corrected copy can be uploaded again), bad cells marked; formulas kept as text."""
    source = load_workbook(io.BytesIO(data), read_only=True, rich_text=False)
    target = Workbook(write_only=True)
    bad: dict[str, dict[int, dict[int, list[Issue]]]] = defaultdict(lambda: defaultdict(dict))
    for (sheet, ref), found in by_cell.items():
        row, column = coordinate_to_tuple(ref)
        bad[sheet][row][column] = found
    for ws in source.worksheets:
        out = target.create_sheet(ws.title)
        out.sheet_state = ws.sheet_state
        ws.reset_dimensions()  # read every row the file has, whatever <dimension> claims
        marks = bad.get(ws.title, {})
        number = 0
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            values = [safe_text(v) if isinstance(v, str) and v.startswith("=") else v for v in row]
            wanted = marks.get(number)
            if wanted:
                values += [None] * (max(wanted) - len(values))
                for column, found in wanted.items():
                    cell = WriteOnlyCell(out, values[column - 1])
                    cell.fill = _RED
                    cell.comment = _comment(found)
                    values[column - 1] = cell
            out.append(values)
        for row_number in sorted(r for r in marks if r > number):  # cells past the last row
            found_row = marks[row_number]
            cells = [WriteOnlyCell(out, None) for _ in range(max(found_row))]
            for column, found in found_row.items():
                cells[column - 1].fill = _RED
                cells[column - 1].comment = _comment(found)
            while number < row_number - 1:
                out.append([])
                number += 1
            out.append(cells)
            number += 1
    source.close()
    result = io.BytesIO()
    target.save(result)
    return result.getvalue()


def _cell_count(data: bytes) -> int:
    """Cells across the workbook's sheets, counted on the raw XML (no parser)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(
            len(re.findall(rb"<(?:\w+:)?c[\s>/]", archive.read(name)))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def mark_errors(data: bytes, issues: Iterable[Issue]) -> bytes:
    """Return ``data`` rewritten with each issue's cell marked; issues without a cell are skipped.

    Call only with bytes that passed the guard (``read_upload`` did not raise ``RefusedFile``).
    Raise ``RefusedFile`` (reason ``unmarkable``) when openpyxl cannot round-trip the file.
    """
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.sheet and issue.cell:
            by_cell[(issue.sheet, issue.cell)].append(issue)
    try:
        if _cell_count(data) <= FULL_COPY_CELLS:
            return _full_copy(data, by_cell)
        return _streamed_copy(data, by_cell)
    # The file already passed the guard and the reader; openpyxl is stricter about structure
    # (styles, attribute values) in ways that cannot be enumerated, and a failure here must not
    # hide the error list the uploader already has.
    except Exception as exc:
        raise RefusedFile(
            "无法在该文件上标出错误单元格，请按错误列表逐项修改。", reason="unmarkable"
        ) from exc
