"""Missing values follow the method file: "average score, not penalised" for growth indicators
even when nobody has a year-earlier figure; robustness flags are codes."""

from __future__ import annotations

import polars as pl

from pingtai.engine import evaluate, load_method
from pingtai.engine.robustness import FLAGS, flag_codes, flag_labels

METHOD = load_method("lishui-platform-annual")
GROWTH = ("investment_growth", "output_growth", "trade_growth", "enterprise_growth")


def frame(n: int, with_last_year: set[int]) -> pl.DataFrame:
    rows = []
    for i in range(n):
        k = i + 1
        row = {
            "platform_code": f"P{k:02d}",
            "name": f"平台{k}",
            "segment": "平台",
            "league_group": "甲",
            "land_mu": 1000.0 * k,
            "ent_tax_wan": 500.0 * k * k,
            "ent_value_added_wan": 2000.0 * k,
            "ent_rd_wan": 30.0 * k,
            "ent_revenue_wan": 9000.0 * k,
            "industrial_output": 100000.0 * k,
            "above_scale_output": 80000.0 * k,
            "above_scale_value_added": 20000.0 * k,
            "hightech_value_added": 5000.0 * k,
            "industrial_investment": 30000.0 + 100 * k,
            "foreign_capital": 100.0 * k,
            "trade_total": 5000.0 * k,
            "major_projects_signed": float(k),
            "rd_institutions": float(k),
            "innovation_complexes": 1.0,
            "management_bodies": 2.0,
            "management_staff": 50.0 + k,
            "developable_area": 3000.0 - 100 * k,
            "above_scale_enterprises": 40.0 + k,
            "ontime_rate": 100.0,
            "task_completion": 90.0,
        }
        have = i in with_last_year
        for col in ("above_scale_output", "industrial_investment", "trade_total"):
            row[f"{col}_ly"] = row[col] / (1.0 + 0.02 * k) if have else None
        row["above_scale_enterprises_ly"] = row["above_scale_enterprises"] - 1 if have else None
        rows.append(row)
    return pl.DataFrame(rows)


def test_growth_without_any_prior_year_scores_full_marks_for_everyone_with_a_warning():
    result = evaluate(METHOD, frame(4, set()))
    t = result.table
    for ind in GROWTH:
        scores = t[f"score__{ind}"].to_list()
        assert len(set(scores)) == 1 and scores[0] > 0, ind  # nobody loses points
        # Full marks = the indicator's weighted maximum (cap 1 × its effective weight).
        w = result.weights.filter(pl.col("indicator") == ind)["weight"][0]
        assert abs(scores[0] - w) < 1e-9
    text = "\n".join(result.warnings)
    assert "“规上工业总产值增速”缺少数据：平台1、平台2、平台3、平台4" in text
    assert "全部参评主体均无此数据" in text and "不扣分" in text
    assert "平台1" in text  # names, not codes


def test_growth_missing_for_some_takes_the_others_average_score():
    result = evaluate(METHOD, frame(4, {0, 1, 2}))
    t = result.table.sort("platform_code")
    for ind in GROWTH:
        col = t[f"score__{ind}"].to_list()
        assert abs(col[3] - sum(col[:3]) / 3) < 1e-9, ind
    assert any("平台4" in w and "平均得分" in w for w in result.warnings)


def test_robustness_flags_are_codes_with_labels_for_display():
    # Ten platforms of nearly equal scores: class and last place move under weight draws.
    data = frame(10, set(range(10))).with_columns(
        (pl.col("ent_tax_wan") * 0 + 1000.0).alias("ent_tax_wan"),
        (pl.col("major_projects_signed") % 3).alias("major_projects_signed"),
        (pl.col("rd_institutions") % 4).alias("rd_institutions"),
    )
    result = evaluate(METHOD, data, robustness_draws=300, seed=3)
    flags = [f for f in result.table["robust_flag"].to_list() if f]
    assert flags, "the crafted case must produce at least one flag"
    for f in flags:
        assert set(flag_codes(f)) <= set(FLAGS), f
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in f)  # no display words stored
    assert flag_labels("class_unstable,last_unstable") == "等级不稳健；末位不稳健"
    assert flag_labels("") == "" and flag_codes(None) == []


def test_smallest_change_set_names_the_fewest_indicators_and_checks_the_score():
    from pingtai.engine.explain import smallest_change_set

    result = evaluate(METHOD, frame(6, set(range(6))))
    t = result.table.sort("score")
    last, first = t.row(0, named=True), t.row(-1, named=True)
    goal = (last["score"] + first["score"]) / 2
    found = smallest_change_set(result, last["platform_code"], goal)
    assert found.reachable and len(found.changes) >= 2  # no single indicator closes this gap
    # One fewer indicator cannot do it: the k−1 largest gains fall short.
    gains = sorted((g for _, g in found.headroom), reverse=True)
    assert (
        sum(gains[: len(found.changes) - 1])
        < goal - found.score
        <= sum(gains[: len(found.changes)]) + 1e-9
    )
    # Applying the named values with the fitted scorers (others held fixed) reaches the goal.
    import numpy as np

    from pingtai.engine.normalise import bound

    seg = result.segments["平台"]
    i = int(np.flatnonzero(result.ids[seg.rows] == last["platform_code"])[0])
    n = seg.n[i].copy()
    for c in found.changes:
        j = seg.indicator_ids.index(c.indicator)
        f = seg.fitted[j]
        n[j] = bound(f.transform(np.array([c.required]), f.g[[i]]), seg.caps[j], seg.floors[j])[0]
    assert seg.composite(n[None, :], sel=np.array([i]))[0] >= goal - 1e-6
    assert abs(sum(c.gain for c in found.changes) - (goal - found.score)) < 1e-6
    assert all(c.full_marks for c in found.changes[:-1])


def test_smallest_change_set_says_when_nothing_reaches_the_goal():
    from pingtai.engine.explain import smallest_change_set

    result = evaluate(METHOD, frame(6, set(range(6))))
    t = result.table.sort("score")
    last = t.row(0, named=True)
    found = smallest_change_set(result, last["platform_code"], 100.5)
    assert not found.reachable and not found.changes
    assert found.best_score <= 100.0 + 1e-9  # every indicator at full marks is 100
