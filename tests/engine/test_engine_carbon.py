"""Carbon efficiency (碳效): bands and grades on crafted firms at and just past every threshold,
the industry group of K with its fallback, CO₂ from energy use with the year's factors and the
clean-energy deduction, the ``pingtai carbon`` command, and carbon as a method indicator."""

from __future__ import annotations

import csv
import io

import openpyxl
import polars as pl
import pytest

from pingtai.cli import main
from pingtai.engine import evaluate
from pingtai.engine.carbon import carbon_efficiency, factors
from pingtai.engine.methods import parse_method
from pingtai.engine.synthetic import frame_from_rows as make_frame
from pingtai.standards.carbon import carbon_data


def rows(table: pl.DataFrame) -> dict[str, dict]:
    return {r["name"]: r for r in table.iter_rows(named=True)}


def test_bands_at_and_just_past_each_threshold():
    firms = [
        ("零排放", 0.0),
        ("恰为0.6", 60.0),
        ("略高于0.6", 60.0001),
        ("恰为2.0", 200.0),
        ("略高于2.0", 200.0001),
    ]
    frame = make_frame([{"name": n, "co2_t": c, "value_added_wan": 100.0} for n, c in firms])
    r = rows(carbon_efficiency(frame).table)
    assert [r[n]["carbon_band"] for n, _ in firms] == ["低碳", "低碳", "中碳", "中碳", "高碳"]
    assert r["恰为0.6"]["carbon_l"] == 0.6 and r["恰为0.6"]["co2_source"] == "报送"


def test_grades_by_k_against_the_industry_ratio_of_sums():
    # Eleven C3311 firms, value added 100 each, CO₂ = 100 × K: ΣCO₂ = ΣVA = 1100, so the
    # industry's L is exactly 1 and each firm's K is its CO₂ ÷ 100.
    ks = [0.6, 0.61, 0.8, 0.81, 1.2, 1.21, 2.0, 2.01, 0.5, 0.63, 0.63]
    frame = make_frame(
        [
            {
                "name": f"k{k}_{i}",
                "industry_code": "C3311",
                "value_added_wan": 100.0,
                "co2_t": k * 100,
            }
            for i, k in enumerate(ks)
        ]
    )
    r = carbon_efficiency(frame).table.sort("name")
    by_k = {row["name"]: row for row in r.iter_rows(named=True)}
    expected = [1, 2, 2, 3, 3, 4, 4, 5, 1, 2, 2]
    for i, (k, grade) in enumerate(zip(ks, expected, strict=True)):
        row = by_k[f"k{k}_{i}"]
        assert row["carbon_group_l"] == pytest.approx(1.0)
        assert row["carbon_k"] == pytest.approx(k)
        assert row["carbon_grade"] == grade, (k, row["carbon_grade"])
        assert (row["carbon_group"], row["carbon_group_size"]) == ("C3311", 11)


def test_k_groups_fall_back_from_xiaolei_to_dalei_to_all_firms():
    firms = (
        [("C3311", 100.0)] * 10  # 小类 with 10 firms: its own group
        + [("C3312", 100.0)] * 4
        + [("C3391", 100.0)] * 3  # 大类 C33 then has 17 firms
        + [("C2641", 100.0)] * 9
        + [("C2641", 0.0)]  # no value added: no L, so C26 counts 9 firms and falls back
        + [("C1713", 100.0)] * 2
        + [(None, 100.0)]
    )
    frame = make_frame(
        [
            {"name": f"f{i}", "industry_code": code, "value_added_wan": va, "co2_t": 50.0 + i}
            for i, (code, va) in enumerate(firms)
        ]
    )
    t = carbon_efficiency(frame).table
    r = rows(t)
    assert (r["f0"]["carbon_group"], r["f0"]["carbon_group_size"]) == ("C3311", 10)
    assert (r["f10"]["carbon_group"], r["f10"]["carbon_group_level"]) == ("C33", "行业大类")
    assert r["f10"]["carbon_group_size"] == 17
    assert (r["f17"]["carbon_group"], r["f17"]["carbon_group_size"]) == ("全部企业", 29)
    assert (
        r["f26"]["carbon_k"] is None and r["f26"]["carbon_note"] == "工业增加值不为正，不计算碳效"
    )
    assert r["f29"]["carbon_group"] == "全部企业"  # no industry code
    members = [i for i, (c, _) in enumerate(firms) if c in ("C3312", "C3391", "C3311")]
    c33 = sum(50.0 + i for i in members) / (100.0 * len(members))
    assert r["f10"]["carbon_group_l"] == pytest.approx(c33)
    assert r["f10"]["carbon_k"] == pytest.approx(((50.0 + 10) / 100) / c33)


def test_co2_from_energy_use_with_the_years_factors_and_clean_energy_deducted():
    frame = make_frame(
        [
            {
                "name": "折算",
                "energy_tce": 100.0,
                "electricity_wan_kwh": 40.0,
                "renewable_tce": 12.29,
                "value_added_wan": 500.0,
            },
            {"name": "报送优先", "co2_t": 77.0, "energy_tce": 100.0, "value_added_wan": 500.0},
            {"name": "无数据", "energy_tce": None, "value_added_wan": 500.0},
        ]
    )
    r = rows(carbon_efficiency(frame, 2022).table)
    # Non-electric energy 100 − 40 × 1.229 = 50.84 tce × 2.66; electricity 40 万kWh × 5.366 t;
    # clean energy 12.29 tce = 10 万kWh of zero-carbon electricity, 10 × 5.366 t avoided.
    expected = 50.84 * 2.66 + 40 * 5.366 - 10 * 5.366
    assert r["折算"]["co2_t"] == pytest.approx(expected)
    assert r["折算"]["co2_source"] == "能耗折算"
    assert r["折算"]["carbon_l"] == pytest.approx(expected / 500)
    assert r["报送优先"]["co2_t"] == 77.0 and r["报送优先"]["co2_source"] == "报送"
    assert r["无数据"]["carbon_band"] is None
    assert r["无数据"]["carbon_note"].startswith("缺少碳排放数据")
    latest = rows(carbon_efficiency(frame).table)["折算"]["co2_t"]
    assert latest == pytest.approx(50.84 * 2.66 + 30 * 5.306)  # 2023, the latest factor


