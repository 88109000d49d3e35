import numpy as np

from pingtai.engine import classify, rank
from pingtai.engine.methods import Classes


def bands(kind, mins=None, shares=None):
    names = "ABCD"
    out = []
    for i, c in enumerate(names):
        b = {"class": c}
        if mins and i < 3:
            b["min_score"] = mins[i]
        if shares and i < 3:
            b["share"] = shares[i]
        out.append(b)
    return Classes.model_validate({"kind": kind, "bands": out})


def test_thresholds():
    spec = bands("thresholds", mins=[120, 90, 60])
    score = np.array([130, 120, 119.9, 90, 60, 59.9])
    np.testing.assert_array_equal(
        classify.classify(spec, score, None, None, None), [0, 0, 1, 1, 2, 3]
    )


def test_quota_counts_follow_round_half_up_cumulative_shares():
    # 淮安: A 20 %, B 20–60 %, C 60–95 %, D 5 %. n = 10: bounds 2, 6, 10 (9.5 rounds up).
    spec = bands("quota", shares=[0.2, 0.4, 0.35])
    pos = np.arange(10)
    idx = classify.classify(spec, np.zeros(10), pos, np.zeros(10, np.int64), np.array([10]))
    np.testing.assert_array_equal(np.bincount(idx, minlength=4), [2, 4, 4, 0])
    idx = classify.classify(
        spec, np.zeros(40), np.arange(40), np.zeros(40, np.int64), np.array([40])
    )
    np.testing.assert_array_equal(np.bincount(idx, minlength=4), [8, 16, 14, 2])


def test_mixed_takes_the_worse_class():
    spec = bands("mixed", mins=[100, 80, 60], shares=[0.5, 0.25, 0.25])
    score = np.array([95.0, 90.0, 85.0, 50.0])
    idx = classify.classify(spec, score, np.arange(4), np.zeros(4, np.int64), np.array([4]))
    # quota says A, A, B, C; thresholds say B, B, B, D.
    np.testing.assert_array_equal(idx, [1, 1, 1, 3])


def test_order_breaks_ties_by_secondary_key_then_id():
    g = np.zeros(4, dtype=np.int64)
    score = np.array([10.0, 10.0, 10.0, 12.0])
    tax = rank.sort_key(np.array([5.0, 7.0, 5.0, 1.0]), True)
    order = rank.order_within(g, score, [tax], np.arange(4))
    np.testing.assert_array_equal(order, [3, 1, 0, 2])


def test_nan_tie_break_values_sort_last_in_both_directions():
    np.testing.assert_array_equal(
        np.argsort(rank.sort_key(np.array([np.nan, 1.0, 2.0]), True)), [2, 1, 0]
    )
    np.testing.assert_array_equal(
        np.argsort(rank.sort_key(np.array([np.nan, 1.0, 2.0]), False)), [1, 2, 0]
    )


def test_competition_rank_within_groups():
    g = np.array([0, 0, 0, 0, 1, 1])
    score = np.array([5.0, 9.0, 5.0, 1.0, 3.0, 3.0])
    order = rank.order_within(g, score, [], np.arange(6))
    np.testing.assert_array_equal(rank.competition_rank(g, score, order, 2), [2, 1, 2, 4, 1, 1])
    np.testing.assert_array_equal(rank.positions(g, order, 2), [1, 0, 2, 3, 0, 1])
