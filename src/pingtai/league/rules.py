"""The league's rules as versioned data, and the pure arithmetic they drive (no Django).

- ``load_rules``: the TOML rules file (groupings, 进退档, 约谈, 前列名单, 绩效薪酬池), validated
  with pydantic; every error names the key and the problem in Chinese.
- ``assign_groups``: the ranking group of each platform (分区域、分梯队).
- ``tier_proposals``: 进退档 proposals from several years of year-end results.
- ``pay_pool``: a performance-pay pool split by score with a floor and a cap (托低、限高) that
  always adds up exactly to the pool, to the cent (largest remainder).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingtai.core.datafiles import read_bytes, toml_table, validate
from pingtai.core.refusal import Refused

DEFAULT_FILE = Path(__file__).with_name("rules") / "league-v1.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    label: str = Field(min_length=1)
    min_yi: float = Field(ge=0, description="产值下限（亿元，含）")


class Grouping(_Strict):
    name: str = Field(min_length=1)
    kind: Literal["attribute", "output_band"]
    attribute: Literal["spatial_role", "spatial_group", "tier", "level"] | None = None
    order: list[str] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> Grouping:
        if self.kind == "attribute" and self.attribute is None:
            raise ValueError("按属性分组必须给出 attribute")
        if self.kind == "output_band":
            if not self.bands:
                raise ValueError("按产值分档必须给出 bands")
            mins = [b.min_yi for b in self.bands]
            if any(a <= b for a, b in pairwise(mins)):
                raise ValueError("bands 的 min_yi 必须从高到低严格递减")
            if mins[-1] != 0:
                raise ValueError("最后一档的 min_yi 必须为 0（覆盖全部平台）")
        return self

    def labels(self) -> list[str]:
        return list(self.order) if self.kind == "attribute" else [b.label for b in self.bands]


class Groupings(_Strict):
    default: str
    role: Grouping
    size: Grouping

    def get(self, key: str) -> Grouping:
        if key not in ("role", "size"):
            raise KeyError(key)
        return getattr(self, key)


class TierRule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    move: Literal["up", "down"]
    position: Literal["first", "last"]
    places: int = Field(1, ge=1)
    times: int = Field(ge=1)
    years: int = Field(ge=1)
    min_group_size: int = Field(2, ge=1)
    classes: list[str] = Field(min_length=1, description="该规则可以适用的等级")
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _times(self) -> TierRule:
        if self.times > self.years:
            raise ValueError("times 不能大于 years")
        return self


class Tiers(_Strict):
    order: list[str] = Field(min_length=2)
    labels: dict[str, str]
    assumptions: list[str] = Field(default_factory=list)
    rules: list[TierRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _labels(self) -> Tiers:
        missing = [t for t in self.order if t not in self.labels]
        if missing:
            raise ValueError(f"labels 缺少梯队 {'、'.join(missing)}")
        return self


class Interview(_Strict):
    places: int = Field(1, ge=1)
    cycles: list[Literal["quarter", "half", "year"]] = Field(min_length=1)
    # "Last" means something only in a group of at least this many platforms; smaller groups
    # use ``small_groups``: the city-wide ranking, or a score line (decisions.py).
    min_group_for_last: int = Field(3, ge=2)
    small_groups: Literal["city_last", "below_score"] = "city_last"
    small_group_score: float = Field(70.0, ge=0, le=100)
    assumptions: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _places(self) -> Interview:
        if self.places >= self.min_group_for_last:
            raise ValueError("places 必须小于 min_group_for_last（否则整组都成为末位）")
        return self


class Top(_Strict):
    places_per_group: int = Field(1, ge=0)
    overall: int = Field(3, ge=0)
    national_recommendation: int = Field(1, ge=0)
    classes: list[str] = Field(min_length=1, description="可列入前列名单和国家级推荐的等级")
    assumptions: list[str] = Field(default_factory=list)


class FollowUp(_Strict):
    rectification_days: int = Field(15, ge=1, description="整改措施报送期限（自然日）")
    objection_working_days: int = Field(10, ge=1, description="异议期（工作日）")
    assumptions: list[str] = Field(default_factory=list)


class PayPoolRule(_Strict):
    floor_ratio: Decimal = Field(ge=0, le=1, description="托低：平均份额的倍数")
    cap_ratio: Decimal = Field(ge=1, description="限高：平均份额的倍数")
    unit: Decimal = Field(gt=0)
    assumptions: list[str] = Field(default_factory=list)


class LeagueRules(_Strict):
    version: str = Field(min_length=1)
    document: str = Field(min_length=1)
    assumptions: list[str] = Field(default_factory=list)
    groupings: Groupings
    tiers: Tiers
    interview: Interview
    top: Top
    follow_up: FollowUp
    pay_pool: PayPoolRule

    @model_validator(mode="after")
    def _default(self) -> LeagueRules:
        if self.groupings.default not in ("role", "size"):
            raise ValueError("groupings.default 必须是 role 或 size")
        return self

    @property
    def all_assumptions(self) -> list[str]:
        g = self.groupings
        return [
            *self.assumptions,
            *g.role.assumptions,
            *g.size.assumptions,
            *self.tiers.assumptions,
            *self.interview.assumptions,
            *self.top.assumptions,
            *self.follow_up.assumptions,
            *self.pay_pool.assumptions,
        ]


@dataclass(frozen=True)
class LoadedRules:
    rules: LeagueRules
    sha256: str


def parse_rules(raw: dict, source: str = "<内存>") -> LeagueRules:
    return validate(raw, LeagueRules, what="规则文件", source=source)


def load_rules(path: Path | str = DEFAULT_FILE) -> LoadedRules:
    path = Path(path)
    data = read_bytes(path, what="规则文件")
    raw = toml_table(data, what="规则文件", source=path.name)
    return LoadedRules(parse_rules(raw, path.name), hashlib.sha256(data).hexdigest())


# --- groups --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformFacts:
    code: str
    spatial_role: str
    spatial_group: str
    tier: str
    level: str
    output_yi: float | None  # last complete year's 工业总产值, 亿元


def assign_groups(grouping: Grouping, platforms: Sequence[PlatformFacts]) -> dict[str, str]:
    """Platform code → group label. Output bands: the first band whose floor the output reaches;
    a platform without output data falls into the last band."""
    out = {}
    for p in platforms:
        if grouping.kind == "attribute" and grouping.attribute is not None:  # the model requires it
            out[p.code] = str(getattr(p, grouping.attribute))
        else:
            out[p.code] = next(
                (
                    b.label
                    for b in grouping.bands
                    if p.output_yi is not None and p.output_yi >= b.min_yi
                ),
                grouping.bands[-1].label,
            )
    return out


# --- 进退档 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearResult:
    """One platform in one published year-end assessment."""

    year: int
    code: str
    tier: str  # the platform's tier when the assessment ran
    score: float
    klass: str  # its class (优秀/良好/一般/较差) in that assessment


@dataclass(frozen=True)
class TierProposal:
    code: str
    from_tier: str
    to_tier: str
    rule_id: str
    reason: str
    years: tuple[int, ...]  # the years in which the rule's condition held
    mean_score: float
    tied: bool = False  # a tie with another platform decided a qualifying place


def _positions(results: Sequence[YearResult]) -> dict[tuple[int, str], tuple[int, int, int, bool]]:
    """(year, code) → (platforms of its tier that year with a better score, with a worse
    score, the tier's size, whether another member has exactly its score). Equal scores share
    a place; nothing is decided by code or list order."""
    by_group: dict[tuple[int, str], list[YearResult]] = {}
    for r in results:
        by_group.setdefault((r.year, r.tier), []).append(r)
    out = {}
    for members in by_group.values():
        for r in members:
            better = sum(o.score > r.score for o in members)
            worse = sum(o.score < r.score for o in members)
            tied = sum(o.score == r.score for o in members) > 1
            out[(r.year, r.code)] = (better, worse, len(members), tied)
    return out


def tier_proposals(
    tiers: Tiers, results: Sequence[YearResult], current: Mapping[str, str], as_of: int
) -> list[TierProposal]:
    """Proposals after the year-end assessment of ``as_of``.

    A rule holds for a platform when, in at least ``times`` of the ``years`` years up to
    ``as_of``, it was among the first (or last) ``places`` of its tier of that time (places are
    shared by equal scores), that tier being its current one with at least ``min_group_size``
    members, and its class that year was one of the rule's ``classes`` — so a platform graded
    良好 is never proposed for demotion, nor one graded 一般 for promotion, whatever its place.
    The first rule that holds decides; the top tier cannot move up and the bottom tier cannot
    move down. Proposals are ordered by move (down first), then by the mean score over the
    qualifying years.
    """
    pos = _positions(results)
    scores = {(r.year, r.code): r.score for r in results}
    tier_at = {(r.year, r.code): r.tier for r in results}
    class_at = {(r.year, r.code): r.klass for r in results}
    proposals = []
    for code, tier in sorted(current.items()):
        if tier not in tiers.order or (as_of, code) not in pos:
            continue
        level = tiers.order.index(tier)
        for rule in tiers.rules:
            target = level - 1 if rule.move == "up" else level + 1
            if not 0 <= target < len(tiers.order):
                continue
            hits, tied = [], False
            for year in range(as_of - rule.years + 1, as_of + 1):
                if tier_at.get((year, code)) != tier:
                    continue
                better, worse, size, tie = pos[(year, code)]
                if size < rule.min_group_size or class_at[(year, code)] not in rule.classes:
                    continue
                place = better if rule.position == "first" else worse
                if place < rule.places:
                    hits.append(year)
                    tied |= tie
            if len(hits) >= rule.times:
                mean = sum(scores[(y, code)] for y in hits) / len(hits)
                proposals.append(
                    TierProposal(
                        code,
                        tier,
                        tiers.order[target],
                        rule.id,
                        rule.reason + ("（含并列）" if tied else ""),
                        tuple(hits),
                        mean,
                        tied,
                    )
                )
                break
    return sorted(proposals, key=lambda p: (p.to_tier < p.from_tier, p.mean_score, p.code))


# --- 绩效薪酬池 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayShare:
    code: str
    score: float
    amount: Decimal
    at_floor: bool
    at_cap: bool


@dataclass(frozen=True)
class PayPoolResult:
    total: Decimal
    floor: Decimal  # per platform, rounded down to the unit
    cap: Decimal  # per platform, rounded up to the unit
    shares: list[PayShare]


def _clip(x: Fraction, lo: Fraction, hi: Fraction) -> Fraction:
    return min(max(x, lo), hi)


def _exact_shares(
    total: Fraction, scores: list[Fraction], lo: Fraction, hi: Fraction
) -> list[Fraction]:
    """x_i = clip(λ·s_i, lo, hi) with Σ x_i = total (exact; n·lo ≤ total ≤ n·hi)."""
    n = len(scores)
    if all(s == 0 for s in scores):
        return [total / n] * n

    def g(lam: Fraction) -> Fraction:
        return sum((_clip(lam * s, lo, hi) for s in scores), Fraction(0))

    points = sorted({b for s in scores if s > 0 for b in (lo / s, hi / s)})
    if g(Fraction(0)) >= total:
        return [lo] * n
    prev = Fraction(0)
    for point in points:
        if g(point) >= total:
            # g is linear on [prev, point]: solve for λ.
            mid = (prev + point) / 2
            fixed = sum(
                (_clip(mid * s, lo, hi) for s in scores if not lo < mid * s < hi), Fraction(0)
            )
            free = sum((s for s in scores if lo < mid * s < hi), Fraction(0))
            lam = (total - fixed) / free
            return [_clip(lam * s, lo, hi) for s in scores]
        prev = point
    # Every scored platform is at the cap; the unscored ones share the rest equally.
    base = [_clip(prev * s, lo, hi) for s in scores]
    zeros = [i for i, s in enumerate(scores) if s == 0]
    extra = (total - sum(base, Fraction(0))) / len(zeros)
    for i in zeros:
        base[i] = lo + extra
    return base


def pay_pool(total: Decimal, scores: Mapping[str, float], rule: PayPoolRule) -> PayPoolResult:
    """Split ``total`` (万元) among the platforms in proportion to their scores, each share held
    between ``floor_ratio`` and ``cap_ratio`` times the average share; then round down to the
    unit and hand the remaining units to the largest remainders (ties: higher score, then code).
    The shares add up exactly to ``total``; each lies within [floor, cap] rounded outward to the
    unit. Negative or missing scores count as 0."""
    if not scores:
        raise Refused("没有参与分配的平台")
    unit = rule.unit
    if total < 0:
        raise Refused("薪酬池总额不能为负数")
    if total % unit != 0:
        raise Refused(f"薪酬池总额必须是 {unit} 万元的整数倍")
    codes = sorted(scores)
    n = len(codes)
    s = [
        Fraction(max(scores[c], 0.0))
        if scores[c] is not None and math.isfinite(scores[c])
        else Fraction(0)
        for c in codes
    ]
    t = Fraction(total)
    lo = t / n * Fraction(rule.floor_ratio)
    hi = t / n * Fraction(rule.cap_ratio)
    exact = _exact_shares(t, s, lo, hi)
    u = Fraction(unit)
    units = [math.floor(x / u) for x in exact]
    remainder = int((t - sum(units) * u) / u)
    order = sorted(range(n), key=lambda i: (-(exact[i] / u - units[i]), -s[i], codes[i]))
    for i in order[:remainder]:
        units[i] += 1
    floor_d = (Decimal(lo.numerator) / Decimal(lo.denominator) / unit).to_integral_value(
        ROUND_FLOOR
    ) * unit
    cap_d = (Decimal(hi.numerator) / Decimal(hi.denominator) / unit).to_integral_value(
        ROUND_CEILING
    ) * unit
    shares = []
    for i, code in enumerate(codes):
        amount = (Decimal(units[i]) * unit).quantize(unit)
        shares.append(PayShare(code, float(s[i]), amount, exact[i] == lo, exact[i] == hi))
    return PayPoolResult(total.quantize(unit), floor_d.quantize(unit), cap_d.quantize(unit), shares)
