"""Integration-planning rules and their arithmetic (no Django).

The rules file ``lishui-planning-default.toml`` beside this module holds every threshold;
this module classifies zones and platforms into 并/提/撤/转 with reasons, merges figures for a
simulation (ratios of sums), finds industry-chain gaps and splits settlement amounts exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingtai.core import numbers
from pingtai.core.datafiles import load_toml
from pingtai.core.refusal import Refused

DEFAULT_RULES = Path(__file__).with_name("lishui-planning-default.toml")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TownshipRules(_Strict):
    upgrade_min_area_mu: Decimal = Field(ge=0)
    upgrade_min_output_wan: Decimal = Field(ge=0)
    upgrade_min_tax_per_mu: Decimal = Field(ge=0)
    exit_tax_per_mu: Decimal = Field(ge=0)
    exit_max_output_wan: Decimal = Field(ge=0)
    merge_min_fit: Decimal = Field(ge=0, le=1)
    assumed: bool = True


class PlatformRules(_Strict):
    weak_below_output_wan: Decimal = Field(gt=0)
    merge_min_fit: Decimal = Field(ge=0, le=1)
    revoke_below_output_wan: Decimal = Field(ge=0)
    revoke_below_tax_per_mu: Decimal = Field(ge=0)
    convert_below_tax_per_mu: Decimal = Field(ge=0)
    assumed: bool = True


class AdjacencyRules(_Strict):
    # same_county: a platform covering the subject's county is adjacent. distance: a platform
    # whose centroid lies within max_km of the subject's (where both have coordinates; a
    # subject without them falls back to same_county, and its reasons say so).
    rule: Literal["same_county", "distance"]
    max_km: Decimal = Field(default=Decimal(30), gt=0)
    # Two candidates whose fits are equal and whose distances differ by less than this are a
    # tie: it is reported for the administrator to decide, never broken by list order.
    tie_km: Decimal = Field(default=Decimal(1), ge=0)
    explicit: dict[str, str] = Field(default_factory=dict)


class SimulationRules(_Strict):
    zone_area_counts_as_developable: bool
    hundred_yi_target_year: int = Field(ge=2021, le=2100)
    assumed: bool = True


class ChainRules(_Strict):
    strong_min_enterprises: int = Field(ge=1)
    assumed: bool = True


class SharingRules(_Strict):
    assumed: bool = False


class PlanningRules(_Strict):
    id: str
    version: str
    title: str
    source: str
    township: TownshipRules
    platform: PlatformRules
    adjacency: AdjacencyRules
    simulation: SimulationRules
    chains: ChainRules
    sharing: SharingRules


def load_rules(path: Path | str = DEFAULT_RULES) -> PlanningRules:
    return load_toml(Path(path), PlanningRules, what="整合规划规则文件")


# ---------------------------------------------------------------- 并提撤转

ACTIONS = {"merge": "并", "upgrade": "提", "revoke": "撤", "convert": "转", "keep": "保留"}


@dataclass(frozen=True)
class Subject:
    """A township zone or a platform with its summed figures for one year."""

    code: str
    name: str
    county: str
    area_mu: Decimal | None
    enterprises: int
    land_mu: Decimal
    output_wan: Decimal
    tax_wan: Decimal
    # platform code → share (0..1) of this subject's output in that platform's leading chains
    fit: Mapping[str, Decimal] = field(default_factory=dict)
    # adjacent main platforms (codes); the order carries no preference
    adjacent: Sequence[str] = ()
    # platform code → distance in km between centroids (only where coordinates exist)
    distance_km: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def tax_per_mu(self) -> Decimal | None:
        return self.tax_wan / self.land_mu if self.land_mu else None


@dataclass(frozen=True)
class Decision:
    action: str
    target: str | None
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return ACTIONS[self.action]


def _yi(wan: Decimal) -> str:
    return numbers.money(wan, unit="亿元")


def _mu(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(CENT)}万元/亩"


TIE_KM = Decimal(1)


def choose_adjacent(
    subject: Subject, tie_km: Decimal = TIE_KM
) -> tuple[str | None, Decimal, tuple[str, ...]]:
    """(target, fit, tied): the adjacent platform the subject fits best; among equal fits the
    nearest one. When equal fits are also equally near (within ``tie_km``, or without
    coordinates) there is no target and ``tied`` names the candidates: a tie is reported for a
    person to decide, never resolved by the order in which platforms happen to be listed."""
    if not subject.adjacent:
        return None, Decimal(0), ()
    best_fit = max(subject.fit.get(c, Decimal(0)) for c in subject.adjacent)
    top = sorted(c for c in subject.adjacent if subject.fit.get(c, Decimal(0)) == best_fit)
    if len(top) == 1:
        return top[0], max(best_fit, Decimal(0)), ()
    if all(c in subject.distance_km for c in top):
        near = sorted(top, key=lambda c: (subject.distance_km[c], c))
        if subject.distance_km[near[1]] - subject.distance_km[near[0]] >= tie_km:
            return near[0], max(best_fit, Decimal(0)), ()
        tied = tuple(
            c for c in near if subject.distance_km[c] - subject.distance_km[near[0]] < tie_km
        )
        return None, max(best_fit, Decimal(0)), tied
    return None, max(best_fit, Decimal(0)), tuple(top)


def best_adjacent(subject: Subject) -> tuple[str | None, Decimal]:
    """The adjacent platform the subject fits best (None on an unresolved tie)."""
    target, fit, _ = choose_adjacent(subject)
    return target, fit


def _tie_text(tied: Sequence[str], fit: Decimal, names: Mapping[str, str] | None) -> str:
    shown = "、".join((names or {}).get(c, c) for c in tied)
    return (
        f"{shown} 主导产业契合度同为 {_fit_text(fit)}，距离亦相近（或无坐标），"
        "并列，请审定时指定去向"
    )


def _where(subject: Subject, code: str | None) -> str:
    """How far the subject is from a platform, when coordinates give it."""
    if code is None or code not in subject.distance_km:
        return ""
    return f"，两地中心相距约 {subject.distance_km[code].quantize(Decimal('0.1'))} 公里"


def _fit_text(fit: Decimal) -> str:
    return f"{(fit * 100).quantize(Decimal('0.1'))}%"


def classify_township(
    subject: Subject,
    rules: TownshipRules,
    names: Mapping[str, str] | None = None,
    tie_km: Decimal = TIE_KM,
) -> Decision:
    """``names`` maps platform codes to the names the reasons should use."""
    tpm = subject.tax_per_mu
    target, fit, tied = choose_adjacent(subject, tie_km)
    has_target = target is not None or bool(tied)
    shown = (
        (names or {}).get(target, target)
        if target
        else "、".join((names or {}).get(c, c) for c in tied)
    )
    facts = (
        f"面积 {subject.area_mu or 0}亩，入园企业 {subject.enterprises} 家，产值 {_yi(subject.output_wan)}，"
        f"亩均税收 {_mu(tpm)}"
    )
    if subject.enterprises == 0 or tpm is None:
        return Decision("revoke", None, (facts, "无入园企业年度数据，按撤销处理"))
    if (
        (subject.area_mu or 0) >= rules.upgrade_min_area_mu
        and subject.output_wan >= rules.upgrade_min_output_wan
        and tpm >= rules.upgrade_min_tax_per_mu
        and has_target
    ):
        return Decision(
            "upgrade",
            target,
            (
                facts,
                (
                    f"面积≥{rules.upgrade_min_area_mu}亩、产值≥{_yi(rules.upgrade_min_output_wan)}、"
                    f"亩均税收≥{_mu(rules.upgrade_min_tax_per_mu)}，达到提升门槛"
                ),
                _tie_text(tied, fit, names)
                if tied
                else f"提升为相邻主体平台 {shown} 的功能区块（主导产业契合度 {_fit_text(fit)}"
                f"{_where(subject, target)}）",
            ),
        )
    if tpm < rules.exit_tax_per_mu and subject.output_wan < rules.exit_max_output_wan:
        return Decision(
            "revoke",
            None,
            (
                facts,
                f"亩均税收低于退出门槛 {_mu(rules.exit_tax_per_mu)}，且产值低于 {_yi(rules.exit_max_output_wan)}",
            ),
        )
    if tpm < rules.exit_tax_per_mu:
        return Decision(
            "convert",
            None,
            (
                facts,
                (
                    f"亩均税收低于退出门槛 {_mu(rules.exit_tax_per_mu)}，但产值不低于 {_yi(rules.exit_max_output_wan)}，"
                    "体量较大，建议转型提效"
                ),
            ),
        )
    if not has_target:
        return Decision("convert", None, (facts, "无相邻主体平台，建议转型"))
    if fit >= rules.merge_min_fit:
        return Decision(
            "merge",
            target,
            (
                facts,
                _tie_text(tied, fit, names)
                if tied
                else (
                    f"与主体平台 {shown} 相邻{_where(subject, target)}，主导产业契合度 "
                    f"{_fit_text(fit)} ≥ {_fit_text(rules.merge_min_fit)}，建议整合并入"
                ),
            ),
        )
    return Decision(
        "convert",
        None,
        (
            facts,
            (
                f"与主体平台 {shown} 相邻，但主导产业契合度仅 {_fit_text(fit)}（低于 {_fit_text(rules.merge_min_fit)}），"
                "建议转型"
            ),
        ),
    )


def classify_platform(
    subject: Subject,
    rules: PlatformRules,
    names: Mapping[str, str] | None = None,
    tie_km: Decimal = TIE_KM,
) -> Decision:
    tpm = subject.tax_per_mu
    facts = (
        f"产值 {_yi(subject.output_wan)}，亩均税收 {_mu(tpm)}，入园企业 {subject.enterprises} 家"
    )
    if subject.output_wan >= rules.weak_below_output_wan:
        return Decision(
            "keep", None, (facts, f"产值达到百亿门槛 {_yi(rules.weak_below_output_wan)}，保留")
        )
    weak = f"产值低于百亿门槛 {_yi(rules.weak_below_output_wan)}，属弱平台"
    target, fit, tied = choose_adjacent(subject, tie_km)
    shown = (
        (names or {}).get(target, target)
        if target
        else "、".join((names or {}).get(c, c) for c in tied)
    )
    if (target is not None or tied) and fit >= rules.merge_min_fit:
        return Decision(
            "merge",
            target,
            (
                facts,
                weak,
                _tie_text(tied, fit, names)
                if tied
                else (
                    f"与主体平台 {shown} 相邻{_where(subject, target)}，主导产业契合度 "
                    f"{_fit_text(fit)} ≥ {_fit_text(rules.merge_min_fit)}，建议整合并入"
                ),
            ),
        )
    if subject.output_wan < rules.revoke_below_output_wan and (
        tpm is None or tpm < rules.revoke_below_tax_per_mu
    ):
        return Decision(
            "revoke",
            None,
            (
                facts,
                weak,
                (
                    f"产值低于 {_yi(rules.revoke_below_output_wan)} 且亩均税收低于 {_mu(rules.revoke_below_tax_per_mu)}，"
                    "建议撤销"
                ),
            ),
        )
    if tpm is None or tpm < rules.convert_below_tax_per_mu:
        return Decision(
            "convert",
            None,
            (facts, weak, f"亩均税收低于 {_mu(rules.convert_below_tax_per_mu)}，建议转型"),
        )
    no_merge = (
        "无可并入的相邻主体平台"
        if target is None and not tied
        else f"与 {shown} 的主导产业契合度仅 {_fit_text(fit)}，不宜并入"
    )
    return Decision(
        "upgrade",
        subject.code,
        (
            facts,
            weak,
            f"{no_merge}；亩均税收不低于 {_mu(rules.convert_below_tax_per_mu)}，建议扩容提质、提升能级",
        ),
    )


# ---------------------------------------------------------------- merger simulation


@dataclass(frozen=True)
class Totals:
    enterprises: int
    land_mu: Decimal
    output_wan: Decimal
    value_added_wan: Decimal
    tax_wan: Decimal

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.enterprises + other.enterprises,
            self.land_mu + other.land_mu,
            self.output_wan + other.output_wan,
            self.value_added_wan + other.value_added_wan,
            self.tax_wan + other.tax_wan,
        )

    @property
    def tax_per_mu(self) -> Decimal | None:
        return self.tax_wan / self.land_mu if self.land_mu else None

    @property
    def value_added_per_mu(self) -> Decimal | None:
        return self.value_added_wan / self.land_mu if self.land_mu else None

    @property
    def output_per_mu(self) -> Decimal | None:
        return self.output_wan / self.land_mu if self.land_mu else None


ZERO = Totals(0, Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def rank_of(value: Decimal | None, others: Mapping[str, Decimal | None]) -> tuple[int | None, int]:
    """1-based rank of ``value`` among ``others`` plus itself, higher first (ties share the better
    rank); None when the value is undefined."""
    total = len(others) + 1
    if value is None:
        return None, total
    return 1 + sum(1 for v in others.values() if v is not None and v > value), total


TIER_ORDER = ("T1", "T2", "T3")


def merged_tier(tiers: Sequence[str]) -> str | None:
    """A merged entity competes in the highest tier of its members (T1 above T2 above T3)."""
    known = [t for t in tiers if t]
    if not known:
        return None
    return min(known, key=lambda t: TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER))


# ---------------------------------------------------------------- industry chains

STAGE_GAP = {"midstream": "补链", "upstream": "延链", "downstream": "延链"}


@dataclass(frozen=True)
class Link:
    code: str
    name: str
    chain: str
    chain_name: str
    stage: str


@dataclass(frozen=True)
class LinkStatus:
    link: Link
    enterprises: int
    output_wan: Decimal
    action: str  # 建链 / 补链 / 延链 / 强链, or "" when the link is present and strong

    @property
    def missing(self) -> bool:
        return self.enterprises == 0


def chain_gaps(
    links: Sequence[Link],
    present: Mapping[str, tuple[int, Decimal]],
    leading_chains: set[str],
    rules: ChainRules,
) -> list[LinkStatus]:
    """Every link of every chain with the platform's count and output, and what to do about it.

    Only the platform's leading chains produce investment-promotion actions: a leading chain with
    no enterprise at all is to be built (建链); a missing midstream link is filled (补链); a
    missing upstream or downstream link extends the chain (延链); a link with too few
    enterprises is strengthened (强链)."""
    chain_present = {
        c: any(present.get(link.code, (0,))[0] for link in links if link.chain == c)
        for c in {link.chain for link in links}
    }
    rows = []
    for link in links:
        count, output = present.get(link.code, (0, Decimal(0)))
        action = ""
        if link.chain in leading_chains:
            if not chain_present[link.chain]:
                action = "建链"
            elif count == 0:
                action = STAGE_GAP[link.stage]
            elif count < rules.strong_min_enterprises:
                action = "强链"
        rows.append(LinkStatus(link, count, output, action))
    return rows


# ---------------------------------------------------------------- benefit sharing


def check_shares(shares: Sequence[Decimal], what: str) -> None:
    """Shares are percentages with at most two decimals, none negative, summing to exactly 100."""
    for share in shares:
        if share < 0 or share > HUNDRED:
            raise Refused(f"{what}比例应在 0% 到 100% 之间，发现 {share}%")
        if share != share.quantize(CENT):
            raise Refused(f"{what}比例最多保留两位小数，发现 {share}%")
    total = sum(shares, Decimal(0))
    if total != HUNDRED:
        raise Refused(f"{what}比例合计应为 100%，现为 {total}%")


def split_exact(
    total: Decimal, shares: Sequence[Decimal], quantum: Decimal = CENT
) -> list[Decimal]:
    """Split ``total`` by percentage ``shares`` into multiples of ``quantum`` that sum to exactly
    ``total`` (largest remainder; ties go to the earlier party)."""
    if total != total.quantize(quantum):
        raise Refused(f"待分配金额 {total} 不是 {quantum} 的整数倍")
    units = int(total / quantum)
    sign = -1 if units < 0 else 1
    exact = [Decimal(abs(units)) * s / HUNDRED for s in shares]
    floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    left = abs(units) - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * n * quantum for n in floors]
