import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pingtai.engine import evaluate
from pingtai.engine.indicators import compute
from pingtai.engine.methods import FieldSpec, Indicator, parse_method
from pingtai.engine.synthetic import at_benchmarks, enterprises, usccs
from pingtai.engine.synthetic import frame_from_rows as make_frame
from pingtai.standards.uscc import is_valid

# Huangyan 2022 规上 benchmarks (docs/methods.md §2.4 / huangyan_benchmarks.csv).
HY22 = {
    "tax_per_mu": 24.097,
    "va_per_mu": 136.16,
    "va_per_energy": 2.694,
    "va_per_emission": 4929.81,
    "labour_productivity": 18.14,
    "rd_share": 0.0302,
}

METHODS_DIR = Path(__file__).resolve().parents[2] / "src" / "pingtai" / "methods"
SPECS = {
    "tax": FieldSpec(unit="万元"),
    "land": FieldSpec(unit="亩"),
    "rd": FieldSpec(unit="万元"),
    "rev": FieldSpec(unit="万元"),
    "va": FieldSpec(unit="万元"),
    "va_prev": FieldSpec(unit="万元"),
}
DATA = {
    "tax": np.array([30.0, -5.0, 10.0, np.nan]),
    "land": np.array([10.0, 10.0, 0.0, 5.0]),
    "rd": np.array([3.0, 1.0, 2.0, 1.0]),
    "rev": np.array([100.0, 50.0, 0.0, 10.0]),
    "va": np.array([110.0, 90.0, 50.0, 20.0]),
    "va_prev": np.array([100.0, 100.0, 0.0, np.nan]),
}


def ind(**kw):
    return Indicator.model_validate({"id": "x", "name": "x", **kw})


def test_ratio_with_zero_denominator_and_negative_rules():
    v = compute(
        ind(
            unit="万元/亩", formula={"kind": "ratio", "numerator": ["tax"], "denominator": ["land"]}
        ),
        DATA,
        SPECS,
    )
    np.testing.assert_allclose(v.value, [3.0, -0.5, np.nan, np.nan])
    v = compute(
        ind(
            unit="万元/亩",
            zero_denominator="zero",
            negative="zero",
            formula={"kind": "ratio", "numerator": ["tax"], "denominator": ["land"]},
        ),
        DATA,
        SPECS,
    )
    np.testing.assert_allclose(v.value, [3.0, 0.0, 0.0, np.nan])
    v = compute(
        ind(
            unit="元/m²",
            negative="missing",
            formula={"kind": "ratio", "numerator": ["tax"], "denominator": ["land"]},
        ),
        DATA,
        SPECS,
    )
    # 3 万元/亩 = 30000 元 per 666.67 m² = 45 元/m²
    np.testing.assert_allclose(v.value[:2], [45.0, np.nan])


def test_share_in_percent():
    v = compute(
        ind(unit="%", formula={"kind": "share", "numerator": ["rd"], "denominator": ["rev"]}),
        DATA,
        SPECS,
    )
    np.testing.assert_allclose(v.value, [3.0, 2.0, np.nan, 10.0])


def test_sum_is_missing_when_a_term_is_missing():
    v = compute(ind(unit="亿元", formula={"kind": "sum", "fields": ["tax", "va"]}), DATA, SPECS)
    np.testing.assert_allclose(v.value, [0.014, 0.0085, 0.006, np.nan])


def test_growth_rate():
    v = compute(
        ind(unit="%", formula={"kind": "growth", "current": "va", "previous": "va_prev"}),
        DATA,
        SPECS,
    )
    np.testing.assert_allclose(v.value, [10.0, -10.0, np.nan, np.nan])


def test_field_with_unit_conversion():
    v = compute(ind(unit="元", formula={"kind": "field", "field": "tax"}), DATA, SPECS)
    np.testing.assert_allclose(v.value[:3], [300000.0, -50000.0, 100000.0])


def _raw():
    return tomllib.loads((METHODS_DIR / "zj-mujun-huangyan-2022.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule, expected", [("impute_mean", 3.0), ("impute_median", 2.0)])
def test_imputation_fills_values_after_the_benchmark(rule, expected):
    data = _raw()
    data["segments"]["规上"]["indicators"][4]["missing"] = rule  # labour productivity
    rows = [
        {"employees": 500 / 18.14},
        {"employees": 500 / (2 * 18.14)},
        {"employees": 500 / (6 * 18.14)},
        {"employees": None},
    ]
    t = evaluate(parse_method(data), make_frame(rows)).table
    filled = t.filter(pl.col("labour_productivity").is_null())
    assert filled["score__labour_productivity"][0] == pytest.approx(10 * expected)


def test_growth_indicator_scored_against_a_target_end_to_end():
    data = _raw()
    data["fields"] = {"value_added_prev_wan": {"unit": "万元"}}
    data["indicators"].append(
        {
            "id": "va_growth",
            "name": "增加值增速",
            "unit": "%",
            "formula": {
                "kind": "growth",
                "current": "value_added_wan",
                "previous": "value_added_prev_wan",
            },
        }
    )
    data["segments"]["规上"]["indicators"].append(
        {"indicator": "va_growth", "weight": 10, "scoring": {"kind": "target", "target": 20.0}}
    )
    frame = make_frame([{"value_added_prev_wan": 500.0}, {"value_added_prev_wan": 400.0}])
    t = evaluate(parse_method(data), frame).table.sort("va_growth")
    assert t["va_growth"].to_list() == [0.0, 25.0]
    assert t["score__va_growth"].to_list() == [0.0, 10.0]


def test_pillar_tree_end_to_end():
    data = _raw()
    seg = data["segments"]["规上"]
    seg["pillars"] = [
        {"id": "land", "name": "用地效益", "weight": 60},
        {"id": "green", "name": "绿色创新", "weight": 40},
    ]
    for i, item in enumerate(seg["indicators"]):
        item["pillar"] = "land" if i < 2 else "green"
    t = evaluate(parse_method(data), make_frame([at_benchmarks(HY22)])).table
    assert t["score"][0] == pytest.approx(100.0)
    # tax_per_mu: 30 of the land pillar's 50 → 60 × 30/50 = 36
    assert t["score__tax_per_mu"][0] == pytest.approx(36.0)


def test_exclude_veto_takes_the_entity_out():
    data = _raw()
    data["vetoes"] = [
        {
            "id": "fraud",
            "name": "数据造假",
            "column": "fraud",
            "effect": "exclude",
            "required": True,
        }
    ]
    frame = make_frame([{"name": "a"}, {"name": "b"}]).with_columns(pl.Series("fraud", [1, 0]))
    t = evaluate(parse_method(data), frame).table
    a = t.filter(pl.col("name") == "a").row(0, named=True)
    assert a["class"] is None and "数据造假" in a["note"]
    with pytest.raises(Exception, match="缺少列：fraud"):
        evaluate(parse_method(data), frame.drop("fraud"))


def test_synthetic_usccs_are_valid_and_distinct():
    codes = usccs(500, np.random.default_rng(1))
    assert len(set(codes)) == 500 and all(is_valid(c) for c in codes)
    assert enterprises(50, seed=3).equals(enterprises(50, seed=3))
