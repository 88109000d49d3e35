"""Generated templates: instructions, locked headers, validations, prefill and hidden marker."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import openpyxl
import pytest

from pingtai.xlsx.marker import DATA_SHEET, INSTRUCTIONS_SHEET, MARKER_SHEET, Marker


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_platform_template_layout(kit, catalogue):
    data = kit.template_bytes("platform_quarterly", "2025Q4", deadline=date(2026, 1, 15))
    wb = _load(data)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, DATA_SHEET, MARKER_SHEET]
    assert wb[MARKER_SHEET].sheet_state == "veryHidden"
    ws = wb[DATA_SHEET]
    form = catalogue.form("platform_quarterly")
    columns = catalogue.columns(form)
    assert [c.value for c in ws[1]] == [i.name for i in columns]
    assert [c.value for c in ws[2]] == [i.unit or "—" for i in columns]
    assert ws.protection.sheet and not ws.protection.insertRows
    assert all(c.protection.locked for c in ws[1] + ws[2])
    # One row per platform, prefilled and locked.
    assert ws["A3"].value == "LS01" and ws["B3"].value == "丽水经济技术开发区"
    assert ws["A3"].protection.locked
    assert ws.column_dimensions["C"].protection.locked is False
    assert ws.column_dimensions["A"].number_format == "@"
    text = "\n".join(
        str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value
    )
    assert "2025年第四季度" in text and "2026年1月15日" in text and "丽水经济技术开发区" in text
    # The instructions are read by people: no codes, no ISO dates or times.
    assert "LS01" not in text and "platform_quarterly" not in text and "2025Q4" not in text
    assert "2025年10月1日至2025年12月31日" in text and not re.search(r"\d{4}-\d\d-\d\d", text)
    for ind in columns:
        assert ind.definition in text
    assert "规上工业总产值 ≤ 工业总产值" in text


def test_data_validation_lists_and_ranges(kit):
    wb = _load(kit.template_bytes("platform_enterprises", "2025"))
    validations = wb[DATA_SHEET].data_validations.dataValidation
    by_type = {}
    for dv in validations:
        by_type.setdefault(dv.type, []).append(dv)
    assert any(dv.formula1 == '"规上,规下"' for dv in by_type["list"])
    land = [dv for dv in by_type["decimal"] if str(dv.sqref).startswith("F3")]
    assert land and land[0].formula1 == "0" and land[0].formula2 == "100000"
    wb = _load(kit.template_bytes("land_parcel", "2025"))
    assert any(
        dv.formula1 == '"自有,租用"' for dv in wb[DATA_SHEET].data_validations.dataValidation
    )


def test_marker_records_form_period_scope_and_is_signed(kit, catalogue):
    out = io.BytesIO()
    from pingtai.xlsx.template import write_template

    stamp = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
    marker = write_template(
        "tax_enterprise",
        "2025",
        scope_code="tax",
        scope_name="市税务局",
        out=out,
        generated_at=stamp,
        signing_key=b"k",
    )
    wb = _load(out.getvalue())
    stored = Marker.from_mapping({r[0]: r[1] for r in wb[MARKER_SHEET].iter_rows(values_only=True)})
    assert stored == marker
    assert (marker.form, marker.period, marker.scope_code) == ("tax_enterprise", "2025", "tax")
    assert marker.catalogue_version == catalogue.version
    assert marker.generated_at == "2025-12-01T08:00:00Z"
    assert marker.verify(b"k") and not marker.verify(b"other")


def test_enterprise_prefill_keeps_names_as_text(kit):
    data = kit.template_bytes(
        "platform_enterprises",
        "2025",
        prefill=[
            {"uscc": "913311001484116584", "enterprise_name": '=HYPERLINK("http://x","点我")'},
            {"uscc": "91350100M000100Y43", "enterprise_name": "正常企业", "land_area": 12.5},
        ],
    )
    ws = _load(data)[DATA_SHEET]
    assert ws["A3"].value == "913311001484116584" and ws["A3"].data_type == "s"
    assert ws["B3"].data_type == "s" and ws["B3"].value.startswith("=HYPERLINK")
    assert ws["F4"].value == 12.5
    assert not ws["A3"].protection.locked  # enterprise lists may be corrected by the platform


def test_frequency_mismatch_and_empty_scope_are_refused(kit):
    with pytest.raises(ValueError, match="季度报表"):
        kit.template_bytes("platform_quarterly", "2025")
    with pytest.raises(ValueError, match="不能为空"):
        kit.template_bytes("tax_enterprise", "2025", scope="")
    with pytest.raises(ValueError, match="没有的列：land_area"):
        kit.template_bytes("tax_enterprise", "2025", prefill=[{"uscc": "x", "land_area": 1}])


def test_every_shipped_form_writes_a_template(kit, catalogue):
    for form in catalogue.forms.values():
        period = {"quarter": "2025Q4", "half": "2025H2", "year": "2025"}[form.frequency]
        data = kit.template_bytes(form.code, period)
        assert _load(data)[DATA_SHEET].max_column == len(form.columns)
