"""read_upload on real files: accepted rows, cell-level Chinese errors, header check, slips."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from pingtai.xlsx import ImportOutcome, Limits, RefusedFile, read_upload
from pingtai.xlsx.marker import DATA_SHEET, MARKER_SHEET


def _errors(outcome: ImportOutcome) -> dict[str, str]:
    return {e.cell: e.rule for e in outcome.errors}


def test_platform_form_round_trip(kit):
    data = kit.platform_upload()
    outcome = read_upload(
        data, expected_scope="LS01", expected_form="platform_quarterly", expected_period="2025Q4"
    )
    assert outcome.ok, [str(e) for e in outcome.errors]
    assert outcome.period.code == "2025Q4" and outcome.form.code == "platform_quarterly"
    (row,) = outcome.rows
    assert row.number == 3 and row.key == "LS01"
    assert row.values["industrial_output"] == Decimal("1000")
    assert row.values["foreign_capital"] == Decimal("12.5")
    assert isinstance(row.values["foreign_capital"], Decimal)
    assert row.values["major_projects_signed"] == 3 and isinstance(
        row.values["major_projects_signed"], int
    )
    assert row.raw["foreign_capital"] == "12.5"
    import hashlib

    assert outcome.sha256 == hashlib.sha256(data).hexdigest()


def test_enterprise_form_normalises_codes_but_not_names(kit):
    rows = kit.enterprise_rows(2)
    rows[0]["uscc"] = "\u3000９１３３１１００１４８４１１６５８４\u00a0"
    rows[0]["enterprise_name"] = "  丽水①号　企业 "
    rows[0]["industry_code"] = "ｃ ３４８４"
    rows[0]["land_area"] = "１，２３４．５"
    rows[1]["county_code"] = 331102  # typed as a number in a General cell: still the code
    rows[1]["land_area"] = "\u200b12.25 "
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert outcome.ok, [str(e) for e in outcome.errors]
    first, second = outcome.rows
    assert first.key == "913311001484116584"
    assert first.raw["uscc"].startswith("\u3000９")
    assert first.values["enterprise_name"] == "丽水①号　企业"  # trimmed only, never NFKC
    assert first.values["industry_code"] == "C3484"
    assert first.values["land_area"] == Decimal("1234.5")
    assert second.values["county_code"] == "331102"
    assert second.values["land_area"] == Decimal("12.25")


@pytest.mark.parametrize(
    "value, rule",
    [
        ("12.5万", "unit_word"),
        ("3亩", "unit_word"),
        ("1亿", "unit_word"),
        ("abc", "number"),
        ("1,23", "number"),
        ("1.23456", "decimals"),
        (-1, "min"),
        (200000, "max"),
        (True, "type"),
    ],
)
def test_bad_numbers_are_cell_errors(kit, value, rule):
    rows = kit.enterprise_rows(2)
    rows[1]["land_area"] = value
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert not outcome.ok and outcome.rows == ()
    (issue,) = outcome.errors
    assert (issue.sheet, issue.cell, issue.column, issue.rule) == (
        DATA_SHEET,
        "F4",
        "用地面积",
        rule,
    )
    assert issue.message and issue.hint
    assert str(issue).startswith("数据!F4【用地面积】")


def test_every_error_in_every_row_is_collected(kit):
    rows = kit.enterprise_rows(3)
    rows[0].update(uscc="91110000600037341N", scale="中型", county_code="330102")
    rows[1].update(industry_code=111, enterprise_name=None)
    rows[2].update(land_area="很多", scale=None)
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert _errors(outcome) == {
        "A3": "uscc",
        "C3": "choice",
        "E3": "choice",
        "B4": "required",
        "D4": "gbt4754",
        "E5": "required",
        "F5": "number",
    }
    assert outcome.rows == () and outcome.rows_seen == 3


def test_duplicate_keys_and_checksum(kit):
    rows = kit.enterprise_rows(3)
    rows[2]["uscc"] = rows[0]["uscc"]
    rows[1]["uscc"] = "91110000600037341N"
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    found = {(e.cell, e.rule): e for e in outcome.errors}
    assert found[("A5", "duplicate")].message == "与第3行重复"
    assert "校验码错误" in found[("A4", "uscc")].message


def test_legacy_uscc_override_path(kit):
    rows = kit.enterprise_rows(2)
    rows[1]["uscc"] = "91350211M0000XUF46"  # real legacy code that fails the checksum
    data = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    assert _errors(read_upload(data)) == {"A4": "uscc"}
    outcome = read_upload(data, uscc_overrides={"91350211M0000XUF46"})
    assert outcome.ok and outcome.overridden_uscc == ("91350211M0000XUF46",)
    # An override cannot excuse forbidden characters.
    rows[1]["uscc"] = "9111000060003IOZSV"
    bad = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    assert not read_upload(bad, uscc_overrides={"9111000060003IOZSV"}).ok


def test_code_stored_as_number_by_excel_is_an_error(kit):
    rows = kit.enterprise_rows(1)
    rows[0]["uscc"] = 9.13311001484116e17
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert _errors(outcome) == {"A3": "code_as_number"}


def test_cross_field_rules(kit):
    data = kit.platform_upload(above_scale_output=1200, hightech_value_added=250)
    outcome = read_upload(data)
    issues = [e for e in outcome.errors if e.rule == "cross_field"]
    assert {e.cell for e in issues} == {"D3", "L3"}
    assert any(
        "规上工业总产值 ≤ 工业总产值" in e.message and "规上工业总产值为 1200" in e.message
        for e in issues
    )
    tax = kit.fill(
        kit.template_bytes("tax_enterprise", "2025", scope="tax", scope_name="市税务局"),
        [{"uscc": kit.GOOD_USCC[0], "enterprise_name": "甲", "tax_paid": -5}],
    )
    assert _errors(read_upload(tax)) == {"C3": "cross_field"}


def test_conditional_rule_on_land_parcels(kit):
    a, b = kit.GOOD_USCC[:2]
    rows = [
        {
            "parcel_code": "LD-001",
            "holder_uscc": a,
            "user_uscc": a,
            "enterprise_name": "甲",
            "tenure": "自有",
            "parcel_area": 30,
        },
        {
            "parcel_code": "LD-002",
            "holder_uscc": a,
            "user_uscc": b,
            "enterprise_name": "乙",
            "tenure": "自有",
            "parcel_area": 12,
        },
        {
            "parcel_code": "LD-003",
            "holder_uscc": a,
            "user_uscc": a,
            "enterprise_name": "甲",
            "tenure": "租用",
            "parcel_area": 5,
        },
    ]
    data = kit.fill(
        kit.template_bytes("land_parcel", "2025", scope="nr", scope_name="市自然资源局"), rows
    )
    assert _errors(read_upload(data)) == {"B4": "cross_field", "B5": "cross_field"}


def test_platform_row_must_be_the_templates_platform(kit):
    outcome = read_upload(kit.platform_upload(platform_code="LS02"))
    assert ("A3", "scope") in {(e.cell, e.rule) for e in outcome.errors}


def test_header_problems_come_in_one_message(kit):
    def damage(wb: openpyxl.Workbook) -> None:
        ws = wb[DATA_SHEET]
        ws["C1"] = "工业产值"  # renamed: one missing, one unknown
        ws["E2"] = "元"  # wrong unit for a 万元 column
        ws["F2"] = "单位：万元"  # tolerated spelling of the right unit
        ws.cell(1, 30, "备注")

    data = kit.fill(kit.template_bytes("platform_quarterly", "2025Q4"), [], edit=damage)
    outcome = read_upload(data)
    (issue,) = outcome.errors
    assert issue.rule == "header" and issue.cell == "C1"
    assert "缺少列：工业总产值" in issue.message
    assert "工业产值（C列）" in issue.message and "备注（AD列）" in issue.message
    assert "“规上工业增加值”的单位应为“万元”，实际为“元”" in issue.message
    assert "规上企业" not in issue.message


def test_stray_values_and_empty_sheet(kit):
    rows = kit.enterprise_rows(1)
    data = kit.fill(
        kit.template_bytes("platform_enterprises", "2025"),
        rows,
        edit=lambda wb: wb[DATA_SHEET].cell(3, 9, "备注"),
    )
    assert _errors(read_upload(data)) == {"I3": "no_header"}
    empty = kit.fill(kit.template_bytes("platform_enterprises", "2025"), [])
    assert _errors(read_upload(empty)) == {"A3": "empty"}


def test_blank_rows_are_skipped_and_row_numbers_kept(kit):
    rows = kit.enterprise_rows(2)
    rows.insert(1, {})
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert [r.number for r in outcome.rows] == [3, 5]


def test_error_cap(kit):
    rows = [{**r, "land_area": "x"} for r in kit.enterprise_rows(5)]
    outcome = read_upload(
        kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows),
        limits=Limits(max_errors=2),
    )
    assert [e.rule for e in outcome.errors][-1] == "too_many_errors"


def test_marker_checks(kit):
    data = kit.platform_upload()
    with pytest.raises(RefusedFile) as caught:
        read_upload(data, expected_scope="LS02")
    assert caught.value.reason == "wrong_scope" and "不属于您的填报范围" in caught.value.message
    with pytest.raises(RefusedFile, match="报告期"):
        read_upload(data, expected_period="2025Q3")
    with pytest.raises(RefusedFile, match="不是本次要求上传的报表"):
        read_upload(data, expected_form="tax_enterprise")
    with pytest.raises(RefusedFile) as caught:
        read_upload(data, signing_key=b"server secret")
    assert caught.value.reason == "marker_forged"


def test_forged_marker_and_missing_marker(kit):
    def forge(wb: openpyxl.Workbook) -> None:
        for row in wb[MARKER_SHEET].iter_rows():
            if row[0].value == "scope_code":
                row[1].value = "LS02"

    with pytest.raises(RefusedFile) as caught:
        read_upload(kit.fill(kit.template_bytes("platform_quarterly", "2025Q4"), [], edit=forge))
    assert caught.value.reason == "marker_forged" and "伪造" in caught.value.message
    removed = kit.fill(
        kit.template_bytes("platform_quarterly", "2025Q4"),
        [],
        edit=lambda wb: wb.remove(wb[MARKER_SHEET]),
    )
    with pytest.raises(RefusedFile) as caught:
        read_upload(removed)
    assert caught.value.reason == "marker_missing" and "模板" in caught.value.message


def test_stale_template_is_refused(kit, catalogue, tmp_path):
    import shutil

    from pingtai.catalogue import load_catalogue
    from pingtai.catalogue.catalogue import CATALOGUE_DIR

    for name in ("indicators.toml", "forms.toml"):
        shutil.copy(CATALOGUE_DIR / name, tmp_path / name)
    text = (tmp_path / "indicators.toml").read_text(encoding="utf-8")
    (tmp_path / "indicators.toml").write_text(
        text.replace('name = "用地面积"', 'name = "占地面积"'), encoding="utf-8"
    )
    with pytest.raises(RefusedFile) as caught:
        read_upload(kit.enterprise_upload(), load_catalogue(tmp_path))
    assert caught.value.reason == "marker_stale"


def test_unit_slips_are_checked_like_with_like(kit):
    """Year-to-date figures (产值, 税收, 外资 …) against the same period last year only; a
    period-end stock (可开发面积) also against the previous period."""
    data = kit.platform_upload(
        industrial_output=10_000_000,
        above_scale_output=900,
        developable_area=100,
        foreign_capital=125,
    )
    previous = {
        "LS01": {
            # A previous quarter's year-to-date values: not comparable, never a reference.
            "industrial_output": Decimal(1000),
            "foreign_capital": Decimal("12.5"),
            "tax_revenue": Decimal(81),
            "developable_area": Decimal(1500),
        }
    }
    last_year = {
        "LS01": {
            "industrial_output": Decimal(1000),
            "foreign_capital": Decimal("12.5"),
            "tax_revenue": Decimal(20),
        }
    }
    outcome = read_upload(data, previous=previous, last_year=last_year)
    assert outcome.ok and outcome.rows
    by_cell = {(c.cell, c.basis): c for c in outcome.confirmations}
    assert by_cell[("C3", "last_year")].factor == Decimal(10_000)
    assert "元" in by_cell[("C3", "last_year")].message
    assert by_cell[("R3", "previous")].factor == Decimal(15)
    assert "公顷" in by_cell[("R3", "previous")].message
    assert by_cell[("I3", "last_year")].factor == Decimal(10)
    jump = by_cell[("G3", "last_year")]
    assert jump.factor is None and "超过3倍" in jump.message
    assert not {("C3", "previous"), ("I3", "previous"), ("G3", "previous")} & set(by_cell)
    ids = {c.id for c in outcome.confirmations}
    assert outcome.unconfirmed(ids) == ()
    assert len(outcome.unconfirmed(set())) == len(outcome.confirmations)


def test_a_first_quarter_is_not_compared_with_the_previous_fourth_quarter(kit):
    # Q1 year-to-date is about a quarter of the previous Q4's full-year value: no question.
    data = kit.platform_upload(
        tax_revenue=20,
        industrial_output=250,
        above_scale_output=225,
        above_scale_value_added=50,
        hightech_value_added=30,
    )
    previous = {"LS01": {"tax_revenue": Decimal(81), "industrial_output": Decimal(1000)}}
    outcome = read_upload(data, previous=previous)
    assert outcome.ok and outcome.rows
    assert outcome.confirmations == ()


def test_unit_slips_against_peers(kit):
    rows = kit.enterprise_rows(5)
    for i, row in enumerate(rows):
        row["land_area"] = 8 + i
    rows[4]["land_area"] = 99999  # about 10,000 × the median of the column: 万亩 vs 亩
    outcome = read_upload(kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows))
    assert outcome.ok
    assert [(c.cell, c.basis) for c in outcome.confirmations] == [("F7", "peers")]
    data = kit.platform_upload(tax_revenue=800_000)
    peers = {"tax_revenue": [Decimal(v) for v in (60, 75, 80, 90, 100)]}
    confirmations = read_upload(data, peers=peers).confirmations
    assert [(c.cell, c.basis, c.factor) for c in confirmations] == [
        ("G3", "peers", Decimal(10_000))
    ]


def test_shared_strings_as_excel_writes_them(kit):
    rows = kit.enterprise_rows(3)
    rows[1]["scale"] = "中"
    original = kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    shared = kit.with_shared_strings(original)
    assert b't="inlineStr"' not in kit.parts_of(shared)[kit.SHEET]
    assert "xl/sharedStrings.xml" in kit.parts_of(shared)
    a, b = read_upload(original), read_upload(shared)
    assert (
        [str(e) for e in a.errors]
        == [str(e) for e in b.errors]
        == [str(e) for e in b.errors if e.cell == "E4"]
    )
    rows[1]["scale"] = "规下"
    good = kit.with_shared_strings(
        kit.fill(kit.template_bytes("platform_enterprises", "2025"), rows)
    )
    outcome = read_upload(good)
    assert outcome.ok and outcome.rows[1].values["scale"] == "规下"
    assert outcome.rows[0].values["enterprise_name"] == "丽水测试企业0"
