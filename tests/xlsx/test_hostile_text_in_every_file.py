"""Text a user typed is safe in every file the system writes: control characters never break an
export (they are escaped), a formula is kept as text in every spreadsheet (the exports, the
error-marked copy of an upload, `pingtai evaluate` output), numbers stay numbers. The exports
the pages serve are tested with the database in tests/web/test_hostile_text_in_exports.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import polars as pl
import pytest

from pingtai.xlsx import Issue, mark_errors, write_table_csv, write_table_xlsx
from pingtai.xlsx.export import safe_text

HOSTILE = "任务\x00\x07\x1b[31m\x0b\x0c\ufffe标题"
FORMULA = '=HYPERLINK("http://evil.example","点击")'


def _sheet_values(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _formula_cells(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        cell.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_the_writers_escape_control_characters_and_keep_numbers():
    rows = [[HOSTILE, FORMULA, -12.5, Decimal("3.25"), "\ud800孤立代理", dt.date(2025, 1, 2)]]
    title, header, data = _sheet_values(
        write_table_xlsx(["名称\x01", "公式", "数", "金额", "代理", "日期"], rows, title="表\x02")
    )
    assert title[0] == "表\\x02" and header[0] == "名称\\x01"  # row 1 title, row 2 headers
    name, formula, number, money, surrogate, _ = data
    assert name == "任务\\x00\\x07\\x1b[31m\\x0b\\x0c\\ufffe标题"
    assert formula == "'" + FORMULA
    assert number == -12.5 and money == 3.25  # numbers stay numbers, even negative ones
    assert surrogate == "\\ud800孤立代理"
    text = write_table_csv(["名称"], rows).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][:3] == [name, "'" + FORMULA, "-12.5"]


def test_safe_text_leaves_ordinary_text_alone():
    assert safe_text("丽水经济技术开发区（一心）") == "丽水经济技术开发区（一心）"
    assert safe_text("第一行\n第二行\t列") == "第一行\n第二行\t列"
    assert safe_text(-3) == -3


def test_the_error_marked_copy_keeps_uploaded_formulas_as_text():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(["名称", "数值"])
    sheet.append([FORMULA, "=1+1"])
    sheet.append(["正常名称", 42])
    upload = io.BytesIO()
    book.save(upload)
    marked = mark_errors(
        upload.getvalue(),
        [Issue("数据", "B2", "数值", "=1+1", "numeric", "不是数字")],
    )
    assert _formula_cells(marked) == []
    values = _sheet_values(marked)
    assert values[1] == ["'" + FORMULA, "'=1+1"] and values[2] == ["正常名称", 42]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_pingtai_evaluate_writes_hostile_names_as_text(tmp_path, suffix):
    from pingtai.cli import main
    from pingtai.engine.synthetic import enterprises

    frame = enterprises(60, seed=7)
    assert "name" in frame.columns
    names = frame["name"].to_list()
    names[0], names[1] = FORMULA, "控制\x07字符"
    frame = frame.with_columns(pl.Series("name", names))
    source, out = tmp_path / "in.parquet", tmp_path / f"out{suffix}"
    frame.write_parquet(source)
    assert (
        main(["evaluate", "--method", "zj-mujun-huangyan-2022", str(source), "-o", str(out)]) == 0
    )
    if suffix == ".csv":
        written = set(pl.read_csv(out, infer_schema=False)["name"].to_list())
    else:
        assert _formula_cells(out.read_bytes()) == []
        header, *rows = _sheet_values(out.read_bytes())  # a data file: headers in row 1
        written = {row[header.index("name")] for row in rows}
        assert all(isinstance(row[header.index("score")], float | int | None) for row in rows)
    assert "'" + FORMULA in written and "控制\\x07字符" in written
    assert FORMULA not in written


def test_a_clean_result_csv_is_the_canonical_bytes(tmp_path):
    from pingtai.cli import main
    from pingtai.engine import evaluate, load_method
    from pingtai.engine.synthetic import enterprises

    frame = enterprises(40, seed=3)
    source, out = tmp_path / "in.parquet", tmp_path / "out.csv"
    frame.write_parquet(source)
    assert (
        main(["evaluate", "--method", "zj-mujun-huangyan-2022", str(source), "-o", str(out)]) == 0
    )
    expected = evaluate(load_method("zj-mujun-huangyan-2022"), frame).to_csv_bytes()
    assert out.read_bytes() == expected
