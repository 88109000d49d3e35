"""Generate the Excel template for one form, period and scope (platform or department)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pingtai.catalogue import Catalogue, Form, Indicator, Period, default_catalogue, parse_period
from pingtai.catalogue.catalogue import DTYPE_LABELS, FREQUENCY_LABELS, LEVEL_LABELS
from pingtai.core.dates import CHINA_TIME, day_text
from pingtai.xlsx.export import escape_unwritable, safe_text
from pingtai.xlsx.guard import Limits
from pingtai.xlsx.marker import DATA_SHEET, HEADER_ROWS, INSTRUCTIONS_SHEET, MARKER_SHEET, Marker

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_UNIT_FILL = PatternFill("solid", fgColor="F2F2F2")
_PREFILLED_FILL = PatternFill("solid", fgColor="FFF2CC")
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="top")

GENERAL_NOTES = (
    "只在“数据”表第3行起填写，每行一条记录；不要修改第1–2行表头，不要增删或调换列，不要合并单元格。",
    (
        "金额单位一律为万元，面积为亩，其他单位见第2行；数值单元格只填数字，"
        "不要带“万”“亿”“元”“亩”等单位文字，不要使用公式（如已使用，请“选择性粘贴 → 数值”）。"
    ),
    "代码（统一社会信用代码、行业代码、行政区划代码）按文本填写，保留前导零；系统会自动去除全角字符和空格。",
    "黄色底色的单元格为系统预填内容，请核对但不要修改代码。",
    "不要在其他工作表或隐藏工作表中填写数据；不要另存为 .xls 或 CSV，不要设置密码，不要启用宏。",
    (
        "上传后系统逐格检查，所有错误一次列出（工作表、单元格、填写值、规则和修改建议），"
        "并可下载标出错误单元格的文件；有任何错误时整份文件都不会入库。"
    ),
    "与上期或同类单位相比疑似单位错误（约×10000、×15、×10）或变化过大的数值，需要上传人确认后才能提交。",
)


def _title(ws: Worksheet, row: int, text: str, size: int = 12) -> None:
    ws.cell(row, 1, text).font = Font(bold=True, size=size)


def _write_instructions(
    ws: Worksheet,
    catalogue: Catalogue,
    form: Form,
    period: Period,
    marker: Marker,
    deadline: date | None,
) -> None:
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 12
    ws.column_dimensions["E"].width = 8
    ws.column_dimensions["F"].width = 30
    ws.column_dimensions["G"].width = 60
    _title(ws, 1, f"{form.name}填表说明", 14)
    # In words only: the codes the upload is checked against are in the hidden marker sheet.
    generated = datetime.fromisoformat(marker.generated_at).astimezone(CHINA_TIME)
    facts = [
        ("报告期", f"{period.label}（{day_text(period.start)}至{day_text(period.end)}）"),
        ("填报单位", marker.scope_name),
        ("数据来源", catalogue.sources[form.source]),
        (
            "报表",
            f"{form.name}，{FREQUENCY_LABELS[form.frequency]}报表，{LEVEL_LABELS[form.level]}",
        ),
    ]
    if deadline is not None:
        facts.append(("截止日期", day_text(deadline)))
    made = f"{day_text(generated.date())} {generated:%H:%M}"
    facts.append(("模板生成", f"{made}，指标目录版本 {marker.catalogue_version}"))
    row = 3
    for label, text in facts:
        ws.cell(row, 1, label).font = Font(bold=True)
        ws.cell(row, 2, safe_text(text))  # names from the registry: text, never a formula
        row += 1
    row += 1
    _title(ws, row, "填写要求")
    for i, note in enumerate(GENERAL_NOTES, 1):
        row += 1
        ws.cell(row, 1, f"{i}.")
        ws.cell(row, 2, note)
    row += 2
    _title(ws, row, "各列说明")
    row += 1
    for col, head in enumerate(
        ("列", "指标名称", "单位", "类型", "必填", "取值要求", "指标解释"), 1
    ):
        cell = ws.cell(row, col, head)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for index, ind in enumerate(catalogue.columns(form), 1):
        row += 1
        values = (
            get_column_letter(index),
            ind.name,
            ind.unit or "—",
            DTYPE_LABELS[ind.dtype],
            "是" if ind.required else "否",
            ind.range_text(),
            ind.definition,
        )
        for col, value in enumerate(values, 1):
            ws.cell(row, col, value).alignment = _WRAP
    if form.rules:
        row += 2
        _title(ws, row, "校验规则")
        names = catalogue.names()
        for rule in form.rules:
            row += 1
            ws.cell(row, 2, rule.describe(names))
    ws.protection.sheet = True


def _validation(ind: Indicator, ref: str) -> DataValidation | None:
    common = {
        "showErrorMessage": True,
        "showInputMessage": True,
        "allow_blank": True,
        "errorTitle": "填写有误",
        "promptTitle": ind.name[:32],
    }
    prompt = (f"单位：{ind.unit}。" if ind.unit else "") + ind.range_text()
    if ind.choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(ind.choices) + '"', **common)
    elif ind.numeric and (ind.min is not None or ind.max is not None):
        kind = "whole" if ind.dtype == "int" else "decimal"
        if ind.min is not None and ind.max is not None:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=str(ind.min),
                formula2=str(ind.max),
                **common,
            )
        elif ind.min is not None:
            dv = DataValidation(
                type=kind, operator="greaterThanOrEqual", formula1=str(ind.min), **common
            )
        else:
            dv = DataValidation(
                type=kind, operator="lessThanOrEqual", formula1=str(ind.max), **common
            )
    elif ind.max_length is not None:
        dv = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(ind.max_length), **common
        )
    else:
        return None
    dv.error = f"{ind.name}：{prompt}"[:255]
    dv.prompt = prompt[:255]
    dv.add(ref)
    return dv


def _write_data(
    ws: Worksheet,
    catalogue: Catalogue,
    form: Form,
    rows: Sequence[Mapping[str, object]],
    last_row: int,
) -> None:
    columns = catalogue.columns(form)
    for index, ind in enumerate(columns, 1):
        letter = get_column_letter(index)
        dim = ws.column_dimensions[letter]
        dim.width = max(12, min(40, 2 * len(ind.name) + 4))
        dim.protection = _UNLOCKED
        dim.number_format = "@" if not ind.numeric else ("0" if ind.dtype == "int" else "General")
        name = ws.cell(1, index, ind.name)
        name.font, name.fill, name.protection = Font(bold=True), _HEADER_FILL, _LOCKED
        name.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        unit = ws.cell(2, index, ind.header_unit)
        unit.fill, unit.protection = _UNIT_FILL, _LOCKED
        unit.alignment = Alignment(horizontal="center")
        dv = _validation(ind, f"{letter}{HEADER_ROWS + 1}:{letter}{last_row}")
        if dv is not None:
            ws.add_data_validation(dv)
    locked_identifiers = {form.key} if form.level == "platform" else set()
    for offset, values in enumerate(rows):
        for index, ind in enumerate(columns, 1):
            value = values.get(ind.code)
            if value is None or value == "":
                continue
            cell = ws.cell(HEADER_ROWS + 1 + offset, index)
            if ind.numeric:
                cell.value = value if isinstance(value, int | Decimal) else Decimal(str(value))
            else:
                # A prefilled name such as "=HYPERLINK(...)" must stay text, never a formula.
                cell.value = escape_unwritable(str(value))
                cell.data_type = "s"
                cell.number_format = "@"
                cell.fill = _PREFILLED_FILL
                cell.protection = _LOCKED if ind.code in locked_identifiers else _UNLOCKED
    ws.freeze_panes = ws.cell(HEADER_ROWS + 1, 1)
    ws.protection.sheet = True
    # Let uploaders add and remove data rows; the header check catches any damage to rows 1–2.
    ws.protection.insertRows = False
    ws.protection.deleteRows = False
    ws.protection.formatColumns = False
    ws.protection.sort = False
    ws.protection.autoFilter = False


def write_template(
    form: Form | str,
    period: Period | str,
    *,
    scope_code: str,
    scope_name: str,
    prefill_rows: Iterable[Mapping[str, object]] = (),
    out: str | Path | BinaryIO,
    catalogue: Catalogue | None = None,
    deadline: date | None = None,
    signing_key: bytes = b"",
    limits: Limits | None = None,
    generated_at: datetime | None = None,
) -> Marker:
    """Write the template to ``out`` and return the marker recorded in its hidden sheet.

    Platform-level forms get their one row (platform code and name) filled in automatically;
    for enterprise- and parcel-level forms ``prefill_rows`` maps column codes to values.
    """
    catalogue = catalogue or default_catalogue()
    form = catalogue.form(form) if isinstance(form, str) else form
    period = parse_period(period) if isinstance(period, str) else period
    if period.kind != form.frequency:
        raise ValueError(
            f"报表“{form.name}”为{FREQUENCY_LABELS[form.frequency]}报表，不能用于报告期 {period.label}"
        )
    if not scope_code or not scope_name:
        raise ValueError("填报单位代码和名称不能为空")
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC)
    marker = Marker(
        catalogue_version=catalogue.version,
        form=form.code,
        fingerprint=catalogue.fingerprint(form),
        period=period.code,
        scope_code=scope_code,
        scope_name=scope_name,
        generated_at=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).signed(signing_key)
    rows = [dict(r) for r in prefill_rows]
    unknown = sorted({code for row in rows for code in row} - set(form.columns))
    if unknown:
        raise ValueError(f"预填数据含有报表“{form.name}”没有的列：{'、'.join(unknown)}")
    if form.level == "platform" and not rows:
        rows = [{form.key: scope_code, "platform_name": scope_name}]
    limits = limits or Limits()

    wb = Workbook()
    instructions = wb.active
    instructions.title = INSTRUCTIONS_SHEET
    _write_instructions(instructions, catalogue, form, period, marker, deadline)
    data = wb.create_sheet(DATA_SHEET)
    _write_data(data, catalogue, form, rows, HEADER_ROWS + limits.max_rows)
    hidden = wb.create_sheet(MARKER_SHEET)
    for row in marker.rows():
        hidden.append(row)
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True
    wb.save(out)
    return marker
