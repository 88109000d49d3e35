"""Property tests of the allocator: exact totals, bounds held, lines add up, rounding is the
largest-remainder method, infeasibility is detected exactly when Σ floors exceeds the pool."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingtai.engine.allocate import InfeasibleRules, Recipient, Rules, allocate, round_exact

UNITS = [Decimal("0.01"), Decimal("1")]


def amounts(unit: Decimal, high: int):
    return st.integers(0, high).map(lambda k: Decimal(k) * unit)


@st.composite
def problems(draw):
    unit = draw(st.sampled_from(UNITS))
    n = draw(st.integers(1, 9))
    pool = Decimal(draw(st.integers(0, 5000))) * unit
    recipients = []
    for i in range(n):
        demand = draw(st.none() | amounts(unit, 3000))
        recipients.append(
            Recipient(
                code=f"R{i:02d}",
                name=f"单位{i}",
                score=Decimal(draw(st.integers(0, 50))) / 10,
                multiplier=draw(st.sampled_from([Decimal("0.8"), Decimal(1), Decimal("1.2")])),
                floor=draw(st.sampled_from([Decimal(0), Decimal(0)]) | amounts(unit, 600)),
                cap=draw(st.none() | amounts(unit, 3000)),
                demand=demand,
                major_demand=draw(amounts(unit, 800)),
            )
        )
    rules = Rules(
        base_share=Decimal(draw(st.integers(0, 10))) / 10,
        unit=unit,
        reserve_share=Decimal(draw(st.integers(0, 5))) / 10,
        allocate_all=draw(st.booleans()),
    )
    return pool, recipients, rules


def _feasible(pool, recipients, rules) -> bool:
    floors, uppers = Decimal(0), Decimal(0)
    for r in recipients:
        floor = r.floor if r.demand is None else min(r.floor, r.demand)
        if r.cap is not None and floor > r.cap:
            return False
        floors += floor
        uppers += min([pool, *(v for v in (r.cap, r.demand) if v is not None)])
    return floors <= pool and not (rules.allocate_all and uppers < pool)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_totals_exact_and_bounds_hold(problem):
    pool, recipients, rules = problem
    try:
        result = allocate(pool, recipients, rules)
    except InfeasibleRules as refused:
        kinds = {c.kind for c in refused.conflicts}
        assert kinds, "a refusal names its conflicts"
        # The only refusal that a feasible-looking box problem may get is the reserve clash.
        assert not _feasible(pool, recipients, rules) or kinds == {"reserve_vs_floors"}
        return
    assert _feasible(pool, recipients, rules)
    assert result.allocated + result.surplus == pool
    assert result.surplus >= 0
    if rules.allocate_all:
        assert result.surplus == 0
    for share in result.shares:
        r = share.recipient
        assert share.amount % rules.unit == 0
        assert share.amount >= 0
        floor = r.floor if r.demand is None else min(r.floor, r.demand)
        assert share.amount >= floor
        if r.cap is not None:
            assert share.amount <= r.cap
        if r.demand is not None:
            assert share.amount <= r.demand
        assert sum(line.amount for line in share.lines) == share.amount
    assert result.reserve_used <= result.reserve


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=12), st.integers(1, 7))
def test_rounding_is_largest_remainder(weights, denominator):
    total = Fraction(sum(weights) // denominator * denominator)
    if sum(weights) == 0:
        return
    values = [total * w / sum(weights) / 100 for w in weights]
    unit = Fraction(1, 100)
    total_units = sum(values) / unit
    assert total_units.denominator == 1
    n = len(values)
    rounded = round_exact(values, [Fraction(0)] * n, [Fraction(10**9)] * n, unit, list(range(n)))
    scaled = [v / unit for v in values]
    floors = [int(s) for s in scaled]
    extra = int(total_units) - sum(floors)
    ranked = sorted(range(n), key=lambda i: (-round((scaled[i] - floors[i]) * 10**6), i))
    expected = [Fraction(f) * unit for f in floors]
    for i in ranked[:extra]:
        expected[i] += unit
    assert rounded == expected
    assert sum(rounded) == sum(values)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=2, max_size=8), st.integers(0, 100000))
def test_unconstrained_order_follows_weighted_score(scores, pool_cents):
    """Without bounds a higher score never gets less (beyond one unit of rounding)."""
    recipients = [Recipient(f"R{i}", f"单位{i}", Decimal(s)) for i, s in enumerate(scores)]
    result = allocate(Decimal(pool_cents) / 100, recipients, Rules(Decimal("0.2"), Decimal("0.01")))
    amounts_by_score = sorted(
        (r.score, s.amount) for r, s in zip(recipients, result.shares, strict=True)
    )
    for (s1, a1), (s2, a2) in pairwise(amounts_by_score):
        if s2 > s1:
            assert a2 >= a1 - Decimal("0.01")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 1000), st.integers(0, 300), st.integers(0, 2000)),
        min_size=1,
        max_size=10,
    ),
    st.integers(0, 5000),
)
def test_waterfill_is_proportional_for_unbound_recipients(rows, total):
    """Every recipient strictly inside its bounds moves by the same factor of its ideal share."""
    from pingtai.engine.allocate import waterfill

    t = [Fraction(a) for a, _, _ in rows]
    lo = [Fraction(min(b, c)) for _, b, c in rows]
    hi = [Fraction(max(b, c)) for _, b, c in rows]
    total = Fraction(total)
    if not sum(lo) <= total <= sum(hi):
        return
    x = waterfill(t, lo, hi, t, total)
    assert sum(x) == total
    assert all(lo[i] <= x[i] <= hi[i] for i in range(len(x)))
    free = {x[i] / t[i] for i in range(len(x)) if lo[i] < x[i] < hi[i]}
    assert len(free) <= 1
    if free:
        factor = free.pop()
        # a recipient held at a bound would have crossed it at the common factor
        for i in range(len(x)):
            if x[i] == hi[i] and hi[i] > lo[i]:
                assert t[i] * factor >= hi[i]
            elif x[i] == lo[i] and hi[i] > lo[i]:
                assert t[i] * factor <= lo[i]
