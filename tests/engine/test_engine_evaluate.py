import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pingtai.engine import InputError, Regrade, evaluate, load_method
from pingtai.engine.methods import parse_method
from pingtai.engine.synthetic import at_benchmarks
from pingtai.engine.synthetic import frame_from_rows as make_frame

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


def raw(method_id):
    return tomllib.loads((METHODS_DIR / f"{method_id}.toml").read_text(encoding="utf-8"))


def scaled(factor):
    return {k: v * factor for k, v in HY22.items()}


def by_name(result):
    return {r["name"]: r for r in result.table.iter_rows(named=True)}


def test_a_firm_exactly_at_every_benchmark_scores_100():
    frame = make_frame([{"name": "at", **at_benchmarks(HY22)}])
    t = evaluate(load_method("zj-mujun-huangyan-2022"), frame).table
    assert t["score"][0] == pytest.approx(100.0, abs=1e-9)
    for ind in HY22:
        assert t[ind][0] == pytest.approx(HY22[ind])


def test_hand_computed_huangyan_2022_score():
    # land 10 亩, tax 300 → 30 万元/亩; VA 1000 → 100 万元/亩; energy 500 → 2 万元/吨标煤;
    # emission 0.25 → 4000 万元/吨; 50 staff → 20 万元/人; R&D 60 / revenue 2000 = 0.03.
    row = {
        "land_mu": 10,
        "tax_wan": 300,
        "value_added_wan": 1000,
        "energy_tce": 500,
        "emission_t": 0.25,
        "employees": 50,
        "rd_wan": 60,
        "revenue_wan": 2000,
    }
    t = evaluate(load_method("zj-mujun-huangyan-2022"), make_frame([row])).table
    expected = (
        30 * 30 / 24.097
        + 20 * 100 / 136.16
        + 20 * 2 / 2.694
        + 10 * 4000 / 4929.81
        + 10 * 20 / 18.14
        + 10 * 0.03 / 0.0302
    )
    assert t["score"][0] == pytest.approx(expected, rel=1e-12)
    assert t["score__tax_per_mu"][0] == pytest.approx(30 * 30 / 24.097)


def test_small_firm_scores_tax_per_mu_and_tax_per_electricity():
    row = {"segment": "规下", "land_mu": 5, "tax_wan": 5 * 11.5932 * 2, "electricity_wan_kwh": 100}
    t = evaluate(load_method("zj-mujun-huangyan-2022"), make_frame([row])).table
    tax_per_kwh = 5 * 11.5932 * 2 / 100
    assert t["score"][0] == pytest.approx(50 * 2 + 50 * tax_per_kwh / 0.2352)
    assert t["va_per_mu"][0] is None  # not an indicator of 规下


def test_missing_emission_gets_the_segment_average_score_in_2022_and_zero_in_2021():
    rows = [
        {"name": "one", **at_benchmarks(HY22)},
        {"name": "two", **at_benchmarks(scaled(2.0))},
        {"name": "gap", **at_benchmarks(HY22), "emission_t": None},
    ]
    frame = make_frame(rows)
    t22 = by_name(evaluate(load_method("zj-mujun-huangyan-2022"), frame))
    assert t22["gap"]["score__va_per_emission"] == pytest.approx(15.0)  # mean of n = 1 and 2, × 10
    assert t22["gap"]["score"] == pytest.approx(105.0)
    t21 = by_name(evaluate(load_method("zj-mujun-huangyan-2021"), frame))
    assert t21["gap"]["score__va_per_emission"] == 0.0


def test_firm_without_land_is_excluded_with_the_reason():
    rows = [{"name": "ok"}, {"name": "noland", "land_mu": None}]
    t = by_name(evaluate(load_method("zj-mujun-huangyan-2022"), make_frame(rows)))
    assert (
        t["noland"]["score"] is None
        and t["noland"]["class"] is None
        and t["noland"]["rank"] is None
    )
    assert "亩均税收" in t["noland"]["note"] and "不参评" in t["noland"]["note"]
    assert t["ok"]["rank"] == 1


def test_zero_denominator_is_missing_and_scores_zero():
    rows = [{"name": "a", "energy_tce": 0.0}]
    t = evaluate(load_method("zj-mujun-huangyan-2022"), make_frame(rows)).table
    assert t["va_per_energy"][0] is None
    assert t["score__va_per_energy"][0] == 0.0


