"""Industry comparison groups: GB/T 4754 codes in the input, fallback chains checked by hand on
crafted firms, group benchmarks as Σ numerator ÷ Σ denominator of the members (property test),
reference benchmarks and the clean-energy deduction."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingtai.engine import InputError, MethodError, evaluate, load_method
from pingtai.engine.explain import contributions, improvement_paths
from pingtai.engine.methods import parse_method
from pingtai.engine.synthetic import enterprises
from pingtai.engine.synthetic import frame_from_rows as make_frame

METHODS_DIR = Path(__file__).resolve().parents[2] / "src" / "pingtai" / "methods"
A, B, C = "331102", "331121", "331122"


def method(by: list[str], *, min_size: int | None = 3, fixed: float | None = None, **extra):
    """One segment scored on 亩均税收 alone (weight 100), benchmarks and ranks grouped by ``by``."""
    bench = {"kind": "fixed", "value": fixed} if fixed else {"kind": "ratio_of_sums", "by": by}
    raw = {
        "id": "industry-test",
        "version": "1",
        "title": "行业分组测试",
        "description": "测试用",
        "effective": {"from": "2024-01-01"},
        "source": {"document": "测试"},
        "indicators": [
            {
                "id": "tax_per_mu",
                "name": "亩均税收",
                "unit": "万元/亩",
                "formula": {"kind": "ratio", "numerator": ["tax_wan"], "denominator": ["land_mu"]},
            }
        ],
        "segments": {
            "规上": {
                "name": "规上",
                "indicators": [
                    {
                        "indicator": "tax_per_mu",
                        "weight": 100,
                        "scoring": {"kind": "benchmark_ratio", "benchmark": bench},
                    }
                ],
                "classes": {
                    "kind": "thresholds",
                    "bands": [{"class": "A", "min_score": 100}, {"class": "B"}],
                },
            }
        },
        "ranking": {"by": by},
        **extra,
    }
    if min_size is not None:
        raw["grouping"] = {"min_size": min_size}
    return parse_method(raw)


# Twelve crafted firms, 10 亩 each (tax in 万元). With a minimum group size of 3:
#   a1–a4 C3311 (4 firms)                      → their own 小类 C3311
#   b1–b2 C3312 (2): 中类 C331 has 6           → C331
#   c1    C3391 (1): 中类 C339 has 1, 大类 C33 has 7 → C33
#   d1    no code, county A                    → county A (8 firms)
#   e1–e2 C1713 (2) and f1 C2231 (1), county B: industry groups of 1–2, county B has 3 → county B
#   g1    C3484, alone in county C             → the whole segment (12 firms)
FIRMS = [
    ("a1", "C3311", A, 100),
    ("a2", "3311", A, 200),
    ("a3", "C3311", A, 300),
    ("a4", "c3311", A, 400),
    ("b1", "C3312", A, 500),
    ("b2", "C3312", A, 700),
    ("c1", "C3391", A, 50),
    ("d1", None, A, 150),
    ("e1", "C1713", B, 60),
    ("e2", "1713", B, 90),
    ("f1", "C2231", B, 120),
    ("g1", "C3484", C, 30),
]


def crafted() -> pl.DataFrame:
    return make_frame(
        [
            {"name": n, "industry_code": code, "county_code": county, "tax_wan": float(tax)}
            for n, code, county, tax in FIRMS
        ]
    )


def rows(result) -> dict[str, dict]:
    return {r["name"]: r for r in result.table.iter_rows(named=True)}


def test_codes_with_or_without_the_section_letter_give_the_same_levels():
    r = rows(evaluate(method(["industry_4"]), crafted()))
    assert r["a2"]["industry_code"] == r["a4"]["industry_code"] == "C3311"
    assert r["e2"]["industry_code"] == "C1713"
    assert r["d1"]["industry_code"] is None


def test_fallback_chain_on_crafted_groups_checked_by_hand():
    r = rows(evaluate(method(["industry_4"]), crafted()))
    expected = {
        # name: (group, level, size, Σtax ÷ Σland)
        "a1": ("规上|C3311", "行业小类", 4, 1000 / 40),
        "b1": ("规上|C331", "行业中类", 6, 2200 / 60),
        "c1": ("规上|C33", "行业大类", 7, 2250 / 70),
        "d1": (f"规上|{A}", "县（市、区）", 8, 2400 / 80),
        "e1": (f"规上|{B}", "县（市、区）", 3, 270 / 30),
        "f1": (f"规上|{B}", "县（市、区）", 3, 270 / 30),
        "g1": ("规上", "全部", 12, 2700 / 120),
    }
    for name, (group, level, size, bench) in expected.items():
        got = r[name]
        assert (got["bench_group"], got["bench_group_level"], got["bench_group_size"]) == (
            group,
            level,
            size,
        ), name
        assert got["bench__tax_per_mu"] == pytest.approx(bench, rel=1e-12), name
        assert got["score"] == pytest.approx(100 * got["tax_per_mu"] / bench, rel=1e-12)


def test_ranks_cover_every_member_of_a_fallback_group():
    # A fixed benchmark makes the score proportional to tax, so ranks can be read off the table.
    r = rows(evaluate(method(["industry_4"], fixed=20.0), crafted()))
    # County A in tax order: b2 700, b1 500, a4 400, a3 300, a2 200, d1 150, a1 100, c1 50.
    assert (r["d1"]["group"], r["d1"]["rank"], r["d1"]["group_size"]) == (f"规上|{A}", 6, 8)
    # C33: b2, b1, a4, a3, a2, a1, c1.
    assert (r["c1"]["group"], r["c1"]["rank"], r["c1"]["group_size"]) == ("规上|C33", 7, 7)
    # The whole segment, 30 being the smallest tax of all twelve.
    assert (r["g1"]["group"], r["g1"]["rank"], r["g1"]["group_size"]) == ("规上", 12, 12)
    assert r["a1"]["group_level"] == "行业小类" and r["a1"]["rank"] == 4
    # Class A = score ≥ 100 = tax ≥ 200: a2, a3, a4, b1, b2, all in county A and in C33.
    assert r["d1"]["group_top_count"] == 5
    assert r["c1"]["group_top_count"] == 5
    assert r["a1"]["group_top_count"] == 3
    assert r["e1"]["group_top_count"] == 0
    assert r["g1"]["group_top_count"] == 5


def test_default_minimum_group_size_is_ten():
    firms = [{"name": f"x{i}", "industry_code": "C3311"} for i in range(10)]
    firms += [{"name": f"y{i}", "industry_code": "C3312"} for i in range(9)]
    r = rows(evaluate(method(["industry_4"], min_size=None), make_frame(firms)))
    assert (r["x0"]["bench_group"], r["x0"]["bench_group_size"]) == ("规上|C3311", 10)
    assert (r["y0"]["bench_group"], r["y0"]["bench_group_size"]) == ("规上|C331", 19)


def test_an_input_without_industry_codes_falls_back_with_a_warning():
    frame = crafted().drop("industry_code")
    result = evaluate(method(["industry_2"]), frame)
    r = rows(result)
    assert r["a1"]["bench_group"] == f"规上|{A}" and r["g1"]["bench_group"] == "规上"
    assert any("industry_code" in w and "县（市、区）、全部" in w for w in result.warnings)
    assert "industry_code" not in result.table.columns or r["a1"]["industry_code"] is None


def test_invalid_industry_codes_are_refused_row_by_row():
    frame = make_frame(
        [
            {"industry_code": "C3311"},
            {"industry_code": "A3311"},
            {"industry_code": "9912"},
            {"industry_code": "331"},
        ]
    )
    with pytest.raises(InputError) as e:
        evaluate(method(["industry_4"]), frame)
    assert e.value.problems == [
        "第 3 行，列 industry_code：行业代码“A3311”的门类应为 C，而不是 A",
        "第 4 行，列 industry_code：行业代码“9912”的大类 99 不存在",
        "第 5 行，列 industry_code：行业代码“331”应为门类字母加4位小类代码，如 C3484",
    ]


def test_reference_benchmarks_sit_next_to_the_one_scored_against():
    m = method(
        ["industry_4"],
        output={
            "references": [
                {"name": "county", "label": "本县", "by": ["county_code"]},
                {"name": "industry", "label": "本行业", "by": ["industry_2"]},
            ]
        },
    )
    r = rows(evaluate(m, crafted()))
    assert r["a1"]["ref_county__tax_per_mu"] == pytest.approx(2400 / 80)
    assert r["e1"]["ref_county__tax_per_mu"] == pytest.approx(270 / 30)
    assert r["a1"]["ref_industry__tax_per_mu"] == pytest.approx(2250 / 70)
    assert (r["a1"]["ref_industry_group"], r["a1"]["ref_industry_group_size"]) == ("规上|C33", 7)
    # 大类 C17 has 2 firms: the industry reference falls back to county B like the benchmark.
    assert r["e1"]["ref_industry_group_level"] == "县（市、区）"


def test_renewable_energy_is_deducted_where_the_method_says_so():
    raw = tomllib.loads((METHODS_DIR / "lishui-mujun-default.toml").read_text(encoding="utf-8"))
    raw["indicators"][2]["deduct"] = {"energy_tce": "renewable_tce"}
    m = parse_method(raw)
    frame = make_frame(
        [
            {"name": "有抵扣", "energy_tce": 100.0, "renewable_tce": 30.0},
            {"name": "抵扣超过能耗", "energy_tce": 100.0, "renewable_tce": 150.0},
            {"name": "未报清洁能源", "energy_tce": 100.0, "renewable_tce": None},
        ]
    )
    r = rows(evaluate(m, frame))
    assert r["有抵扣"]["deduct__energy_tce"] == 30.0
    assert r["有抵扣"]["va_per_energy"] == pytest.approx(500 / 70)
    assert r["抵扣超过能耗"]["deduct__energy_tce"] == 100.0
    assert r["抵扣超过能耗"]["va_per_energy"] is None  # net energy 0: a zero denominator
    assert r["未报清洁能源"]["deduct__energy_tce"] == 0.0
    assert r["未报清洁能源"]["va_per_energy"] == pytest.approx(5.0)
    # The benchmark is the ratio of sums over net energy: 1000 ÷ (70 + 100).
    assert r["有抵扣"]["bench__va_per_energy"] == pytest.approx(1000 / 170)
    # Without the option the same input is scored on gross energy.
    plain = rows(evaluate(load_method("lishui-mujun-default"), frame))
    assert plain["有抵扣"]["va_per_energy"] == pytest.approx(5.0)
    assert "deduct__energy_tce" not in plain["有抵扣"]


def test_optional_columns_absent_or_empty_give_the_same_input_hash():
    frame = enterprises(40, seed=5)
    m = load_method("lishui-mujun-default")
    empty = frame.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("renewable_tce"),
        pl.lit(None, dtype=pl.Float64).alias("co2_t"),
    )
    a, b = evaluate(m, frame), evaluate(m, empty)
    assert a.input_hash == b.input_hash and a.result_hash == b.result_hash
    filled = empty.with_columns(pl.lit(1.0).alias("renewable_tce"))
    assert evaluate(m, filled).input_hash != a.input_hash


def test_methods_written_before_the_new_options_keep_their_canonical_json():
    m = load_method("lishui-mujun-default")
    text = m.canonical_json()
    assert '"grouping"' not in text and '"deduct"' not in text and '"references"' not in text
    data = tomllib.loads((METHODS_DIR / "lishui-mujun-default.toml").read_text(encoding="utf-8"))
    data["grouping"] = {"min_size": 5}
    assert parse_method(data).hash != m.hash


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["ranking"].update(by=["industry_2", "industry_4"]), "最多含一级行业"),
        (lambda r: r["ranking"].update(by=["industry_5"]), "分组列“industry_5”不是输入列"),
        (
            lambda r: r.update(grouping={"fallback": [["industry_2"], []]}),
            "退级分组不能再含行业",
        ),
        (
            lambda r: r.update(grouping={"industry_levels": ["industry_2", "industry_4"]}),
            "必须由细到粗排列",
        ),
        (
            lambda r: r["indicators"][0].update(deduct={"tax_wan": "renewable_tce"}),
            "量纲不同",
        ),
        (
            lambda r: r["indicators"][0].update(deduct={"energy_tce": "renewable_tce"}),
            "扣减对象必须是本指标公式中的字段",
        ),
        (
            lambda r: r.update(
                output={
                    "references": [
                        {"name": "x", "label": "甲", "by": []},
                        {"name": "x", "label": "乙", "by": []},
                    ]
                }
            ),
            "参照名称“x”重复",
        ),
    ],
)
def test_bad_grouping_options_are_refused_with_the_key_path(change, message):
    raw = tomllib.loads((METHODS_DIR / "lishui-mujun-default.toml").read_text(encoding="utf-8"))
    raw["segments"]["规上"]["indicators"][0]["scoring"]["benchmark"]["by"] = ["industry_4"]
    change(raw)
    with pytest.raises(MethodError) as e:
        parse_method(raw)
    assert any(message in p for p in e.value.problems), e.value.problems


def test_scorers_of_one_segment_must_share_their_group():
    raw = tomllib.loads((METHODS_DIR / "lishui-mujun-default.toml").read_text(encoding="utf-8"))
    raw["segments"]["规上"]["indicators"][0]["scoring"]["benchmark"]["by"] = ["industry_4"]
    with pytest.raises(MethodError) as e:
        parse_method(raw)
    assert any("同一分组" in p for p in e.value.problems)


CODES = ["C3311", "C3312", "C3391", "C1713", "C1711", "C2231", None]
LEVEL_COLUMN = {
    "行业小类": "industry_4",
    "行业中类": "industry_3",
    "行业大类": "industry_2",
    "县（市、区）": "county_code",
}


def _levels(code: str | None) -> dict[str, str | None]:
    if code is None:
        return dict.fromkeys(("industry_4", "industry_3", "industry_2"))
    return {"industry_4": code, "industry_3": code[:4], "industry_2": code[:3]}


@settings(max_examples=40, deadline=None)
@given(
    firms=st.lists(
        st.tuples(
            st.sampled_from(CODES),
            st.sampled_from([A, B, C]),
            st.floats(0.5, 500),
            st.floats(-50, 5000),
        ),
        min_size=1,
        max_size=50,
    ),
    min_size=st.integers(1, 12),
)
def test_group_benchmark_is_the_ratio_of_sums_of_its_members(firms, min_size):
    frame = make_frame(
        [
            {"name": f"f{i}", "industry_code": c, "county_code": k, "land_mu": land, "tax_wan": tax}
            for i, (c, k, land, tax) in enumerate(firms)
        ]
    )
    result = evaluate(method(["industry_4"], min_size=min_size), frame)
    table = result.table
    info = [{"county_code": k, **_levels(c)} for c, k, _, _ in firms]
    land = np.array([f[2] for f in firms])
    tax = np.array([f[3] for f in firms])
    for r in table.iter_rows(named=True):
        i = int(r["name"][1:])
        column = LEVEL_COLUMN.get(r["bench_group_level"])
        members = [
            j for j in range(len(firms)) if column is None or info[j][column] == info[i][column]
        ]
        assert r["bench_group_size"] == len(members)
        assert r["bench__tax_per_mu"] == pytest.approx(
            tax[members].sum() / land[members].sum(), rel=1e-9, abs=1e-9
        )
        # The level is the first of the chain whose group is large enough (the last always is).
        chain = [c for c in ("industry_4", "industry_3", "industry_2") if info[i][c] is not None]
        sizes = [sum(info[j][c] == info[i][c] for j in range(len(firms))) for c in chain]
        county = sum(info[j]["county_code"] == info[i]["county_code"] for j in range(len(firms)))
        expected = next(
            (level for level, s in zip(chain, sizes, strict=True) if s >= min_size),
            "county_code" if county >= min_size else None,
        )
        assert column == expected
        assert 1 <= r["rank_order"] <= r["group_size"]


def test_robustness_and_explanations_run_over_fallback_groups():
    frame = enterprises(300, seed=11)
    codes = np.array(CODES, dtype=object)[np.random.default_rng(2).integers(0, 7, frame.height)]
    frame = frame.with_columns(pl.Series("industry_code", list(codes), dtype=pl.String))
    raw = tomllib.loads((METHODS_DIR / "lishui-mujun-default.toml").read_text(encoding="utf-8"))
    for item in raw["segments"]["规上"]["indicators"]:
        item["scoring"]["benchmark"]["by"] = ["industry_4"]
    raw["ranking"]["by"] = ["industry_2"]
    result = evaluate(parse_method(raw), frame, robustness_draws=64, seed=1)
    t = result.table.filter(pl.col("rank").is_not_null())
    assert (t["rank_p05"] >= 1).all() and (t["rank_p95"] <= t["group_size"]).all()
    assert set(t["group_level"]) >= {"行业大类"}
    first = t["uscc"][0]
    paths = improvement_paths(result, "rank", t["uscc"].to_list())
    assert paths.height > 0
    assert contributions(result, first)["benchmark"].is_not_null().all()
