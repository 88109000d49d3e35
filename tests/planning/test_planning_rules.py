"""The Django-free rules of planning and supervision: decisions, chain gaps, exact splits, files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingtai.core.refusal import Refused
from pingtai.planning import rules as R
from pingtai.supervision import rules as S

RULES = R.load_rules()


def subject(**kw) -> R.Subject:
    base = {
        "code": "TZ",
        "name": "测试园区",
        "county": "331102",
        "area_mu": Decimal(1000),
        "enterprises": 10,
        "land_mu": Decimal(1000),
        "output_wan": Decimal(80000),
        "tax_wan": Decimal(2500),
        "fit": {"LS01": Decimal("0.5")},
        "adjacent": ["LS01"],
    }
    base.update(kw)
    return R.Subject(**base)


def test_township_branches_and_their_reasons():
    t = RULES.township
    up = R.classify_township(
        subject(area_mu=Decimal(2000), output_wan=Decimal(120000), tax_wan=Decimal(3600)), t
    )
    assert (up.action, up.target) == ("upgrade", "LS01") and "提升门槛" in up.reasons[1]
    merge = R.classify_township(subject(), t)
    assert (merge.action, merge.target) == ("merge", "LS01") and "契合度 50.0%" in merge.reasons[1]
    poor_fit = R.classify_township(subject(fit={"LS01": Decimal("0.1")}), t)
    assert poor_fit.action == "convert" and poor_fit.target is None
    revoke = R.classify_township(subject(output_wan=Decimal(30000), tax_wan=Decimal(1000)), t)
    assert revoke.action == "revoke" and "退出门槛" in revoke.reasons[1]
    big_but_poor = R.classify_township(subject(output_wan=Decimal(60000), tax_wan=Decimal(1000)), t)
    assert big_but_poor.action == "convert"
    empty = R.classify_township(
        subject(enterprises=0, land_mu=Decimal(0), output_wan=Decimal(0), tax_wan=Decimal(0)), t
    )
    assert empty.action == "revoke"
    lonely = R.classify_township(subject(adjacent=[], fit={}), t)
    assert lonely.action == "convert" and "无相邻主体平台" in lonely.reasons[1]


def test_best_adjacent_prefers_fit_then_distance_and_reports_ties():
    s = subject(adjacent=["LS01", "LS02"], fit={"LS01": Decimal("0.2"), "LS02": Decimal("0.6")})
    assert R.best_adjacent(s) == ("LS02", Decimal("0.6"))
    fits = {"LS01": Decimal("0.4"), "LS02": Decimal("0.4")}
    # Equal fits without coordinates: a tie, whatever the order of the list.
    for order in (["LS01", "LS02"], ["LS02", "LS01"]):
        assert R.choose_adjacent(subject(adjacent=order, fit=fits)) == (
            None,
            Decimal("0.4"),
            ("LS01", "LS02"),
        )
    # Equal fits, distances apart: the nearer platform.
    near = subject(
        adjacent=["LS01", "LS02"],
        fit=fits,
        distance_km={"LS01": Decimal("18.0"), "LS02": Decimal("6.5")},
    )
    assert R.choose_adjacent(near) == ("LS02", Decimal("0.4"), ())
    # Equal fits and about equally near: still a tie, reported in the reasons.
    close = subject(
        adjacent=["LS01", "LS02"],
        fit=fits,
        distance_km={"LS01": Decimal("6.9"), "LS02": Decimal("6.5")},
    )
    assert R.choose_adjacent(close)[2] == ("LS02", "LS01")
    t = R.load_rules().township
    decision = R.classify_township(
        subject(
            adjacent=["LS01", "LS02"],
            fit={"LS01": Decimal("0.5"), "LS02": Decimal("0.5")},
        ),
        t,
        {"LS01": "丽水经开区", "LS02": "丽缙高新区"},
    )
    assert decision.target is None and decision.action in ("merge", "upgrade")
    assert any("并列" in r and "丽水经开区" in r and "丽缙高新区" in r for r in decision.reasons)


def test_platform_branches():
    p = RULES.platform
    big = subject(output_wan=Decimal(1_500_000), tax_wan=Decimal(9000))
    assert R.classify_platform(big, p).action == "keep"
    assert (
        R.classify_platform(subject(output_wan=Decimal(700_000), tax_wan=Decimal(6000)), p).action
        == "merge"
    )
    assert (
        R.classify_platform(
            subject(output_wan=Decimal(200_000), tax_wan=Decimal(2000), adjacent=[], fit={}), p
        ).action
        == "revoke"
    )
    assert (
        R.classify_platform(
            subject(output_wan=Decimal(700_000), tax_wan=Decimal(2000), adjacent=[], fit={}), p
        ).action
        == "convert"
    )
    up = R.classify_platform(
        subject(
            code="LS06", output_wan=Decimal(700_000), tax_wan=Decimal(5000), adjacent=[], fit={}
        ),
        p,
    )
    assert (up.action, up.target) == ("upgrade", "LS06") and "弱平台" in up.reasons[1]


def test_chain_gaps_name_build_fill_extend_and_strengthen():
    links = [
        R.Link("A-UP", "上游", "A", "甲链", "upstream"),
        R.Link("A-MID", "中游", "A", "甲链", "midstream"),
        R.Link("A-DOWN", "下游", "A", "甲链", "downstream"),
        R.Link("B-MID", "中游", "B", "乙链", "midstream"),
        R.Link("C-MID", "中游", "C", "丙链", "midstream"),
    ]
    present = {"A-UP": (1, Decimal(10)), "A-DOWN": (5, Decimal(50)), "C-MID": (0, Decimal(0))}
    got = {s.link.code: s.action for s in R.chain_gaps(links, present, {"A", "B"}, RULES.chains)}
    assert got == {"A-UP": "强链", "A-MID": "补链", "A-DOWN": "", "B-MID": "建链", "C-MID": ""}


def test_split_exact_largest_remainder_goes_to_the_largest_fraction_then_the_earlier_party():
    assert R.split_exact(
        Decimal("100.00"), [Decimal(100) / 3, Decimal(100) / 3, Decimal(100) / 3]
    ) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert R.split_exact(Decimal("0.10"), [Decimal(33), Decimal(67)]) == [
        Decimal("0.03"),
        Decimal("0.07"),
    ]
    assert R.split_exact(Decimal("0.05"), [Decimal(30), Decimal(70)]) == [
        Decimal("0.02"),
        Decimal("0.03"),
    ]
    with pytest.raises(Refused):
        R.split_exact(Decimal("1.005"), [Decimal(100)])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.integers(min_value=0, max_value=10**13),
    st.lists(st.integers(min_value=0, max_value=10000), min_size=1, max_size=8),
)
def test_split_exact_always_reconciles_to_the_cent(cents, weights):
    if sum(weights) == 0:
        weights = [1] * len(weights)
    # Turn arbitrary weights into two-decimal percentages that sum to exactly 100.
    raw = [Decimal(w) * 10000 // sum(weights) for w in weights]
    raw[0] += 10000 - sum(raw)
    shares = [r / 100 for r in raw]
    R.check_shares(shares, "税收分成")
    total = Decimal(cents) / 100
    parts = R.split_exact(total, shares)
    assert sum(parts) == total
    for part, share in zip(parts, shares, strict=True):
        assert abs(part - total * share / 100) < Decimal("0.01")


def test_shares_must_sum_to_exactly_one_hundred():
    R.check_shares([Decimal("33.33"), Decimal("33.33"), Decimal("33.34")], "税收分成")
    with pytest.raises(Refused, match=r"合计应为 100%，现为 99\.99%"):
        R.check_shares([Decimal("60"), Decimal("39.99")], "税收分成")
    with pytest.raises(Refused, match="两位小数"):
        R.check_shares([Decimal("60.001"), Decimal("39.999")], "统计归属")
    with pytest.raises(Refused, match=r"0% 到 100%"):
        R.check_shares([Decimal("110"), Decimal("-10")], "成本分担")


def test_rank_and_tier_of_a_merged_entity():
    assert R.rank_of(Decimal(5), {"a": Decimal(7), "b": Decimal(5), "c": Decimal(1)}) == (2, 4)
    assert R.rank_of(None, {"a": Decimal(1)}) == (None, 2)
    assert R.merged_tier(["T3", "T2"]) == "T2" and R.merged_tier([]) is None


def test_broken_rules_files_are_refused_in_chinese(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        R.DEFAULT_RULES.read_text(encoding="utf-8").replace(
            'merge_min_fit = "0.30"', 'merge_min_fit = "3"', 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(Refused, match=r"township\.merge_min_fit"):
        R.load_rules(bad)
    bad.write_text("id = ", encoding="utf-8")
    with pytest.raises(Refused, match="TOML 语法错误"):
        R.load_rules(bad)
    with pytest.raises(Refused, match=r"督办规则文件“missing\.toml”无效：文件不存在"):
        S.load_rules(tmp_path / "missing.toml")
    bad.write_text(
        S.DEFAULT_RULES.read_text(encoding="utf-8").replace(
            "slow_margin_pct = 15", "slow_margin_pct = -1"
        ),
        encoding="utf-8",
    )
    with pytest.raises(Refused, match="slow_margin_pct"):
        S.load_rules(bad)


def test_linear_schedule_and_periods():
    start, end = dt.date(2026, 1, 1), dt.date(2026, 4, 11)
    assert S.expected_progress(start, end, dt.date(2026, 2, 20)) == Decimal(50)
    assert S.expected_progress(start, end, dt.date(2025, 12, 1)) == 0
    assert S.expected_progress(start, end, dt.date(2026, 5, 1)) == 100
    assert S.is_slow(start, end, 34, None, dt.date(2026, 2, 20), Decimal(15))
    assert not S.is_slow(start, end, 35, None, dt.date(2026, 2, 20), Decimal(15))
    assert not S.is_slow(start, end, 0, dt.date(2026, 2, 1), dt.date(2026, 2, 20), Decimal(15))
    assert S.period_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert S.period_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert S.period_bounds(2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValueError):
        S.period_bounds(2026, 5)
