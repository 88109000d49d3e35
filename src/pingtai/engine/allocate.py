"""Differentiated allocation of a quota pool (要素差别化配置, plan §四(七)): exact and explained.

Pure maths (no Django). A pool (亩, 吨标煤, 吨, 万元) is divided among recipients in three steps:

1. Reserve: ``reserve_share`` of the pool is set aside for 重大产业项目 and divided in
   proportion to each recipient's major-project demand (never above it); what they cannot use
   returns to the general pool.
2. General pool: every recipient's ideal share is an equal base share plus a score-weighted
   share (score × class/tier multiplier). Floors, caps and demand limits are then enforced by
   proportional redistribution: x_i = clamp(t_i + μ·g_i, lo_i, hi_i) with g_i = t_i and one
   common μ, computed exactly in rational arithmetic. This is the unique optimum of
   min Σ (x_i − t_i)² / t_i under the bounds and the total, so whatever a cap cuts or a floor
   adds is spread over the unconstrained recipients in proportion to their ideal shares.
3. Rounding to the pool's unit keeps the exact total and every bound: a 0-1 program solved by
   HiGHS (scipy.optimize.milp) chooses which recipients receive one more unit. Its optimum is
   the largest-remainder method; ties (remainders equal to 10⁻⁶ of a unit) go to the higher
   score, then to the lower code.

Infeasible rule sets are refused before any solving with every conflicting constraint named
(``InfeasibleRules.conflicts``), in Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np

from pingtai.core.refusal import Refused

SHOW = Decimal("0.0001")  # precision of explanation lines; rounding absorbs the residual
TIE_RESOLUTION = 10**6  # remainders equal to this fraction of a unit count as ties


@dataclass(frozen=True)
class Recipient:
    code: str
    name: str
    score: Decimal = Decimal(0)
    multiplier: Decimal = Decimal(1)
    floor: Decimal = Decimal(0)
    cap: Decimal | None = None
    demand: Decimal | None = None
    major_demand: Decimal = Decimal(0)  # the part of the demand from 重大产业项目


@dataclass(frozen=True)
class Rules:
    base_share: Decimal  # share of the general pool divided equally
    unit: Decimal  # smallest allocatable amount: 0.01 亩, 1 吨标煤, 0.01 万元
    reserve_share: Decimal = Decimal(0)  # share reserved for 重大产业项目
    allocate_all: bool = False  # refuse when caps and demands cannot absorb the pool
    unit_name: str = ""


@dataclass(frozen=True)
class Line:
    rule: str
    label: str
    amount: Decimal


@dataclass
class Share:
    recipient: Recipient
    amount: Decimal
    ideal: Decimal
    lower: Decimal
    upper: Decimal | None
    lines: list[Line] = field(default_factory=list)
    binding: list[str] = field(default_factory=list)  # "cap", "demand", "floor"


@dataclass
class AllocationResult:
    pool: Decimal
    rules: Rules
    shares: list[Share]
    reserve: Decimal  # set aside for 重大产业项目
    reserve_used: Decimal
    surplus: Decimal  # not allocatable because caps and demands are exhausted
    solver: str
    notes: list[str] = field(default_factory=list)

    @property
    def allocated(self) -> Decimal:
        return sum((s.amount for s in self.shares), Decimal(0))

    def by_code(self) -> dict[str, Share]:
        return {s.recipient.code: s for s in self.shares}


@dataclass(frozen=True)
class Conflict:
    kind: (
        str  # floor_above_cap | floors_exceed_pool | reserve_vs_floors | caps_below_pool | invalid
    )
    message: str
    recipients: tuple[str, ...] = ()


class InfeasibleRules(Refused):
    """The constraints cannot all hold; ``conflicts`` names each one."""

    def __init__(self, conflicts: Sequence[Conflict]):
        self.conflicts = list(conflicts)
        super().__init__(
            "规则无可行解：" + "；".join(c.message for c in self.conflicts), code="infeasible"
        )


def _fmt(value: Fraction | Decimal, unit_name: str) -> str:
    return f"{_dec(Fraction(value), SHOW).normalize():f}{unit_name}"


def _dec(value: Fraction, quantum: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, ROUND_HALF_EVEN
    )


def _frac(value: Decimal) -> Fraction:
    return Fraction(value)


def _units_down(value: Fraction, unit: Fraction) -> Fraction:
    return (value // unit) * unit


def _units_up(value: Fraction, unit: Fraction) -> Fraction:
    return -((-value) // unit) * unit


def _clamp(value: Fraction, lo: Fraction, hi: Fraction) -> Fraction:
    return min(max(value, lo), hi)


def waterfill(
    t: Sequence[Fraction],
    lo: Sequence[Fraction],
    hi: Sequence[Fraction],
    g: Sequence[Fraction],
    total: Fraction,
) -> list[Fraction]:
    """Exact x_i = clamp(t_i + μ g_i, lo_i, hi_i) with Σx = total (requires Σlo ≤ total ≤ Σhi).

    Recipients with g_i = 0 keep clamp(t_i) unless the others are all at their upper bound;
    then the rest is spread equally over them."""
    n = len(t)

    def at(mu: Fraction, weights: Sequence[Fraction]) -> list[Fraction]:
        return [_clamp(t[i] + mu * weights[i], lo[i], hi[i]) for i in range(n)]

    def solve(weights: Sequence[Fraction]) -> list[Fraction] | None:
        points = sorted(
            {(b - t[i]) / weights[i] for i in range(n) if weights[i] > 0 for b in (lo[i], hi[i])}
        )
        if not points:
            base = at(Fraction(0), weights)
            return base if sum(base) == total else None
        if sum(at(points[-1], weights)) < total or sum(at(points[0], weights)) > total:
            return None
        low, high = 0, len(points) - 1
        while high - low > 1:  # f is nondecreasing and piecewise linear between breakpoints
            mid = (low + high) // 2
            if sum(at(points[mid], weights)) < total:
                low = mid
            else:
                high = mid
        for mu in (points[low], points[high]):
            values = at(mu, weights)
            if sum(values) == total:
                return values
        left, right = sum(at(points[low], weights)), sum(at(points[high], weights))
        mu = points[low] + (total - left) * (points[high] - points[low]) / (right - left)
        return at(mu, weights)

    if not sum(lo, Fraction(0)) <= total <= sum(hi, Fraction(0)):
        raise ValueError("总量不在上下限之和的范围内")
    first = solve(g)
    if first is not None:
        return first
    # The weighted recipients are all full: the remainder goes equally to the zero-weight ones.
    fixed = [hi[i] if g[i] > 0 else None for i in range(n)]
    rest = [i for i in range(n) if fixed[i] is None]
    remaining = total - sum(v for v in fixed if v is not None)
    inner = waterfill(
        [_clamp(t[i], lo[i], hi[i]) for i in rest],
        [lo[i] for i in rest],
        [hi[i] for i in rest],
        [Fraction(1)] * len(rest),
        remaining,
    )
    spread = dict(zip(rest, inner, strict=True))
    return [spread[i] if value is None else value for i, value in enumerate(fixed)]


def round_exact(
    values: Sequence[Fraction],
    lo: Sequence[Fraction],
    hi: Sequence[Fraction],
    unit: Fraction,
    priority: Sequence[int],
) -> list[Fraction]:
    """Round every value to a multiple of ``unit`` keeping Σ and the bounds (multiples of unit).

    ``priority``: smaller wins ties. HiGHS picks which values get one unit more."""
    scaled = [v / unit for v in values]
    floors = [s.numerator // s.denominator for s in scaled]
    total_units = sum(scaled)
    if total_units.denominator != 1:
        raise ValueError("待取整数值之和不是最小单位的整数倍")
    extra = int(total_units) - sum(floors)
    result = [Fraction(f) * unit for f in floors]
    if extra == 0:
        return result
    n = len(values)
    remainders = [s - f for s, f in zip(scaled, floors, strict=True)]
    upper = np.array(
        [
            1.0 if r > 0 and (f + 1) * unit <= hi[i] else 0.0
            for i, (r, f) in enumerate(zip(remainders, floors, strict=True))
        ]
    )
    gain = np.array(
        [
            float(round(r * TIE_RESOLUTION)) * (n + 1) + (n - priority[i])
            for i, r in enumerate(remainders)
        ]
    )
    # Imported here: SciPy's optimiser takes seconds of CPU to import, and every Django
    # process imports this module (the allocation app registers its run kind at start-up).
    from scipy.optimize import Bounds, LinearConstraint, milp

    solved = milp(
        -gain,
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), upper),
        constraints=LinearConstraint(np.ones((1, n)), extra, extra),
        options={"mip_rel_gap": 0, "presolve": True},
    )
    if not solved.success:
        raise RuntimeError(f"取整求解失败：{solved.message}")
    picks = np.rint(solved.x).astype(int)
    if int(picks.sum()) != extra:
        raise RuntimeError("取整结果与总量不符")
    for i in np.flatnonzero(picks):
        result[i] += unit
    if any(r < lo[i] or r > hi[i] for i, r in enumerate(result)):
        raise RuntimeError("取整结果越出上下限")
    return result


@dataclass
class _Bounds:
    lo: list[Fraction]
    hi: list[Fraction]
    cap: list[Fraction | None]
    demand: list[Fraction | None]
    major: list[Fraction]


def _prepare(pool: Fraction, recipients: Sequence[Recipient], rules: Rules) -> _Bounds:
    unit, u = _frac(rules.unit), rules.unit_name
    conflicts: list[Conflict] = []
    lo, hi, caps, demands, majors = [], [], [], [], []
    for r in recipients:
        cap = _units_down(_frac(r.cap), unit) if r.cap is not None else None
        demand = _units_down(_frac(r.demand), unit) if r.demand is not None else None
        floor = _units_up(_frac(r.floor), unit)
        upper = min([pool, *(v for v in (cap, demand) if v is not None)])
        if demand is not None:
            floor = min(floor, demand)  # nobody is given more than it asked for
        if cap is not None and floor > cap:
            conflicts.append(
                Conflict(
                    "floor_above_cap",
                    f"「{r.name}」保底 {_fmt(floor, u)} 高于上限 {_fmt(cap, u)}",
                    (r.code,),
                )
            )
        major = min(_units_down(_frac(r.major_demand), unit), upper)
        lo.append(floor)
        hi.append(upper)
        caps.append(cap)
        demands.append(demand)
        majors.append(major)
    floors_total = sum(lo, Fraction(0))
    if floors_total > pool:
        named = tuple(r.code for r, f in zip(recipients, lo, strict=True) if f > 0)
        conflicts.append(
            Conflict(
                "floors_exceed_pool",
                f"各单位保底之和 {_fmt(floors_total, u)} 超过指标总量 {_fmt(pool, u)}"
                f"（超出 {_fmt(floors_total - pool, u)}）",
                named,
            )
        )
    if rules.allocate_all and sum(hi, Fraction(0)) < pool:
        conflicts.append(
            Conflict(
                "caps_below_pool",
                f"规则要求全部分配，但各单位上限与需求之和 {_fmt(sum(hi, Fraction(0)), u)} "
                f"小于指标总量 {_fmt(pool, u)}（缺口 {_fmt(pool - sum(hi, Fraction(0)), u)}）",
                tuple(r.code for r in recipients),
            )
        )
    if conflicts:
        raise InfeasibleRules(conflicts)
    return _Bounds(lo, hi, caps, demands, majors)


def _validate(pool: Decimal, recipients: Sequence[Recipient], rules: Rules) -> None:
    problems = []
    if not recipients:
        problems.append("没有参与分配的单位")
    if rules.unit <= 0:
        problems.append("最小分配单位必须大于零")
    elif pool < 0 or _frac(pool) % _frac(rules.unit) != 0:
        problems.append(f"指标总量 {pool} 须为非负且为最小单位 {rules.unit} 的整数倍")
    if not (0 <= rules.base_share <= 1) or not (0 <= rules.reserve_share <= 1):
        problems.append("基础份额与重大产业项目预留比例须在 0 与 1 之间")
    codes = [r.code for r in recipients]
    if len(set(codes)) != len(codes):
        problems.append("参与分配单位的代码重复")
    for r in recipients:
        values = [
            r.score,
            r.multiplier,
            r.floor,
            r.major_demand,
            *(v for v in (r.cap, r.demand) if v is not None),
        ]
        if any(v < 0 for v in values):
            problems.append(f"「{r.name}」的得分、系数、保底、上限或需求不能为负数")
    if problems:
        raise InfeasibleRules([Conflict("invalid", p) for p in problems])


def allocate(pool: Decimal, recipients: Sequence[Recipient], rules: Rules) -> AllocationResult:
    """Divide ``pool`` among ``recipients`` by ``rules``; raise InfeasibleRules when impossible."""
    _validate(pool, recipients, rules)
    total, unit, u = _frac(pool), _frac(rules.unit), rules.unit_name
    bounds = _prepare(total, recipients, rules)
    n = len(recipients)
    order = sorted(
        range(n),
        key=lambda i: (-recipients[i].score * recipients[i].multiplier, recipients[i].code),
    )
    priority = [0] * n
    for rank, i in enumerate(order):
        priority[i] = rank
    notes: list[str] = []

    # 1. Reserve for 重大产业项目.
    reserve = _units_down(total * _frac(rules.reserve_share), unit)
    major_total = sum(bounds.major, Fraction(0))
    reserve_used = min(reserve, major_total)
    reserve_exact = [
        reserve_used * m / major_total if major_total else Fraction(0) for m in bounds.major
    ]
    reserve_final = round_exact(reserve_exact, [Fraction(0)] * n, bounds.major, unit, priority)
    if reserve > reserve_used:
        notes.append(
            f"重大产业项目预留 {_fmt(reserve, u)}，重大项目需求仅 {_fmt(major_total, u)}，"
            f"其余 {_fmt(reserve - reserve_used, u)} 回流一般分配"
        )

    # 2. General pool with floors, caps and demand limits.
    general = total - reserve_used
    lo = [max(Fraction(0), bounds.lo[i] - reserve_final[i]) for i in range(n)]
    hi = [bounds.hi[i] - reserve_final[i] for i in range(n)]
    if sum(lo) > general:
        short = [recipients[i].code for i in range(n) if reserve_final[i] > bounds.lo[i]]
        raise InfeasibleRules(
            [
                Conflict(
                    "reserve_vs_floors",
                    f"扣除重大产业项目预留 {_fmt(reserve_used, u)} 后可分配 {_fmt(general, u)}，"
                    f"不足以满足其余单位的保底 {_fmt(sum(lo, Fraction(0)), u)}",
                    tuple(short),
                )
            ]
        )
    base_share = _frac(rules.base_share)
    base = [general * base_share / n] * n
    raw = [_frac(r.score) for r in recipients]
    weighted = [_frac(r.score * r.multiplier) for r in recipients]
    score_part = general * (1 - base_share)
    if sum(weighted) > 0:
        score = [score_part * w / sum(weighted) for w in weighted]
        plain = [score_part * s / sum(raw) for s in raw] if sum(raw) > 0 else score
    else:
        score = plain = [score_part / n] * n
        if score_part:
            notes.append("所有单位加权得分均为零，得分份额按平均分配")
    ideal = [base[i] + score[i] for i in range(n)]
    target = min(general, sum(hi, Fraction(0)))
    surplus = general - target
    if surplus:
        notes.append(f"各单位上限与需求已全部满足，结余 {_fmt(surplus, u)} 未分配")
    exact = waterfill(ideal, lo, hi, ideal, target)
    final_general = round_exact(exact, lo, hi, unit, priority)
    bound = any(exact[i] != ideal[i] for i in range(n))

    shares = []
    for i, r in enumerate(recipients):
        amount = reserve_final[i] + final_general[i]
        parts: list[tuple[str, str, Fraction]] = []
        if reserve_exact[i]:
            parts.append(("reserve", "重大产业项目预留", reserve_exact[i]))
        parts.append(("base", "基础份额（平均）", base[i]))
        parts.append(("score", "得分份额", plain[i]))
        if score[i] != plain[i]:
            parts.append(("multiplier", "类别/梯队系数调整", score[i] - plain[i]))
        binding = []
        at_upper = exact[i] == hi[i] and exact[i] != ideal[i] and ideal[i] >= lo[i]
        if at_upper:
            which = (
                "demand"
                if bounds.demand[i] is not None and bounds.demand[i] == bounds.hi[i]
                else "cap"
                if bounds.cap[i] is not None and bounds.cap[i] == bounds.hi[i]
                else "pool"
            )
            binding.append(which)
        if exact[i] == lo[i] and ideal[i] < lo[i]:
            binding.append("floor")
            parts.append(("floor_topup", "保底补足", lo[i] - ideal[i]))
        elif at_upper and ideal[i] > hi[i]:
            label = {
                "demand": "超出申报需求部分削减",
                "cap": "超出上限部分削减",
                "pool": "超出可分配量部分削减",
            }[binding[0]]
            parts.append((binding[0] + "_cut", label, hi[i] - ideal[i]))
        elif exact[i] != ideal[i]:
            parts.append(("redistribution", "其他单位受限后的按比例再分配", exact[i] - ideal[i]))
        lines = [Line(rule, label, _dec(value, SHOW)) for rule, label, value in parts]
        final = _dec(amount, rules.unit)
        residual = final - sum((line.amount for line in lines), Decimal(0))
        lines.append(Line("rounding", "取整（最大余数法，含尾差）", residual.quantize(SHOW)))
        shares.append(
            Share(
                recipient=r,
                amount=final,
                ideal=_dec(reserve_exact[i] + ideal[i], SHOW),
                lower=_dec(bounds.lo[i], rules.unit),
                upper=None
                if bounds.cap[i] is None and bounds.demand[i] is None
                else _dec(bounds.hi[i], rules.unit),
                lines=lines,
                binding=binding,
            )
        )
    result = AllocationResult(
        pool=pool,
        rules=rules,
        shares=shares,
        reserve=_dec(reserve, rules.unit),
        reserve_used=_dec(reserve_used, rules.unit),
        surplus=_dec(surplus, rules.unit),
        solver=(
            "按比例分配（上下限约束生效），再以整数规划取整"
            if bound
            else "按比例分配（无约束生效），再以整数规划取整"
        ),
        notes=notes,
    )
    if result.allocated + result.surplus != pool:
        raise RuntimeError("分配结果与指标总量不符")
    return result


@dataclass(frozen=True)
class ComparisonRow:
    code: str
    name: str
    amount_a: Decimal | None
    amount_b: Decimal | None

    @property
    def difference(self) -> Decimal:
        return (self.amount_b or Decimal(0)) - (self.amount_a or Decimal(0))

    @property
    def percent(self) -> Decimal | None:
        if not self.amount_a:
            return None
        return (self.difference * 100 / self.amount_a).quantize(Decimal("0.01"))


def compare(a: AllocationResult, b: AllocationResult) -> list[ComparisonRow]:
    """Side by side: what each recipient gets under two rule or weight sets."""
    left, right = a.by_code(), b.by_code()
    codes = [s.recipient.code for s in a.shares] + [c for c in right if c not in left]
    return [
        ComparisonRow(
            code,
            (left.get(code) or right[code]).recipient.name,
            left[code].amount if code in left else None,
            right[code].amount if code in right else None,
        )
        for code in codes
    ]