def test_exempt_segment_is_class_t_and_unscored():
    t = by_name(
        evaluate(
            load_method("zj-mujun-huangyan-2022"),
            make_frame([{"name": "u", "segment": "T"}, {"name": "s"}]),
        )
    )
    assert t["u"]["class"] == "T" and t["u"]["score"] is None and t["u"]["rank"] is None


def test_lishui_segment_rules_send_small_plots_and_landless_firms_to_t():
    rows = [
        {"name": "big", "segment": "规下", "land_mu": 5},
        {"name": "small", "segment": "规下", "land_mu": 2.5},
        {"name": "noland", "land_mu": 0.0},
        {"name": "s"},
    ]
    t = by_name(evaluate(load_method("lishui-mujun-default"), make_frame(rows)))
    assert t["small"]["segment"] == "规下不足3亩" and t["small"]["class"] == "T"
    assert t["small"]["segment_input"] == "规下"
    assert t["noland"]["segment"] == "无用地"
    assert t["big"]["segment"] == "规下" and t["big"]["score"] == pytest.approx(100.0)


def test_lishui_default_caps_at_one_and_a_half_times_the_weight_and_floors_at_zero():
    rows = [{"name": "x", "tax_wan": 10_000.0}, {"name": "y", "tax_wan": -50.0}] + [
        {"name": f"f{i}"} for i in range(5)
    ]
    t = by_name(evaluate(load_method("lishui-mujun-default"), make_frame(rows)))
    assert t["x"]["score__tax_per_mu"] == pytest.approx(45.0)
    assert t["y"]["score__tax_per_mu"] == 0.0


def test_lishui_benchmark_is_the_ratio_of_sums():
    rows = [{"land_mu": 10, "tax_wan": 100}, {"land_mu": 30, "tax_wan": 900}]
    r = evaluate(load_method("lishui-mujun-default"), make_frame(rows))
    b = r.benchmarks.filter((pl.col("segment") == "规上") & (pl.col("indicator") == "tax_per_mu"))[
        "benchmark"
    ][0]
    assert b == pytest.approx(1000 / 40)


def test_veto_forces_class_d_and_records_the_reason():
    rows = [{"name": f"f{i}", "tax_wan": 100.0 + i} for i in range(9)]
    frame = make_frame(rows).with_columns(pl.Series("veto_major_incident", ["是"] + [""] * 8))
    t = evaluate(load_method("lishui-mujun-default"), frame).table
    top = t.filter(pl.col("name") == "f0")
    assert top["class"][0] == "D"
    assert "重大安全生产" in top["note"][0]
    assert top["class_initial"][0] != "D"


def test_missing_optional_veto_column_is_reported_as_not_checked():
    r = evaluate(load_method("lishui-mujun-default"), make_frame([{}]))
    assert any("veto_major_incident" in w and "未检查" in w for w in r.warnings)


def test_adjustments_points_and_ratio_with_caps():
    data = raw("zj-mujun-huangyan-2022")
    data["adjustments"] = [
        {
            "id": "patent",
            "name": "发明专利",
            "column": "patents",
            "kind": "points",
            "per_unit": 2,
            "cap": 5,
        },
        {
            "id": "pollution",
            "name": "环保处罚",
            "column": "fines",
            "kind": "ratio",
            "per_unit": -0.1,
        },
    ]
    data["adjustment_limits"] = {"max_deduction_ratio": 0.15}
    method = parse_method(data)
    frame = make_frame(
        [
            {"name": "a", **at_benchmarks(HY22), "patents": 4, "fines": 1},
            {"name": "b", **at_benchmarks(HY22), "patents": 1, "fines": 3},
        ]
    )
    t = by_name(evaluate(method, frame))
    assert t["a"]["score"] == pytest.approx(100 * 0.9 + 5)  # 4 × 2 = 8, capped at 5
    assert t["b"]["score"] == pytest.approx(100 * 0.85 + 2)  # −0.3, limited to −0.15
    assert t["a"]["score_base"] == pytest.approx(100)


