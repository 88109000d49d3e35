import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pingtai.engine import evaluate, load_method
from pingtai.engine.explain import contributions, contributions_all, improvement_paths
from pingtai.engine.methods import parse_method
from pingtai.engine.synthetic import enterprises
from pingtai.engine.synthetic import frame_from_rows as make_frame

METHODS_DIR = Path(__file__).resolve().parents[2] / "src" / "pingtai" / "methods"


def raw(method_id="zj-mujun-huangyan-2022"):
    return tomllib.loads((METHODS_DIR / f"{method_id}.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result():
    return evaluate(load_method("zj-mujun-huangyan-2022"), enterprises(400, seed=4))


def test_contributions_add_up_to_the_score(result):
    row = result.table.row(10, named=True)
    c = contributions(result, row["uscc"])
    assert c["contribution"].sum() == pytest.approx(row["score"])
    tax = c.filter(pl.col("indicator") == "tax_per_mu").row(0, named=True)
    assert tax["benchmark"] == 24.097 and tax["weight"] == 30
    assert tax["contribution"] == pytest.approx(30 * row["tax_per_mu"] / 24.097)


@pytest.mark.parametrize("kind", ["weighted_sum", "topsis", "geometric"])
def test_the_stored_breakdown_of_every_firm_is_each_firms_own_breakdown(kind):
    """contributions_all (stored with a run, read by the portrait) gives, firm by firm, what
    contributions gives for that firm alone — also for the non-additive aggregations, where a
    part is the score lost when that indicator alone falls to the segment median."""
    data = raw()
    data["segments"]["规上"]["aggregation"] = {"kind": kind}
    result = evaluate(parse_method(data), enterprises(120, seed=11))
    every = contributions_all(result)
    scored = result.table.filter(pl.col("score").is_not_null())
    assert set(every["entity_id"]) == set(scored["uscc"])
    for uscc in scored["uscc"].sample(8, seed=1):
        alone = contributions(result, uscc)
        # Equal up to the last bits of vectorised sums over different row counts.
        assert_frame_equal(every.filter(pl.col("entity_id") == uscc).drop("entity_id"), alone)
    if kind == "weighted_sum":
        sums = every.group_by("entity_id").agg(
            pl.col("contribution").sum(), pl.col("score").first()
        )
        assert np.allclose(sums["contribution"], sums["score"])
    else:
        changed = set(scored.filter(pl.col("segment") == "规上")["uscc"])
        notes = every.filter(pl.col("entity_id").is_in(changed))["note"]
        assert len(notes) and notes.str.contains("非加性").all()


def test_explaining_an_unknown_or_unscored_entity_fails_clearly(result):
    with pytest.raises(KeyError, match="找不到主体"):
        contributions(result, "NOPE")


def _rescore(result, uscc, column, value):
    frame = enterprises(400, seed=4)
    frame = frame.with_columns(
        pl.when(pl.col("uscc") == uscc).then(value).otherwise(pl.col(column)).alias(column)
    )
    return evaluate(result.method, frame).table.filter(pl.col("uscc") == uscc).row(0, named=True)


def test_single_indicator_path_reaches_the_next_class(result):
    paths = improvement_paths(result, "class")
    single = paths.filter(
        (pl.col("path") == "single") & (pl.col("indicator") == "tax_per_mu") & pl.col("reachable")
    )
    row = single.row(0, named=True)
    before = result.table.filter(pl.col("uscc") == row["entity_id"]).row(0, named=True)
    land = enterprises(400, seed=4).filter(pl.col("uscc") == row["entity_id"])["land_mu"][0]
    after = _rescore(result, row["entity_id"], "tax_wan", row["required_value"] * land * (1 + 1e-9))
    assert after["score"] == pytest.approx(row["target_score"], rel=1e-6)
    assert after["score"] >= before["score"]


def test_weighted_sum_single_paths_are_linear_by_hand(result):
    paths = improvement_paths(result, "class")
    row = paths.filter(
        (pl.col("path") == "single") & (pl.col("indicator") == "labour_productivity")
    ).row(0, named=True)
    gap = row["target_score"] - row["score"]
    assert row["required_value"] - row["current_value"] == pytest.approx(gap * 18.14 / 10, rel=1e-6)


def test_combined_path_is_an_equal_percentage_for_linear_scores(result):
    paths = improvement_paths(result, "rank")
    row = paths.filter(pl.col("path") == "combined").row(0, named=True)
    # With no caps and no missing values every indicator score scales with (1 + p).
    entity = result.table.filter(pl.col("uscc") == row["entity_id"]).row(0, named=True)
    if entity["va_per_emission"] is not None:
        assert row["change_pct"] == pytest.approx(
            (row["target_score"] / row["score"] - 1) * 100, rel=1e-6
        )


def test_capped_indicator_cannot_reach_a_far_target():
    data = raw("lishui-mujun-default")
    method = parse_method(data)
    r = evaluate(method, enterprises(300, seed=8))
    p = improvement_paths(r, "class")
    assert {"reachable"} <= set(p.columns)
    assert not p.filter(pl.col("path") == "single")["reachable"].all()  # caps at 1.5 × weight bite


def test_robustness_columns_and_determinism():
    method = load_method("zj-mujun-huangyan-2022")
    frame = enterprises(300, seed=5)
    a = evaluate(method, frame, robustness_draws=40, seed=1)
    b = evaluate(method, frame, robustness_draws=40, seed=1)
    c = evaluate(method, frame, robustness_draws=40, seed=2)
    assert a.table.equals(b.table)
    assert not a.table.equals(c.table)
    t = a.table.filter(pl.col("score").is_not_null())
    assert (t["rank_p05"] <= t["rank_median"]).all() and (t["rank_median"] <= t["rank_p95"]).all()
    probs = t.select([f"p_class_{k}" for k in "ABCD"]).sum_horizontal()
    np.testing.assert_allclose(probs.to_numpy(), 1.0)


def test_almost_fixed_weights_reproduce_the_base_ranks():
    data = raw()
    data["robustness"] = {"concentration": 1e9}
    r = evaluate(parse_method(data), enterprises(200, seed=6), robustness_draws=10)
    t = r.table.filter(pl.col("score").is_not_null())
    assert (t["rank_median"] == t["rank_order"]).all()
    assert t["robust_flag"].is_null().all()


def test_wide_perturbation_flags_boundary_entities():
    data = raw()
    data["robustness"] = {
        "weights": "perturb",
        "spread": 0.9,
        "alternatives": ["minmax", "percentile"],
    }
    r = evaluate(parse_method(data), enterprises(300, seed=6), robustness_draws=60)
    flags = r.table["robust_flag"].drop_nulls()
    assert flags.str.contains("class_unstable").any()


def test_robustness_with_entropy_weights_and_a_tiny_segment():
    data = raw()
    for seg in ("规上", "规下"):
        for item in data["segments"][seg]["indicators"]:
            del item["weight"]
        data["segments"][seg]["weighting"] = {"kind": "entropy"}
    frame = make_frame([{"segment": "规下"}, {}, {"tax_wan": 300.0}, {"tax_wan": 150.0}])
    r = evaluate(parse_method(data), frame, robustness_draws=20)
    t = r.table.filter(pl.col("score").is_not_null())
    assert t.height == 4 and t["rank_median"].is_not_null().all()
