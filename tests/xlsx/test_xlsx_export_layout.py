"""Exports are spreadsheets a person can use: numbers as numbers with formats, units in the
headers, codes as text, frozen and repeated headers, A4 print set-up, the demo label, document
properties, and the same bytes for the same data when a time is given."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl

from pingtai.xlsx import (
    DEMO_LABEL,
    Column,
    Properties,
    Sheet,
    write_table_xlsx,
    write_workbook_xlsx,
)

COLUMNS = [
    Column("统一社会信用代码", kind="code"),
    Column("行政区划代码", kind="code"),
    Column("企业名称", kind="name"),
    Column("实缴税金", unit="万元", kind="decimal"),
    Column("从业人员", unit="人", kind="integer"),
    Column("A类占比", kind="percent", decimals=1),
    Column("得分同比", unit="分", kind="decimal", signed=True),
    Column("截止日期", kind="date"),
    "备注",
]
ROWS = [
    [
        "91331100MA2A0B1C2D",
        "331102",
        "=丽水某某公司",
        Decimal("1234.5"),
        1520,
        0.164,
        12.09,
        dt.date(2025, 3, 31),
        "+1",
    ],
    ["913311000000000001", "331121", "青田某某公司", 7, 3, None, -0.5, None, None],
]


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_numbers_are_numbers_with_formats_and_codes_stay_text():
    ws = _sheet(write_table_xlsx(COLUMNS, ROWS, sheet_name="表", title="测试表"))
    assert [c.value for c in ws[2]] == [
        "统一社会信用代码",
        "行政区划代码",
        "企业名称",
        "实缴税金（万元）",
        "从业人员（人）",
        "A类占比",
        "得分同比（分）",
        "截止日期",
        "备注",
    ]
    a, b = ws[3], ws[4]
    assert (a[0].value, a[0].data_type, a[0].number_format) == ("91331100MA2A0B1C2D", "s", "@")
    assert (a[1].value, a[1].data_type) == ("331102", "s")  # not the number 331102
    assert a[2].value == "'=丽水某某公司" and all(c.data_type != "f" for c in a)
    assert (a[3].value, a[3].number_format) == (1234.5, "#,##0.00")
    assert (a[4].value, a[4].number_format) == (1520, "#,##0")
    assert (a[5].value, a[5].number_format) == (0.164, "0.0%")
    assert a[6].value == 12.09 and a[6].number_format.startswith("+#,##0.00;-#,##0.00")
    assert a[7].value == dt.datetime(2025, 3, 31) and a[7].number_format == "yyyy-mm-dd"
    assert a[8].value == "'+1"  # text that looks like a formula is still neutralised
    assert (b[3].value, b[3].data_type) == (7, "n") and b[5].value is None


def test_headers_are_frozen_and_printed_on_every_a4_page():
    ws = _sheet(write_table_xlsx(COLUMNS, ROWS * 50, sheet_name="表"))
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$1:$2"
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.auto_filter.ref == "A2:I102"
    assert all(ws.column_dimensions[col].width >= 6 for col in "ABCDEFGHI")


def test_demo_data_carry_the_label_on_screen_and_on_paper():
    demo = _sheet(write_table_xlsx(COLUMNS, ROWS, title="名单", demo=True))
    assert demo["A1"].value == "名单" and DEMO_LABEL in [c.value for c in demo[1]]
    assert demo.oddHeader.right.text == DEMO_LABEL
    real = _sheet(write_table_xlsx(COLUMNS, ROWS, title="名单"))
    assert DEMO_LABEL not in [c.value for row in real.iter_rows() for c in row]


def test_provenance_goes_into_the_properties_and_a_fixed_time_gives_the_same_bytes():
    props = Properties(
        title="通报",
        description="结果哈希：ab12",
        created=dt.datetime(2025, 1, 6, 9),
        extra={"评价方法": "m 第1版"},
    )
    sheets = [Sheet("表1", COLUMNS, ROWS, notes=["注：单位万元"]), Sheet("表1", ["a"], [[1]])]
    first = write_workbook_xlsx(sheets, props)
    sheets = [Sheet("表1", COLUMNS, ROWS, notes=["注：单位万元"]), Sheet("表1", ["a"], [[1]])]
    assert write_workbook_xlsx(sheets, props) == first
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["表1", "表12"]
    assert book.properties.description == "结果哈希：ab12"
    assert book.properties.created == dt.datetime(2025, 1, 6, 1)  # 09:00 Beijing time, in UTC
    assert {p.name: p.value for p in book.custom_doc_props.props} == {"评价方法": "m 第1版"}
    assert book.worksheets[0]["A6"].value == "注：单位万元"
    cells = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert not any(isinstance(v, str) and "ab12" in v for v in cells)


def test_documents_print_the_same_numbers_the_sheet_holds():
    tax, people, share, change, day = COLUMNS[3], COLUMNS[4], COLUMNS[5], COLUMNS[6], COLUMNS[7]
    assert tax.text(Decimal("1234.5")) == "1,234.50" and tax.text(None) == "—"
    assert people.text(1520) == "1,520" and share.text(0.164) == "16.4%"
    assert change.text(12.09) == "+12.09" and change.text(-0.5) == "-0.50"
    assert change.text(0.001) == "0.00" and change.text(-0.001) == "0.00"
    assert day.text(dt.date(2025, 3, 31)) == "2025年3月31日"