def test_declared_field_units_are_converted():
    data = raw("zj-mujun-huangyan-2022")
    data["fields"] = {
        "land_mu": {"unit": "公顷"},
        "tax_wan": {"unit": "元", "allow_negative": True},
    }
    method = parse_method(data)
    frame = make_frame([{"land_mu": 2.0, "tax_wan": 3_000_000.0}])  # 2 ha = 30 亩; 300 万元
    t = evaluate(method, frame).table
    assert t["tax_per_mu"][0] == pytest.approx(10.0)
    assert t["va_per_mu"][0] == pytest.approx(500 / 30)


def test_manual_regrade_needs_a_reason_and_keeps_the_initial_class():
    frame = make_frame([{"name": f"f{i}", "tax_wan": 100.0 + i} for i in range(5)])
    method = load_method("zj-mujun-huangyan-2022")
    first = evaluate(method, frame).table.row(0, named=True)
    with pytest.raises(InputError, match="必须填写调档理由"):
        evaluate(method, frame, regrades=[Regrade(first["uscc"], "D", " ")])
    with pytest.raises(InputError, match="不属于分类"):
        evaluate(method, frame, regrades=[Regrade(first["uscc"], "T", "x")])
    t = evaluate(
        method, frame, regrades=[Regrade(first["uscc"], "D", "复核发现数据造假", "市办张三")]
    ).table
    row = t.filter(pl.col("uscc") == first["uscc"]).row(0, named=True)
    assert (row["class_initial"], row["class"], row["regrade_reason"], row["regrade_by"]) == (
        first["class"],
        "D",
        "复核发现数据造假",
        "市办张三",
    )


def test_ranks_within_county_groups_and_ties_share_a_rank():
    rows = [
        {"name": "a", "county_code": "331102"},
        {"name": "b", "county_code": "331102"},
        {"name": "c", "county_code": "331121", "tax_wan": 200.0},
        {"name": "d", "county_code": "331121"},
    ]
    t = by_name(evaluate(load_method("lishui-mujun-default"), make_frame(rows)))
    assert (t["a"]["rank"], t["b"]["rank"]) == (1, 1)
    assert sorted([t["a"]["rank_order"], t["b"]["rank_order"]]) == [1, 2]
    assert t["a"]["rank_order"] < t["b"]["rank_order"] if t["a"]["uscc"] < t["b"]["uscc"] else True
    assert (t["c"]["rank"], t["d"]["rank"]) == (1, 2)
    assert t["c"]["group"] == "规上|331121" and t["c"]["group_size"] == 2


def test_input_errors_name_row_and_column():
    frame = make_frame([{}, {}, {}]).with_columns(
        pl.Series("tax_wan", ["100", "abc", "1,200"]),
        pl.Series("land_mu", [10.0, 10.0, -1.0]),
    )
    with pytest.raises(InputError) as err:
        evaluate(load_method("zj-mujun-huangyan-2022"), frame)
    assert err.value.problems == [
        "第 3 行，列 tax_wan：无法解析为数值：“abc”",
        "第 4 行，列 land_mu：不能为负数：“-1.0”",
    ]


def test_missing_columns_are_listed_together():
    with pytest.raises(InputError, match="缺少列：energy_tce、emission_t"):
        evaluate(
            load_method("zj-mujun-huangyan-2022"),
            make_frame([{}]).drop(["energy_tce", "emission_t"]),
        )


