"""The differentiated-policy table as data per year and county, the 海宁-style escalation, exact
Decimal amounts, and 免申即享 entitlement lists per agency whose totals reconcile."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingtai.core.refusal import Refused
from pingtai.policies import Firm, policy_lines, policy_set
from pingtai.policies.entitlements import by_agency, entitlements, reconcile, totals

INSTRUMENT = """
[[table.instruments]]
code = "electricity_surcharge"
name = "差别化电价加价"
unit = "元/千瓦时"
kind = "surcharge"
agency = "power"
basis = "electricity_wan_kwh"
basis_name = "用电量"
basis_unit = "万千瓦时"
rates = {{ D = "{rate}" }}
"""


def write_set(tmp_path: Path, tables: list[tuple[str, int, list[str], str]]) -> Path:
    text = 'id = "t"\nversion = "1"\ntitle = "测试"\nsource = "测试"\n'
    for label, from_year, counties, rate in tables:
        text += (
            f'\n[[table]]\nlabel = "{label}"\nfrom_year = {from_year}\ncounties = {counties!r}\n'
        )
        text += INSTRUMENT.format(rate=rate)
    path = tmp_path / "policies.toml"
    path.write_text(text.replace("'", '"'), encoding="utf-8")
    return path


def test_the_table_for_a_year_and_county(tmp_path):
    path = write_set(
        tmp_path,
        [
            ("全市2021", 2021, [], "0.3"),
            ("全市2025", 2025, [], "0.35"),
            ("龙泉2023", 2023, ["331181"], "0.5"),
        ],
    )
    policies = policy_set(path)
    assert policies.table_for(2024, "331102").label == "全市2021"
    assert policies.table_for(2025, "331102").label == "全市2025"
    assert policies.table_for(2024, "331181").label == "龙泉2023"  # the county's own table
    assert policies.table_for(2026, "331181").label == "龙泉2023"
    assert policies.table_for(2022, "331181").label == "全市2021"
    assert policies.table_for().label == "全市2025"
    with pytest.raises(Refused, match="2020年度331102没有适用的差别化政策表"):
        policies.table_for(2020, "331102")


def test_two_tables_for_the_same_scope_and_year_are_refused(tmp_path):
    path = write_set(tmp_path, [("甲", 2021, [], "0.3"), ("乙", 2021, [], "0.4")])
    with pytest.raises(Refused, match="适用范围和起始年度相同"):
        policy_set(path)


def test_an_instrument_for_an_unknown_agency_is_refused(tmp_path):
    path = write_set(tmp_path, [("甲", 2021, [], "0.3")])
    path.write_text(path.read_text(encoding="utf-8").replace('"power"', '"bank"'), "utf-8")
    with pytest.raises(Refused, match="未登记的执行单位 bank"):
        policy_set(path)


def test_the_shipped_table_escalates_d_after_three_years_haining_style():
    table = policy_set().table_for(2024, "331102")
    rate = {
        years: next(
            line.rate
            for line in policy_lines(table, Firm("D", {"electricity_wan_kwh": 100.0}, years))
            if line.instrument.code == "electricity_surcharge"
        )
        for years in (1, 2, 3, 4)
    }
    assert rate == {1: Decimal("0.3"), 2: Decimal("0.3"), 3: Decimal("0.4"), 4: Decimal("0.4")}


def test_amounts_are_exact_decimals():
    table = policy_set().table_for(2024, "331102")
    line = next(
        line
        for line in policy_lines(table, Firm("C", {"electricity_wan_kwh": 0.1}))
        if line.instrument.code == "electricity_surcharge"
    )
    assert line.amount_wan == Decimal("0.0100")  # 0.1 × 0.1 exactly, not 0.010000000000000002
    line = next(
        line
        for line in policy_lines(table, Firm("D", {"electricity_wan_kwh": 1234.5678}))
        if line.instrument.code == "electricity_surcharge"
    )
    assert line.amount_wan == Decimal("370.3703")  # 370.37034 rounded to 1 元


def crafted() -> pl.DataFrame:
    rows = [
        ("a", "A", 50.0, 1, 1),
        ("b", "B", 80.0, 3, 1),
        ("c", "C", 100.0, 4, 1),
        ("d1", "D", 200.0, 5, 1),
        ("d3", "D", 300.0, 5, 3),
        ("dx", "D", None, None, 1),
    ]
    return pl.DataFrame(
        {
            "uscc": [f"9133110200000000{i:02d}" for i in range(len(rows))],
            "name": [r[0] for r in rows],
            "county_code": ["331102"] * len(rows),
            "platform_code": ["LS01"] * len(rows),
            "class": [r[1] for r in rows],
            "electricity_wan_kwh": [r[2] for r in rows],
            "carbon_grade": [r[3] for r in rows],
            "years_in_class": [r[4] for r in rows],
        }
    )


def test_entitlement_lists_per_agency_checked_by_hand():
    lines = entitlements(crafted(), policy_set(), 2024)
    lists = by_agency(lines)
    power = {e.name: e for e in lists["power"]}
    assert set(power) == {"c", "d1", "d3", "dx"}
    assert power["c"].amount_wan == Decimal("10.0000")  # 100 万kWh × 0.1 元/kWh
    assert power["d1"].amount_wan == Decimal("60.0000")
    assert power["d3"].amount_wan == Decimal("120.0000")  # third D year: 0.4 元/kWh
    assert (
        power["d3"].basis
        == "评价类别 D；连续 3 年 D 类，按加价标准；用电量 300.0 万千瓦时 × 0.4 元/千瓦时"
    )
    assert power["dx"].amount_wan is None and "缺少用电量数据" in power["dx"].basis
    finance = sorted((e.name, e.instrument, e.amount_wan) for e in lists["finance"])
    assert finance == [
        ("a", "carbon_award", Decimal("5.0000")),
        ("a", "class_a_award", Decimal("10.0000")),
    ]
    tax = {e.name: e.rate for e in lists["tax"]}
    assert tax == {"a": Decimal("100"), "b": Decimal("50")}
    assert all(e.amount_wan is None for e in lists["tax"])
    economy = {(e.name, e.instrument): e.rate for e in lists["economy"]}
    assert economy[("a", "carbon_energy_priority")] == "优先保障"
    assert economy[("d1", "carbon_energy_priority")] == "从严控制"
    assert list(lists) == [
        "power",
        "water",
        "gas",
        "tax",
        "finance",
        "natural_resources",
        "economy",
        "ecology",
    ]
    t = totals(lines)
    assert t.grand == {True: Decimal("190.0000"), False: Decimal("15.0000")}
    assert t.by_class[("D", True)] == Decimal("180.0000")
    assert t.by_class[("C", True)] == Decimal("10.0000")
    assert t.by_class[("A", False)] == Decimal("15.0000")
    assert t.by_agency[("power", True)] == Decimal("190.0000")
    assert reconcile(t) == []


def test_reconcile_names_a_total_that_does_not_add_up():
    t = totals(entitlements(crafted(), policy_set(), 2024))
    broken = type(t)(
        {**t.by_agency, ("power", True): Decimal("189.0000")},
        t.by_class,
        t.by_instrument,
        t.grand,
        t.uncomputed,
    )
    assert reconcile(broken) == ["应缴金额按执行单位合计 189.0000 万元，与总计 190.0000 万元不符"]


def test_a_result_table_without_the_class_is_refused():
    with pytest.raises(Refused, match="结果表缺少列：class"):
        entitlements(crafted().drop("class"), policy_set(), 2024)


RATE = {"C": Decimal("0.1"), "D": Decimal("0.3")}


@settings(max_examples=40, deadline=None)
@given(
    firms=st.lists(
        st.tuples(
            st.sampled_from("ABCDT"),
            st.one_of(st.none(), st.decimals(0, 100000, places=4, allow_nan=False)),
            st.one_of(st.none(), st.integers(1, 5)),
            st.integers(1, 6),
        ),
        max_size=40,
    )
)
def test_totals_reconcile_and_equal_the_sum_of_per_firm_lines(firms):
    frame = pl.DataFrame(
        {
            "uscc": [f"U{i:05d}" for i in range(len(firms))],
            "name": [f"f{i}" for i in range(len(firms))],
            "county_code": ["331102"] * len(firms),
            "platform_code": ["LS01"] * len(firms),
            "class": [f[0] for f in firms],
            "electricity_wan_kwh": [float(f[1]) if f[1] is not None else None for f in firms],
            "carbon_grade": [f[2] for f in firms],
            "years_in_class": [f[3] for f in firms],
        },
        schema_overrides={"carbon_grade": pl.Int64, "electricity_wan_kwh": pl.Float64},
    )
    lines = entitlements(frame, policy_set(), 2024)
    t = totals(lines)
    assert reconcile(t) == []
    expected = Decimal(0)
    for klass, power, _, years in firms:
        if klass in RATE and power is not None:
            rate = Decimal("0.4") if klass == "D" and years >= 3 else RATE[klass]
            value = Decimal(repr(float(power)))
            expected += (value * rate).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert t.grand.get(True, Decimal(0)) == expected
    awards = sum((f[0] == "A") * 10 + (f[2] == 1) * 5 for f in firms)
    assert t.grand.get(False, Decimal(0)) == Decimal(awards)
