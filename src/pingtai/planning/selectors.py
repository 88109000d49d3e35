"""Read-side of integration planning: subjects for classification, merger simulation, chain maps,
and the agreements a user may see. Nothing here writes to the database."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.http import Http404

from pingtai.accounts.models import User
from pingtai.planning import rules as R
from pingtai.planning.models import Agreement
from pingtai.registry.models import (
    Chain,
    ChainLink,
    Enterprise,
    EnterpriseYear,
    FormerZone,
    Platform,
)
from pingtai.registry.selectors import _exact, figures_by_platform, platform_system_as_of
from pingtai.targets import Target, assess, load_targets

TIER_RANK = {t: i for i, t in enumerate(R.TIER_ORDER)}


def leading_chains() -> dict[str, set[str]]:
    """Platform code → codes of the city chains its leading industries belong to."""
    chains: dict[str, set[str]] = defaultdict(set)
    for platform in Platform.objects.prefetch_related("leading_industries"):
        chains[platform.code]  # every platform appears, even without mapped chains
        for industry in platform.leading_industries.all():
            if industry.chain_id:
                chains[platform.code].add(industry.chain_id)
    return dict(chains)


def _platforms_by_county() -> dict[str, list[str]]:
    """County code → platforms covering it, higher tier first, then by code."""
    by_county: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for code, tier, county in Platform.objects.values_list("code", "tier", "counties__code"):
        if county:
            by_county[county].append((TIER_RANK.get(tier, 9), code))
    return {c: [code for _, code in sorted(v)] for c, v in by_county.items()}


def _output_by_chain(group_field: str, year: int) -> dict[object, dict[str, Decimal]]:
    rows = (
        EnterpriseYear.objects.filter(year=year, enterprise__chain_link__isnull=False)
        .values(group_field, "enterprise__chain_link__chain_id")
        .annotate(out=Sum("output_wan"))
    )
    result: dict[object, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        result[row[group_field]][row["enterprise__chain_link__chain_id"]] = _exact(row["out"])
    return result


def _fit(output: Decimal, by_chain: dict[str, Decimal], chains: set[str]) -> Decimal:
    if not output:
        return Decimal(0)
    return sum((v for c, v in by_chain.items() if c in chains), Decimal(0)) / output


def _adjacent(
    code: str,
    county: str,
    by_county: dict[str, list[str]],
    rules: R.AdjacencyRules,
    exclude: set[str],
    centre: tuple[float, float] | None = None,
    centres: dict[str, tuple[float, float]] | None = None,
) -> list[str]:
    """Adjacent main platforms: an explicit entry of the rules file; else, under the distance
    rule and where coordinates exist, the platforms whose centroid lies within ``max_km``;
    else the platforms covering the county."""
    if code in rules.explicit:
        return [rules.explicit[code]]
    if rules.rule == "distance" and centre is not None and centres:
        return sorted(
            p
            for p, where in centres.items()
            if p not in exclude and Decimal(str(km(centre, where))) <= rules.max_km
        )
    return [p for p in by_county.get(county, []) if p not in exclude]


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points (haversine, R = 6371 km)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def centroids(field: str) -> dict:
    """``field`` value → mean (lon, lat) of the enterprises with coordinates (e.g. per
    platform code or per former zone id). In the demo the coordinates are synthetic."""
    rows = (
        Enterprise.objects.filter(lon__isnull=False, lat__isnull=False)
        .values(field)
        .annotate(lon=Avg("lon"), lat=Avg("lat"))
    )
    return {row[field]: (row["lon"], row["lat"]) for row in rows}


def _distances(
    centre: tuple[float, float] | None, codes: list[str], centres: dict[str, tuple[float, float]]
) -> dict[str, Decimal]:
    if centre is None:
        return {}
    return {p: Decimal(str(round(km(centre, centres[p]), 1))) for p in codes if p in centres}


@dataclass(frozen=True)
class ZoneCase:
    zone: FormerZone
    current_platform: Platform | None
    subject: R.Subject


def zone_cases(
    year: int, as_of: dt.date, rules: R.PlanningRules, exclude: Collection[str] = frozenset()
) -> list[ZoneCase]:
    """Township zones that are still in use on ``as_of`` (independent or integrated, not already
    revoked or converted), each with its enterprises' figures of ``year``; platforms in
    ``exclude`` do not count as adjacent main platforms."""
    system = platform_system_as_of(as_of)
    current = {z.pk: comp.platform for comp in system.platforms for z in comp.zones}
    gone = {z.pk for z in system.revoked + system.converted}
    sums = {
        row["enterprise__former_zone_id"]: row
        for row in EnterpriseYear.objects.filter(
            year=year, enterprise__former_zone__kind=FormerZone.Kind.TOWNSHIP
        )
        .values("enterprise__former_zone_id")
        .annotate(n=Count("id"), land=Sum("land_mu"), out=Sum("output_wan"), tax=Sum("tax_wan"))
    }
    by_chain = _output_by_chain("enterprise__former_zone_id", year)
    chains, by_county = leading_chains(), _platforms_by_county()
    platform_centres = centroids("platform__code")
    zone_centres = centroids("former_zone_id")
    cases = []
    for zone in (
        FormerZone.objects.filter(kind=FormerZone.Kind.TOWNSHIP)
        .select_related("county")
        .order_by("code")
    ):
        if zone.pk in gone:
            continue
        row: Mapping[str, Any] = sums.get(zone.pk, {})
        output = _exact(row.get("out"))
        registered = current.get(zone.pk)
        centre = zone_centres.get(zone.pk)
        if registered is not None and registered.code not in exclude:
            # A zone stays with the platform it is registered to (docs/planning.md): that platform
            # is its only candidate; a rule that moves it elsewhere is flagged for decision.
            adjacent = [registered.code]
        else:
            adjacent = _adjacent(
                zone.code,
                zone.county_id,
                by_county,
                rules.adjacency,
                set(exclude),
                centre,
                platform_centres,
            )
        subject = R.Subject(
            code=zone.code,
            name=zone.name,
            county=zone.county_id,
            area_mu=zone.area_mu,
            enterprises=row.get("n", 0),
            land_mu=_exact(row.get("land")),
            output_wan=output,
            tax_wan=_exact(row.get("tax")),
            fit={
                p: _fit(output, by_chain.get(zone.pk, {}), chains.get(p, set())) for p in adjacent
            },
            adjacent=adjacent,
            distance_km=_distances(centre, adjacent, platform_centres),
        )
        cases.append(ZoneCase(zone, registered, subject))
    return cases


def platform_cases(year: int, rules: R.PlanningRules) -> list[tuple[Platform, R.Subject]]:
    """Every platform with its figures; adjacency only to platforms that are not weak themselves."""
    figures = figures_by_platform(year)
    by_chain = _output_by_chain("enterprise__platform_id", year)
    chains, by_county = leading_chains(), _platforms_by_county()
    platforms = list(Platform.objects.prefetch_related("counties").order_by("code"))
    weak = {
        p.code
        for p in platforms
        if (figures[p.pk].output_wan if p.pk in figures else 0)
        < rules.platform.weak_below_output_wan
    }
    centres = centroids("platform__code")
    cases = []
    for platform in platforms:
        f = figures.get(platform.pk)
        output = f.output_wan if f else Decimal(0)
        adjacent: list[str] = []
        for county in platform.counties.all():
            for code in _adjacent(
                platform.code,
                county.code,
                by_county,
                rules.adjacency,
                weak | {platform.code},
                centres.get(platform.code),
                centres,
            ):
                if code not in adjacent:
                    adjacent.append(code)
        first_county = platform.counties.all()[0].code if platform.counties.all() else ""
        cases.append(
            (
                platform,
                R.Subject(
                    code=platform.code,
                    name=platform.name,
                    county=first_county,
                    area_mu=platform.developable_area_mu,
                    enterprises=f.enterprises if f else 0,
                    land_mu=f.land_mu if f else Decimal(0),
                    output_wan=output,
                    tax_wan=f.tax_wan if f else Decimal(0),
                    fit={
                        p: _fit(output, by_chain.get(platform.pk, {}), chains.get(p, set()))
                        for p in adjacent
                    },
                    adjacent=adjacent,
                    distance_km=_distances(centres.get(platform.code), adjacent, centres),
                ),
            )
        )
    return cases


# ---------------------------------------------------------------- merger simulation


def _totals(rows: QuerySet[EnterpriseYear]) -> dict[int, R.Totals]:
    grouped = rows.values("year").annotate(
        n=Count("id"),
        land=Sum("land_mu"),
        out=Sum("output_wan"),
        va=Sum("value_added_wan"),
        tax=Sum("tax_wan"),
    )
    return {
        g["year"]: R.Totals(
            g["n"], _exact(g["land"]), _exact(g["out"]), _exact(g["va"]), _exact(g["tax"])
        )
        for g in grouped
    }


@dataclass(frozen=True)
class TargetLine:
    name: str
    goal_text: str
    value: Decimal | float | None
    value_text: str
    unit: str
    progress: float | None
    status: str
    label: str
    reason: str
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class Simulation:
    year: int
    platforms: list[Platform]
    zones: list[FormerZone]
    totals: R.Totals
    developable_mu: Decimal
    tier: str | None
    rank_output: tuple[int | None, int]
    rank_tax_per_mu: tuple[int | None, int]
    peers: list[tuple[str, str, Decimal, Decimal | None]]
    targets: list[TargetLine]
    notes: list[str]


def simulate(
    platform_codes: list[str],
    zone_codes: list[str],
    year: int,
    rules: R.PlanningRules | None = None,
) -> Simulation:
    """The merged entity's figures (ratios of sums over the union of the members' enterprises),
    its rank in its tier and its progress towards the targets. Reads only."""
    rules = rules or R.load_rules()
    platforms = list(Platform.objects.filter(code__in=platform_codes).order_by("code"))
    zones = list(FormerZone.objects.filter(code__in=zone_codes).order_by("code"))
    missing = set(platform_codes) - {p.code for p in platforms} | set(zone_codes) - {
        z.code for z in zones
    }
    if missing:
        raise ValueError(f"未找到：{'、'.join(sorted(missing))}")
    if len(platforms) + len(zones) < 2:
        raise ValueError("请至少选择两个平台或园区")
    members = Q(enterprise__platform__in=platforms) | Q(enterprise__former_zone__in=zones)
    series = _totals(EnterpriseYear.objects.filter(members))
    totals = series.get(year, R.ZERO)
    system = platform_system_as_of(dt.date(year, 12, 31))
    inside = {z.pk for comp in system.platforms if comp.platform in platforms for z in comp.zones}
    developable = sum((p.developable_area_mu or Decimal(0) for p in platforms), Decimal(0))
    notes = []
    if rules.simulation.zone_area_counts_as_developable:
        extra = [z for z in zones if z.pk not in inside]
        developable += sum((z.area_mu or Decimal(0) for z in extra), Decimal(0))
        if extra:
            notes.append("并入园区的面积计入可开发空间（假设：园区面积均可开发）")
    if any(z.pk in inside for z in zones):
        notes.append("所选园区已属所选平台的部分不重复计算")
    tier = R.merged_tier(
        [p.tier for p in platforms]
        + [owner.tier for z in zones if (owner := system.platform_of(z.code)) is not None]
    )
    member_ids = {p.pk for p in platforms}
    figures = figures_by_platform(year)
    peers_q = (
        Platform.objects.filter(tier=tier).exclude(pk__in=member_ids).order_by("code")
        if tier
        else []
    )
    peers = [
        (
            p.code,
            p.short_name,
            figures[p.pk].output_wan if p.pk in figures else Decimal(0),
            figures[p.pk].tax_per_mu if p.pk in figures else None,
        )
        for p in peers_q
    ]
    rank_output = R.rank_of(totals.output_wan, {c: o for c, _, o, _ in peers})
    rank_tpm = R.rank_of(totals.tax_per_mu, {c: t for c, _, _, t in peers})
    return Simulation(
        year,
        platforms,
        zones,
        totals,
        developable,
        tier,
        rank_output,
        rank_tpm,
        peers,
        _target_lines(series, developable, year, rules),
        notes,
    )


def _target_lines(
    series: dict[int, R.Totals], developable: Decimal, year: int, rules: R.PlanningRules
) -> list[TargetLine]:
    plan = load_targets()
    hundred = Target(
        id="county_hundred_yi",
        name="百亿产能",
        metric="output_wan",
        unit="万元",
        kind="at_least",
        scope="platform",
        target_year=rules.simulation.hundred_yi_target_year,
        section="§四(二)",
        quote="各县（市、区）以百亿产能规模为基本要求",
        assumptions=(
            f"产能以工业总产值衡量（U-22）；期限取{rules.simulation.hundred_yi_target_year}年（假设）",
        ),
        goal=float(rules.platform.weak_below_output_wan),
    )
    cases = [
        (plan.get("developable_space"), {year: float(developable)}),
        (hundred, {y: float(t.output_wan) for y, t in series.items()}),
        (
            plan.get("tax_per_mu"),
            {y: float(t.tax_per_mu) for y, t in series.items() if t.tax_per_mu is not None},
        ),
        (
            plan.get("value_added_per_mu"),
            {
                y: float(t.value_added_per_mu)
                for y, t in series.items()
                if t.value_added_per_mu is not None
            },
        ),
    ]
    lines = []
    for target, values in cases:
        a = assess(target, values, plan.status, as_of=year)
        lines.append(
            TargetLine(
                target.name,
                target.goal_text,
                a.value,
                target.value_text(a.value),
                target.unit,
                a.progress,
                a.status,
                a.label,
                a.reason,
                target.assumptions,
            )
        )
    return lines


# ---------------------------------------------------------------- industry chains


def all_links() -> list[R.Link]:
    return [
        R.Link(link.code, link.name, link.chain_id, link.chain.name, link.stage)
        for link in ChainLink.objects.select_related("chain").order_by("chain__order", "order")
    ]


def link_presence(year: int, platform: Platform | None = None) -> dict[str, tuple[int, Decimal]]:
    """Link code → (enterprises, output 万元) in ``year``, for one platform or the whole city."""
    rows = EnterpriseYear.objects.filter(year=year, enterprise__chain_link__isnull=False)
    if platform is not None:
        rows = rows.filter(enterprise__platform=platform)
    return {
        r["enterprise__chain_link_id"]: (r["n"], _exact(r["out"]))
        for r in rows.values("enterprise__chain_link_id").annotate(
            n=Count("id"), out=Sum("output_wan")
        )
    }


def chain_map(
    platform: Platform, year: int, rules: R.PlanningRules | None = None
) -> list[R.LinkStatus]:
    rules = rules or R.load_rules()
    return R.chain_gaps(
        all_links(),
        link_presence(year, platform),
        leading_chains().get(platform.code, set()),
        rules.chains,
    )


def chains_tree() -> list[tuple[Chain, list[ChainLink]]]:
    return [(c, list(c.links.all())) for c in Chain.objects.prefetch_related("links")]


def link_enterprises(
    platform: Platform, link_code: str, year: int
) -> list[tuple[Enterprise, EnterpriseYear | None]]:
    """The platform's enterprises tagged to one link, with their figures of ``year``, largest first."""
    rows = {
        r.enterprise_id: r
        for r in EnterpriseYear.objects.filter(
            year=year, enterprise__platform=platform, enterprise__chain_link_id=link_code
        )
    }
    found = [
        (e, rows.get(e.pk))
        for e in Enterprise.objects.filter(platform=platform, chain_link_id=link_code)
    ]
    return sorted(found, key=lambda pair: (-(pair[1].output_wan if pair[1] else 0), pair[0].name))


# ---------------------------------------------------------------- agreements


def agreements_for(user: User) -> QuerySet[Agreement]:
    """All agreements for the city roles; a platform user sees those its platform (or one of its
    functional zones) is party to; departments see none."""
    rows = Agreement.objects.prefetch_related("parties")
    if user.role in (User.Role.CITY_ADMIN, User.Role.LEADER):
        return rows
    if user.role == User.Role.PLATFORM:
        return rows.filter(
            Q(parties__platform_id=user.platform_id)
            | Q(parties__sub_zone__platform_id=user.platform_id)
        ).distinct()
    return rows.none()


def scoped_agreement(user: User, code: str) -> Agreement:
    try:
        return agreements_for(user).get(code=code)
    except ObjectDoesNotExist as missing:
        raise Http404("没有找到该协议，或您无权查看") from missing


def covered_enterprises(agreement: Agreement) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(
        Q(pk__in=agreement.enterprises.values("pk")) | Q(former_zone__in=agreement.zones.all())
    ).distinct()
