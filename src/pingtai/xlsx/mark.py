"""A copy of an upload with every bad cell filled red and commented with its message."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from pingtai.xlsx.guard import RefusedFile
from pingtai.xlsx.validate import Issue

_RED = PatternFill("solid", fgColor="FF9999")


def mark_errors(data: bytes, issues: Iterable[Issue]) -> bytes:
    """Return ``data`` rewritten with each issue's cell marked; issues without a cell are skipped.

    Call only with bytes that passed the guard (``read_upload`` did not raise ``RefusedFile``).
    """
    by_cell: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for issue in issues:
        if issue.sheet and issue.cell:
            by_cell[(issue.sheet, issue.cell)].append(issue)
    try:
        wb = load_workbook(io.BytesIO(data), rich_text=False)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, ParseError,
            zipfile.BadZipFile) as exc:
        # The values were readable but openpyxl rejects the file's structure.
        raise RefusedFile("无法在该文件上标出错误单元格，请按错误列表逐项修改。",
                          reason="unmarkable") from exc
    try:
        for (sheet, ref), found in by_cell.items():
            if sheet not in wb.sheetnames:
                continue
            cell = wb[sheet][ref]
            if not hasattr(cell, "fill") or type(cell).__name__ == "MergedCell":
                continue
            cell.fill = _RED
            text = "\n".join(f"{i.message}" + (f"（{i.hint}）" if i.hint else "") for i in found)
            cell.comment = Comment(text[:2000], "pingtai", width=320, height=120)
        out = io.BytesIO()
        wb.save(out)
    finally:
        wb.close()
    return out.getvalue()
