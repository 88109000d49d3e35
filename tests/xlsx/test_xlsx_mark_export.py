"""Marked error copies and formula-safe exports (docs/standards.md §5)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl

from pingtai.xlsx import (
    Issue,
    mark_errors,
    neutralise,
    read_upload,
    write_table_csv,
    write_table_xlsx,
)
from pingtai.xlsx.marker import DATA_SHEET


def test_marked_copy_highlights_and_comments_every_bad_cell(kit):
    rows = kit.enterprise_rows(3)
    rows[0]["land_area"] = "12万"
    rows[2]["scale"] = "大"
    data = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    outcome = read_upload(data)
    marked = mark_errors(data, outcome.errors)
    ws = openpyxl.load_workbook(io.BytesIO(marked))[DATA_SHEET]
    for cell in ("F3", "E5"):
        assert ws[cell].fill.fgColor.rgb.endswith("FF9999")
        assert ws[cell].comment is not None
    assert "单位或文字“万”" in ws["F3"].comment.text
    assert ws["A3"].comment is None
    # The marked copy is still a valid template: fix the cells and it imports.
    wb = openpyxl.load_workbook(io.BytesIO(marked))
    wb[DATA_SHEET]["F3"], wb[DATA_SHEET]["E5"] = 12, "规下"
    out = io.BytesIO()
    wb.save(out)
    assert read_upload(out.getvalue()).ok


def test_issues_without_a_cell_or_on_unknown_sheets_are_skipped(kit):
    data = kit.enterprise_upload()
    issues = [Issue("", "", "", "", "x", "整体问题"), Issue("别的表", "A1", "", "", "x", "m")]
    assert (
        openpyxl.load_workbook(io.BytesIO(mark_errors(data, issues)))[DATA_SHEET]["A1"].comment
        is None
    )


def test_neutralise():
    assert neutralise("=1+2") == "'=1+2"
    for text in ("+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0x"):
        assert neutralise(text) == "'" + text
    assert neutralise("丽水") == "丽水"
    assert neutralise(-5) == -5 and neutralise(Decimal("-1.5")) == Decimal("-1.5")
    assert neutralise(None) is None


HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]


def test_xlsx_export_contains_no_formulas_and_numbers_stay_numbers(kit):
    # Round trip: a name accepted on import is neutralised on export.
    rows = kit.enterprise_rows(1)
    rows[0]["enterprise_name"] = HOSTILE[0]
    data = kit.fill(kit.template_bytes("platform_enterprises", "2025", prefill=rows), [])
    name = read_upload(data).rows[0].values["enterprise_name"]
    assert name == HOSTILE[0]
    exported = write_table_xlsx(
        ["企业名称", "用地面积"], [[name, Decimal("12.5")]] + [[h, -3] for h in HOSTILE[1:]]
    )
    ws = openpyxl.load_workbook(io.BytesIO(exported)).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    # Row 1 is the title, row 2 the headers.
    assert ws["A3"].value == "'" + HOSTILE[0]
    assert ws["B3"].value == 12.5 and ws["B3"].data_type == "n"
    assert ws["B4"].value == -3


def test_csv_export_has_bom_and_neutralised_cells():
    data = write_table_csv(
        ["企业名称", "税金"], [[h, Decimal("1.5")] for h in HOSTILE] + [["丽水", None]]
    )
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["企业名称", "税金"]
    assert all(r[0].startswith("'") for r in rows[1:-1])
    assert rows[1][1] == "1.5" and rows[-1] == ["丽水", ""]


def test_large_files_are_marked_row_by_row_and_stay_uploadable(kit, monkeypatch):
    """Past the full-copy size the copy is streamed: bad cells red with their message,
    formulas kept as text, the hidden template marker intact so the fixed copy imports."""
    import pingtai.xlsx.mark as mark

    monkeypatch.setattr(mark, "FULL_COPY_CELLS", 0)
    rows = kit.enterprise_rows(3)
    rows[0]["land_area"] = "12万"
    rows[1]["enterprise_name"] = '=HYPERLINK("http://x","点我")'
    data = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    outcome = read_upload(data)
    issues = [*outcome.errors, Issue(DATA_SHEET, "H9", "", "", "x", "空行之后的单元格")]
    marked = mark_errors(data, issues)
    wb = openpyxl.load_workbook(io.BytesIO(marked))
    ws = wb[DATA_SHEET]
    assert ws["F3"].fill.fgColor.rgb.endswith("FF9999")
    assert "单位或文字“万”" in ws["F3"].comment.text
    assert ws["H9"].comment is not None and ws["A3"].comment is None
    assert ws["B4"].data_type == "s" and ws["B4"].value.startswith("'=")
    assert wb["_pingtai"].sheet_state == "veryHidden"
    ws["F3"], ws["H9"] = 12, None
    ws["H9"].comment = None
    out = io.BytesIO()
    wb.save(out)
    again = read_upload(out.getvalue())
    assert [e.rule for e in again.errors] == [], [str(e) for e in again.errors]
