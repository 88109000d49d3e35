"""Worked allocation cases: the numbers are computed by hand in the comments."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from pingtai.engine.allocate import InfeasibleRules, Recipient, Rules, allocate, compare

LAND = Rules(base_share=D("0.3"), unit=D("0.01"), unit_name="亩")


def test_no_bound_binds_base_plus_score():
    # general 100: base 30 → 10 each; score 70 split 2:1:1 → 35, 17.5, 17.5
    result = allocate(
        D(100),
        [Recipient("A", "甲", D(2)), Recipient("B", "乙", D(1)), Recipient("C", "丙", D(1))],
        LAND,
    )
    assert [s.amount for s in result.shares] == [D("45.00"), D("27.50"), D("27.50")]
    a = result.shares[0]
    assert [(line.rule, line.amount) for line in a.lines] == [
        ("base", D("10.0000")),
        ("score", D("35.0000")),
        ("rounding", D("0.0000")),
    ]
    assert "无约束生效" in result.solver  # no bound binds: the proportional split stands


def test_cap_cut_is_redistributed_in_proportion():
    # ideals 45, 27.5, 27.5; A capped at 20 → 25 spread 1:1 over B and C → 40 each
    result = allocate(
        D(100),
        [
            Recipient("A", "甲", D(2), cap=D(20)),
            Recipient("B", "乙", D(1)),
            Recipient("C", "丙", D(1)),
        ],
        LAND,
    )
    a, b, c = result.shares
    assert (a.amount, b.amount, c.amount) == (D("20.00"), D("40.00"), D("40.00"))
    assert a.binding == ["cap"]
    assert ("cap_cut", D("-25.0000")) in [(line.rule, line.amount) for line in a.lines]
    assert ("redistribution", D("12.5000")) in [(line.rule, line.amount) for line in b.lines]


def test_multiplier_line_sums_to_zero_over_recipients():
    rules = LAND
    result = allocate(
        D(100), [Recipient("A", "甲", D(1), D("1.5")), Recipient("B", "乙", D(1), D(1))], rules
    )
    adjust = [line.amount for s in result.shares for line in s.lines if line.rule == "multiplier"]
    assert adjust == [D("7.0000"), D("-7.0000")]  # score 70: 42 vs 28 instead of 35 and 35


def test_ties_broken_by_score_then_code():
    # 100 / 3 = 33.333…: one cent left over; equal scores → lowest code gets it
    equal = allocate(D(100), [Recipient(c, c, D(1)) for c in "CBA"], LAND)
    assert {s.recipient.code: s.amount for s in equal.shares} == {
        "A": D("33.34"),
        "B": D("33.33"),
        "C": D("33.33"),
    }
    # same remainders, but C's higher weighted score wins the tie
    base_only = Rules(base_share=D(1), unit=D("0.01"))
    ranked = allocate(
        D(100),
        [Recipient("A", "甲", D(1)), Recipient("B", "乙", D(1)), Recipient("C", "丙", D(2))],
        base_only,
    )
    assert [s.amount for s in ranked.shares] == [D("33.33"), D("33.33"), D("33.34")]


def test_reserve_goes_to_major_demand_and_unused_part_returns():
    rules = Rules(base_share=D(1), unit=D("0.01"), reserve_share=D("0.2"), unit_name="亩")
    # reserve 20, major demand only 5 → 5 to B, 15 return; general 95 split 47.5 each
    result = allocate(
        D(100), [Recipient("A", "甲"), Recipient("B", "乙", major_demand=D(5))], rules
    )
    assert result.reserve == D("20.00") and result.reserve_used == D("5.00")
    assert [s.amount for s in result.shares] == [D("47.50"), D("52.50")]
    assert "回流" in result.notes[0]


def test_demand_limits_leave_a_surplus_unless_all_must_go():
    recipients = [
        Recipient("A", "甲", D(1), demand=D(10)),
        Recipient("B", "乙", D(1), demand=D(20)),
    ]
    result = allocate(D(100), recipients, LAND)
    assert [s.amount for s in result.shares] == [D("10.00"), D("20.00")]
    assert result.surplus == D("70.00")
    with pytest.raises(InfeasibleRules) as refused:
        allocate(D(100), recipients, Rules(D("0.3"), D("0.01"), allocate_all=True, unit_name="亩"))
    assert refused.value.conflicts[0].kind == "caps_below_pool"
    assert "缺口 70亩" in str(refused.value)


def test_infeasible_rules_name_every_conflict():
    with pytest.raises(InfeasibleRules) as refused:
        allocate(
            D(100),
            [Recipient("A", "甲", floor=D(60), cap=D(50)), Recipient("B", "乙", floor=D(70))],
            LAND,
        )
    conflicts = refused.value.conflicts
    assert [c.kind for c in conflicts] == ["floor_above_cap", "floors_exceed_pool"]
    assert conflicts[0].recipients == ("A",)
    assert "「甲」保底 60亩 高于上限 50亩" in conflicts[0].message
    assert "保底之和 130亩 超过指标总量 100亩（超出 30亩）" in conflicts[1].message


def test_reserve_clashing_with_floors_is_reported():
    rules = Rules(base_share=D(1), unit=D(1), reserve_share=D("0.5"), unit_name="吨标煤")
    with pytest.raises(InfeasibleRules) as refused:
        allocate(
            D(100),
            [Recipient("A", "甲", floor=D(90)), Recipient("B", "乙", major_demand=D(50))],
            rules,
        )
    assert refused.value.conflicts[0].kind == "reserve_vs_floors"
    assert refused.value.conflicts[0].recipients == ("B",)


def test_floor_limited_by_demand_and_pool_not_multiple_of_unit():
    result = allocate(
        D(10), [Recipient("A", "甲", floor=D(8), demand=D(3)), Recipient("B", "乙")], LAND
    )
    assert result.shares[0].amount == D("3.00")
    with pytest.raises(InfeasibleRules, match="整数倍"):
        allocate(D("10.5"), [Recipient("A", "甲")], Rules(D(1), D(1)))


def test_compare_two_weight_sets():
    recipients = [Recipient("A", "甲", D(3)), Recipient("B", "乙", D(1))]
    a = allocate(D(100), recipients, Rules(D("0.5"), D("0.01")))
    b = allocate(D(100), recipients, Rules(D("0.1"), D("0.01")))
    rows = {row.code: row for row in compare(a, b)}
    # 25+37.5=62.5 vs 5+67.5=72.5
    assert rows["A"].amount_a == D("62.50") and rows["A"].amount_b == D("72.50")
    assert rows["A"].difference == D("10.00") and rows["B"].difference == D("-10.00")
    assert rows["A"].percent == D("16.00")
