"""Property tests of the engine (docs/engine.md), with modest example counts to keep the run short."""

import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingtai.engine import evaluate, load_method
from pingtai.engine.methods import parse_method
from pingtai.engine.synthetic import at_benchmarks, enterprises
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
FAST = settings(max_examples=25, deadline=None)
positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)


def raw(method_id="zj-mujun-huangyan-2022"):
    return tomllib.loads((METHODS_DIR / f"{method_id}.toml").read_text(encoding="utf-8"))


@FAST
@given(
    bench=st.lists(positive, min_size=6, max_size=6),
    weights=st.lists(st.floats(min_value=0.5, max_value=50), min_size=6, max_size=6),
    land=st.floats(min_value=0.5, max_value=500),
)
def test_entity_at_every_benchmark_scores_the_weight_sum(bench, weights, land):
    data = raw()
    names = list(HY22)
    for item, b, w in zip(data["segments"]["规上"]["indicators"], bench, weights, strict=True):
        item["scoring"]["benchmark"]["value"] = b
        item["weight"] = w
    b = dict(zip(names, bench, strict=True))
    row = at_benchmarks(b, land=land)
    t = evaluate(parse_method(data), make_frame([row])).table
    assert t["score"][0] == pytest.approx(sum(weights), rel=1e-9)


@FAST
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 60),
    method_id=st.sampled_from(
        ["zj-mujun-huangyan-2022", "lishui-mujun-default", "lishui-mujun-industry"]
    ),
)
def test_permuting_rows_changes_nothing_but_order(seed, n, method_id):
    codes = ["C3311", "C3312", "C1713", None]
    frame = enterprises(n, seed=seed).with_columns(
        pl.Series("industry_code", [codes[i % 4] for i in range(n)], dtype=pl.String)
    )
    method = load_method(method_id)
    a = evaluate(method, frame)
    b = evaluate(method, frame.sample(fraction=1.0, shuffle=True, seed=seed + 1))
    assert a.table.equals(b.table)
    assert a.input_hash == b.input_hash


@FAST
@given(seed=st.integers(0, 10_000), factor=st.floats(min_value=1e-3, max_value=1e3))
def test_minmax_scores_are_invariant_to_scaling_a_benefit_indicator(seed, factor):
    data = raw()
    for seg in data["segments"].values():
        for item in seg.get("indicators", []):
            item["scoring"] = {"kind": "minmax"}
    method = parse_method(data)
    frame = enterprises(25, seed=seed, small_share=0.0)
    a = evaluate(method, frame).table
    b = evaluate(method, frame.with_columns(pl.col("tax_wan") * factor)).table
    np.testing.assert_allclose(a["score"].to_numpy(), b["score"].to_numpy(), rtol=1e-9, atol=1e-9)
    assert a["class"].to_list() == b["class"].to_list()


@FAST
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 120),
    shares=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=3, max_size=3),
)
def test_class_quotas_hold(seed, n, shares):
    total = sum(shares) * 1.25
    shares = [s / total for s in shares]  # the first three take 80 %, the last band the rest
    data = raw()
    for seg in ("规上", "规下"):
        for b, s in zip(data["segments"][seg]["classes"]["bands"], shares, strict=False):
            b["share"] = s
    method = parse_method(data)
    t = evaluate(method, enterprises(n, seed=seed)).table
    for seg in ("规上", "规下"):
        part = t.filter((pl.col("segment") == seg) & pl.col("class").is_not_null())
        m = part.height
        counts = part["class"].value_counts()
        got = dict(zip(counts["class"], counts["count"], strict=True))
        for cls, share in zip("ABCD", [*shares, 1 - sum(shares)], strict=True):
            assert abs(got.get(cls, 0) - share * m) < 1.0 + 1e-9
        # better classes never hold a lower score than worse ones
        worst = (
            part.group_by("class")
            .agg(pl.col("score").min().alias("lo"), pl.col("score").max().alias("hi"))
            .sort("class")
        )
        lo, hi = worst["lo"].to_list(), worst["hi"].to_list()
        assert all(lo[i] >= hi[i + 1] for i in range(len(lo) - 1))