def test_bad_uscc_duplicates_and_unknown_segments_are_reported():
    frame = make_frame([{}, {}, {"segment": "服务业"}])
    codes = frame["uscc"].to_list()
    frame = frame.with_columns(
        pl.Series(
            "uscc", [codes[0], codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1"), codes[0]]
        )
    )
    with pytest.raises(InputError) as err:
        evaluate(load_method("zj-mujun-huangyan-2022"), frame)
    text = "\n".join(err.value.problems)
    assert "第 3 行，列 uscc：统一社会信用代码无效" in text
    assert "第 2 行，列 uscc：重复" in text and "第 4 行，列 uscc：重复" in text
    assert "第 4 行，列 segment：分类不在本方法中" in text


def test_same_input_gives_byte_identical_output_and_row_order_does_not_matter():
    rows = [
        {"name": f"f{i}", "tax_wan": float(50 + 7 * i % 13), "segment": "规上" if i % 3 else "规下"}
        for i in range(30)
    ]
    frame = make_frame(rows)
    method = load_method("zj-mujun-huangyan-2022")
    a = evaluate(method, frame, robustness_draws=20, seed=3)
    b = evaluate(method, frame, robustness_draws=20, seed=3)
    c = evaluate(
        method, frame.sample(fraction=1.0, shuffle=True, seed=9), robustness_draws=20, seed=3
    )
    assert a.to_csv_bytes() == b.to_csv_bytes() == c.to_csv_bytes()
    assert a.result_hash == c.result_hash and a.input_hash == c.input_hash
    assert (a.method_id, a.method_version, a.method_hash) == (
        "zj-mujun-huangyan-2022",
        "2022.1",
        method.hash,
    )
    changed = evaluate(method, frame.with_columns(pl.col("tax_wan") + 1))
    assert changed.input_hash != a.input_hash


def test_progress_is_reported():
    seen = []
    evaluate(
        load_method("zj-mujun-huangyan-2022"),
        make_frame([{}, {}]),
        progress=lambda d, t, label: seen.append((d, t, label)),
    )
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1]


def test_unpublished_indicators_are_dropped_from_the_published_table():
    data = raw("zj-mujun-huangyan-2022")
    data["indicators"][5]["publish"] = False
    r = evaluate(parse_method(data), make_frame([{}]))
    assert "rd_share" in r.table.columns
    assert (
        "rd_share" not in r.published_table().columns
        and "score__rd_share" not in r.published_table().columns
    )


@pytest.mark.parametrize("kind", ["equal", "entropy", "critic", "pca"])
def test_objective_weightings_sum_to_the_total(kind):
    data = raw("zj-mujun-huangyan-2022")
    for item in data["segments"]["规上"]["indicators"]:
        del item["weight"]
    data["segments"]["规上"]["weighting"] = {"kind": kind}
    rng = np.random.default_rng(2)
    rows = [
        {"tax_wan": float(v), "value_added_wan": float(u), "energy_tce": float(e)}
        for v, u, e in zip(
            rng.uniform(50, 500, 20),
            rng.uniform(200, 2000, 20),
            rng.uniform(50, 500, 20),
            strict=True,
        )
    ]
    r = evaluate(parse_method(data), make_frame(rows))
    w = r.weights.filter(pl.col("segment") == "规上")["weight"]
    assert w.sum() == pytest.approx(100.0)


def test_topsis_and_geometric_aggregations_run_end_to_end():
    for kind in ("topsis", "geometric"):
        data = raw("zj-mujun-huangyan-2022")
        data["segments"]["规上"]["aggregation"] = {"kind": kind}
        rows = [{"tax_wan": 100.0 + 10 * i} for i in range(6)]
        t = evaluate(parse_method(data), make_frame(rows)).table.filter(pl.col("segment") == "规上")
        assert t["score"].is_sorted(descending=True)
        assert t["score"][0] > t["score"][-1]


@pytest.mark.parametrize("regions", [3, 400_000])
def test_ids_are_ordered_as_text_and_duplicates_found_whatever_the_codes(regions):
    """The id order comes from numeric keys; with few distinct first halves (registration
    authority, type, region) one combined key is sorted, with very many the two keys are —
    both must give the order of the text and find the same duplicates."""
    from pingtai.engine.inputs import Collector, check_ids
    from pingtai.standards.uscc import ALPHABET, WEIGHTS

    rng = np.random.default_rng(regions)
    n = 400_000
    digits = rng.integers(0, 31, size=(n, 17))
    digits[:, :2] = rng.integers(0, 10, size=(n, 2)) if regions > 10 else 9
    if regions <= 10:
        digits[:, 2:8] = rng.integers(0, regions, size=(n, 1))
    digits[5] = digits[17]  # one duplicate pair
    check = (31 - (digits * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    table = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    text = table[np.column_stack([digits, check])].tobytes().decode("ascii")
    ids = pl.Series([text[i * 18 : (i + 1) * 18] for i in range(n)])
    errs = Collector()
    order = check_ids(ids, "uscc", True, np.arange(n) + 2, errs)
    assert errs.total == 2 and "第 7 行" in errs.items[0][2] and "第 19 行" in errs.items[1][2]
    ordered = ids.gather(order).to_list()
    assert ordered == sorted(ordered)