def test_years_without_their_own_factor_say_which_year_stands_in():
    assert factors(2019).grid.year == 2021 and "按2021年因子" in factors(2019).notes[0]
    assert factors(2024).grid.year == 2023 and factors(2022).notes == ()
    data = carbon_data()
    for item in (*data.grid, *data.bands, data.grades, data.fossil, data.electricity):
        assert item.document and item.status


def test_missing_columns_and_bad_cells_are_refused_by_row():
    with pytest.raises(Exception) as e:
        carbon_efficiency(make_frame([{"name": "x"}]).drop("energy_tce"))
    assert "缺少列：energy_tce" in str(e.value)
    bad = make_frame([{"name": "x", "industry_code": "Z9999", "energy_tce": -1.0}])
    with pytest.raises(Exception) as e:
        carbon_efficiency(bad)
    assert "第 2 行，列 energy_tce：不能为负数" in str(e.value)
    assert "第 2 行，列 industry_code" in str(e.value)


def test_cli_writes_the_contract_columns(tmp_path, capsys):
    frame = make_frame(
        [
            {
                "name": f"f{i}",
                "industry_code": "1713",
                "co2_t": 10.0 * (i + 1),
                "value_added_wan": 30.0,
            }
            for i in range(12)
        ]
    )
    frame = frame.with_columns(pl.Series("name", ["=HYPERLINK(1)", *frame["name"][1:]]))
    source = tmp_path / "in.csv"
    frame.write_csv(source)
    out = tmp_path / "out.csv"
    assert main(["carbon", str(source), "-o", str(out), "--year", "2022"]) == 0
    printed = capsys.readouterr().out
    assert "0.5366" in printed and "2022年" in printed
    lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    first = lines[0]
    assert len(first["carbon_l"].split(".")[1]) == 6
    assert len(first["carbon_k"].split(".")[1]) == 6
    assert {x["carbon_band"] for x in lines} <= {"低碳", "中碳", "高碳"}
    assert {int(x["carbon_grade"]) for x in lines} <= {1, 2, 3, 4, 5}
    assert first["carbon_group"] == "C1713" and first["industry_code"] == "C1713"
    assert not any(x["name"].startswith("=") for x in lines)  # safe to open in a spreadsheet
    xlsx = tmp_path / "out.xlsx"
    assert main(["carbon", str(source), "-o", str(xlsx)]) == 0
    sheet = openpyxl.load_workbook(xlsx).active
    assert "carbon_grade" in [c.value for c in sheet[1]]  # a data file: headers in row 1


def test_cli_reports_bad_input_with_exit_code_1(tmp_path, capsys):
    source = tmp_path / "bad.csv"
    good = make_frame([{"name": "x"}])
    good.with_columns(pl.lit("很多").alias("value_added_wan")).write_csv(source)
    assert main(["carbon", str(source), "-o", str(tmp_path / "o.csv")]) == 1
    assert "无法解析为数值" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_carbon_intensity_as_a_method_indicator():
    raw = {
        "id": "carbon-test",
        "version": "1",
        "title": "碳排放强度",
        "description": "测试",
        "effective": {"from": "2024-01-01"},
        "source": {"document": "测试"},
        "indicators": [
            {
                "id": "carbon_intensity",
                "name": "单位增加值碳排放",
                "unit": "吨/万元",
                "direction": "lower",
                "formula": {
                    "kind": "ratio",
                    "numerator": ["co2_t"],
                    "denominator": ["value_added_wan"],
                },
            }
        ],
        "segments": {
            "规上": {
                "name": "规上",
                "indicators": [
                    {
                        "indicator": "carbon_intensity",
                        "weight": 100,
                        "scoring": {
                            "kind": "benchmark_ratio",
                            "benchmark": {"kind": "fixed", "value": 1.0},
                        },
                    }
                ],
                "classes": {
                    "kind": "thresholds",
                    "bands": [{"class": "A", "min_score": 100}, {"class": "B"}],
                },
            }
        },
    }
    method = parse_method(raw)
    frame = make_frame(
        [
            {"name": "报送", "co2_t": 250.0, "value_added_wan": 500.0},
            {
                "name": "折算",
                "energy_tce": 100.0,
                "electricity_wan_kwh": 40.0,
                "value_added_wan": 500.0,
            },
        ]
    )
    a = evaluate(method, frame, year=2022)
    r = rows(a.table)
    assert r["报送"]["carbon_intensity"] == pytest.approx(0.5)
    assert r["报送"]["score"] == pytest.approx(200.0)  # lower is better: 1.0 ÷ 0.5 × 100
    assert r["折算"]["co2_source"] == "能耗折算"
    assert r["折算"]["co2_used_t"] == pytest.approx(50.84 * 2.66 + 40 * 5.366)
    b = evaluate(method, frame, year=2023)
    assert a.input_hash != b.input_hash  # the factors are part of what was read
    assert any("co2_t" in w for w in evaluate(method, frame.drop("co2_t")).warnings)
