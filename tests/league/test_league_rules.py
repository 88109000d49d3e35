"""Pure league rules: the rules file, groups, 进退档 and the 托低限高 pay pool (no database)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingtai.core.refusal import Refused
from pingtai.league.rules import (
    DEFAULT_FILE,
    PayPoolRule,
    PlatformFacts,
    YearResult,
    assign_groups,
    load_rules,
    parse_rules,
    pay_pool,
    tier_proposals,
)

RULES = load_rules().rules


def raw() -> dict:
    return tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_shipped_rules_load_and_label_their_assumptions():
    assert RULES.version == "league-v1"
    assert RULES.groupings.default == "role"
    assert len(RULES.all_assumptions) >= 6
    assert RULES.pay_pool.floor_ratio == Decimal("0.8") and RULES.pay_pool.cap_ratio == Decimal(
        "1.2"
    )


def test_invalid_rules_name_the_key_and_the_problem():
    data = raw()
    data["pay_pool"]["floor_ratio"] = 1.5
    data["tiers"]["rules"][0]["times"] = 3
    del data["interview"]["cycles"]
    data["top"]["overal"] = 3
    with pytest.raises(Refused) as err:
        parse_rules(data, "bad.toml")
    text = str(err.value)
    assert "bad.toml" in text
    assert "pay_pool.floor_ratio" in text
    assert "tiers.rules[0]" in text and "times 不能大于 years" in text
    assert "interview.cycles: 缺少必填项" in text
    assert "top.overal: 不允许的键" in text


def test_output_bands_must_descend_to_zero():
    data = raw()
    data["groupings"]["size"]["bands"] = [
        {"label": "大", "min_yi": 100},
        {"label": "小", "min_yi": 50},
    ]
    with pytest.raises(Refused, match="最后一档的 min_yi 必须为 0"):
        parse_rules(data)


def facts(code: str, role: str, output: float | None) -> PlatformFacts:
    return PlatformFacts(code, role, role, "T1", "provincial", output)


def test_groups_by_attribute_and_by_output_band():
    platforms = [
        facts("A", "一心", 642.0),
        facts("B", "两翼", 300.0),
        facts("C", "三片区", 299.9),
        facts("D", "三片区", 10.0),
        facts("E", "两翼", None),
    ]
    assert assign_groups(RULES.groupings.role, platforms) == {
        "A": "一心",
        "B": "两翼",
        "C": "三片区",
        "D": "三片区",
        "E": "两翼",
    }
    assert assign_groups(RULES.groupings.size, platforms) == {
        "A": "300亿元以上",
        "B": "300亿元以上",
        "C": "150—300亿元",
        "D": "150亿元以下",
        "E": "150亿元以下",
    }


def grade(score: float) -> str:
    return "优秀" if score >= 90 else "良好" if score >= 80 else "一般" if score >= 70 else "较差"


def year(y: int, scores: dict[str, tuple[str, float]]) -> list[YearResult]:
    return [
        YearResult(y, code, tier, score, grade(score)) for code, (tier, score) in scores.items()
    ]


def test_first_twice_moves_up_and_last_moves_down():
    history = year(
        2023,
        {
            "A": ("T1", 95), "A2": ("T1", 92), "B": ("T1", 85),
            "C": ("T2", 89), "D": ("T2", 70), "D2": ("T2", 80),
            "E": ("T3", 60),
        },
    ) + year(
        2024,
        {
            "A": ("T1", 96), "A2": ("T1", 93), "B": ("T1", 75),
            "C": ("T2", 88), "D": ("T2", 72), "D2": ("T2", 81),
            "E": ("T3", 65),
        },
    )  # fmt: skip
    current = {"A": "T1", "A2": "T1", "B": "T1", "C": "T2", "D": "T2", "D2": "T2", "E": "T3"}
    got = {
        (p.code, p.from_tier, p.to_tier, p.rule_id, p.years)
        for p in tier_proposals(RULES.tiers, history, current, 2024)
    }
    assert got == {
        ("B", "T1", "T2", "demote_last", (2024,)),
        ("C", "T2", "T1", "promote_first_twice", (2023, 2024)),
        ("D", "T2", "T3", "demote_last", (2024,)),
    }  # A is first but already at the top; E is alone in T3 (group too small to rank)


def test_tiers_of_two_never_move_and_grades_decide_the_direction():
    # In a tier of two the second is "last" by construction: no proposal.
    pair = year(2024, {"A": ("T1", 95), "B": ("T1", 60)})
    assert tier_proposals(RULES.tiers, pair, {"A": "T1", "B": "T1"}, 2024) == []
    # Last of its tier but graded 良好 (everyone did well): no demotion.
    good = year(2024, {"A": ("T2", 95), "B": ("T2", 90), "C": ("T2", 82)})
    assert tier_proposals(RULES.tiers, good, {"A": "T2", "B": "T2", "C": "T2"}, 2024) == []
    # First twice but graded 一般: no promotion.
    weak = year(2023, {"A": ("T3", 75), "B": ("T3", 60), "C": ("T3", 50)}) + year(
        2024, {"A": ("T3", 78), "B": ("T3", 72), "C": ("T3", 71)}
    )
    moves = {p.code for p in tier_proposals(RULES.tiers, weak, dict.fromkeys("ABC", "T3"), 2024)}
    assert "A" not in moves


def test_a_tie_for_last_proposes_both_and_says_so():
    tied = year(2024, {"A": ("T2", 90), "B": ("T2", 72), "C": ("T2", 72)})
    got = tier_proposals(RULES.tiers, tied, dict.fromkeys("ABC", "T2"), 2024)
    assert {(p.code, p.to_tier, p.tied) for p in got} == {("B", "T3", True), ("C", "T3", True)}
    assert all("并列" in p.reason for p in got)


def test_first_once_is_not_enough_and_a_tier_change_resets_the_count():
    history = year(2023, {"C": ("T3", 70), "X": ("T3", 85), "Y": ("T3", 60)}) + year(
        2024,
        {"C": ("T2", 88), "D": ("T2", 75), "D2": ("T2", 80), "X": ("T3", 86), "Y": ("T3", 61),
         "Z": ("T3", 70)},
    )  # fmt: skip
    current = {"C": "T2", "D": "T2", "D2": "T2", "X": "T3", "Y": "T3", "Z": "T3"}
    moves = {
        p.code: (p.to_tier, p.rule_id) for p in tier_proposals(RULES.tiers, history, current, 2024)
    }
    # C was first in T2 only once (in 2023 it was in T3), X first in T3 twice → up; D last → down;
    # Y last of the bottom tier cannot fall.
    assert moves == {"X": ("T2", "promote_first_twice"), "D": ("T3", "demote_last")}


def test_proposals_order_demotions_first_then_by_mean_score():
    history = year(
        2024,
        {"A": ("T1", 95), "A2": ("T1", 92), "B": ("T1", 60),
         "C": ("T2", 90), "C2": ("T2", 80), "D": ("T2", 50)},
    )  # fmt: skip
    current = {"A": "T1", "A2": "T1", "B": "T1", "C": "T2", "C2": "T2", "D": "T2"}
    got = tier_proposals(RULES.tiers, history, current, 2024)
    assert [(p.code, p.to_tier) for p in got] == [("D", "T3"), ("B", "T2")]


RULE = PayPoolRule(floor_ratio=Decimal("0.8"), cap_ratio=Decimal("1.2"), unit=Decimal("0.01"))


def test_pay_pool_hand_computed_case():
    # Average share 25; floor 20, cap 30. d (score 0) is held at the floor, a hits the cap,
    # b and c share the remaining 50 in proportion 80:60 → 28.571… and 21.428…
    result = pay_pool(Decimal("100.00"), {"a": 90, "b": 80, "c": 60, "d": 0}, RULE)
    amounts = {s.code: s.amount for s in result.shares}
    assert amounts == {
        "a": Decimal("30.00"),
        "b": Decimal("28.57"),
        "c": Decimal("21.43"),
        "d": Decimal("20.00"),
    }
    assert (result.floor, result.cap) == (Decimal("20.00"), Decimal("30.00"))
    assert {s.code for s in result.shares if s.at_cap} == {"a"} and {
        s.code for s in result.shares if s.at_floor
    } == {"d"}


def test_pay_pool_equal_scores_split_equally_with_the_remainder_by_code():
    result = pay_pool(Decimal("100.00"), {"b": 50, "a": 50, "c": 50}, RULE)
    assert [(s.code, s.amount) for s in result.shares] == [
        ("a", Decimal("33.34")),
        ("b", Decimal("33.33")),
        ("c", Decimal("33.33")),
    ]


def test_pay_pool_refuses_impossible_totals():
    with pytest.raises(Refused, match="整数倍"):
        pay_pool(Decimal("10.001"), {"a": 1}, RULE)
    with pytest.raises(Refused, match="不能为负数"):
        pay_pool(Decimal("-1"), {"a": 1}, RULE)
    with pytest.raises(Refused, match="没有参与分配"):
        pay_pool(Decimal("1"), {}, RULE)


scores = st.dictionaries(
    st.text(alphabet="ABCDEFGHJK", min_size=1, max_size=3),
    st.one_of(
        st.floats(min_value=0, max_value=100, allow_nan=False),
        st.just(0.0),
        st.floats(min_value=-5, max_value=0),
    ),
    min_size=1,
    max_size=15,
)
totals = st.integers(min_value=0, max_value=10**9).map(lambda cents: Decimal(cents) / 100)
ratios = st.tuples(
    st.decimals(min_value=0, max_value=1, places=2), st.decimals(min_value=1, max_value=3, places=2)
)


@settings(max_examples=300, deadline=None)
@given(scores, totals, ratios)
def test_pay_pool_always_adds_up_and_respects_floor_and_cap(score_map, total, bounds):
    rule = PayPoolRule(floor_ratio=bounds[0], cap_ratio=bounds[1], unit=Decimal("0.01"))
    result = pay_pool(total, score_map, rule)
    amounts = [s.amount for s in result.shares]
    assert sum(amounts) == total
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    assert all(result.floor <= a <= result.cap for a in amounts)
    n = len(score_map)
    floor, cap = (
        Fraction(total) / n * Fraction(bounds[0]),
        Fraction(total) / n * Fraction(bounds[1]),
    )
    assert Fraction(result.floor) <= floor < Fraction(result.floor) + Fraction(1, 100)
    assert Fraction(result.cap) - Fraction(1, 100) < cap <= Fraction(result.cap)
    # A higher score never gets less, beyond the one cent of rounding.
    by_score = sorted(result.shares, key=lambda s: s.score)
    assert all(b.amount >= a.amount - Decimal("0.01") for a, b in pairwise(by_score))
