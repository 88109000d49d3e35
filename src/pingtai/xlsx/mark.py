"""A copy of an upload with every bad cell filled red and commented with its message."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from pingtai.xlsx.export import safe_text
from pingtai.xlsx.guard import RefusedFile
from pingtai.xlsx.validate import Issue

_RED = PatternFill("solid", fgColor="FF9999")


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
        wb = load_workbook(io.BytesIO(data), rich_text=False)
        for (sheet, ref), found in by_cell.items():
            if sheet not in wb.sheetnames:
                continue
            cell = wb[sheet][ref]
            if isinstance(cell, MergedCell):
                continue
            cell.fill = _RED
            text = "\n".join(i.message + (f"（{i.hint}）" if i.hint else "") for i in found)
            cell.comment = Comment(text[:2000], "pingtai", width=320, height=120)
        for ws in wb.worksheets:
            _neutralise_formulas(ws)
        out = io.BytesIO()
        wb.save(out)
        wb.close()
    # The file already passed the guard and the reader; openpyxl is stricter about structure
    # (styles, attribute values) in ways that cannot be enumerated, and a failure here must not
    # hide the error list the uploader already has.
    except Exception as exc:
        raise RefusedFile(
            "无法在该文件上标出错误单元格，请按错误列表逐项修改。", reason="unmarkable"
        ) from exc
    return out.getvalue()
