"""Lishui's platform system (丽政办发〔2021〕46号) read from the shipped data files.

``registry.toml`` holds the plan baseline, counties, chains, platforms and sub-zones;
``former_zones.csv`` and ``events.csv`` the pre-integration zones and their dated fate;
``sources.csv`` the source ids every record cites; ``industries.csv`` the GB/T 4754-2017
小类 used by the generator. No Django import: the loader and the engine both use this.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Protocol

from pingtai.data.lishui.schema import (
    Chain,
    ChainLink,
    County,
    FormerZone,
    IntegrationEvent,
    LeadingIndustry,
    Platform,
    Source,
    SubZone,
)

MU_PER_KM2 = Decimal(1500)  # exact: 1 km² = 100 ha = 1500 亩 (docs/standards.md §4.1)
EVENT_KINDS = ("merged", "upgraded", "revoked", "converted")
ZONE_KINDS = ("provincial_or_higher", "township")


@dataclass(frozen=True)
class Baseline:
    """The plan's end-2019 figures (§一) and 2021 reduction targets (§二(二))."""

    year: int
    provincial_or_higher_zones: int
    township_zones: int
    land_mu: Decimal
    enterprises: int
    above_scale_output_wan: Decimal
    tax_wan: Decimal
    core_output_per_mu_min: Decimal
    core_output_per_mu_max: Decimal
    core_tax_per_mu_min: Decimal
    core_tax_per_mu_max: Decimal
    over_20bn_platforms: tuple[str, ...]
    under_10bn_platform_count: int
    under_10bn_named: tuple[str, ...]
    management_staff: int
    staff_reduction_2021: Decimal
    body_reduction_2021: Decimal
    plan_date: dt.date
    plan_document: str
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class Industry:
    code: str  # GB/T 4754-2017 小类 with its letter, e.g. "C3484"
    name: str
    chain_link_code: str | None
    name_words: tuple[str, ...]  # words used in generated company names


@dataclass(frozen=True)
class Registry:
    baseline: Baseline
    sources: tuple[Source, ...]
    counties: tuple[County, ...]
    chains: tuple[Chain, ...]
    platforms: tuple[Platform, ...]
    sub_zones: tuple[SubZone, ...]
    former_zones: tuple[FormerZone, ...]
    events: tuple[IntegrationEvent, ...]
    industries: tuple[Industry, ...]
    # Per platform, the 小类 codes of each leading industry, aligned with
    # Platform.leading_industries.
    leading_codes: Mapping[str, tuple[tuple[str, ...], ...]]


class HasZoneHistory(Protocol):
    """Anything carrying the zone history: a Registry or a DemoDataset."""

    @property
    def former_zones(self) -> tuple[FormerZone, ...]: ...

    @property
    def events(self) -> tuple[IntegrationEvent, ...]: ...


@dataclass(frozen=True)
class ZoneStatus:
    zone_code: str
    state: str  # independent / merged / upgraded / revoked / converted
    platform_code: str | None
    event: IntegrationEvent | None


@dataclass(frozen=True)
class SystemSnapshot:
    """The platform system on one day: which former zones each platform comprises."""

    as_of: dt.date
    platforms: Mapping[str, tuple[str, ...]]  # platform code → member zone codes
    independent: tuple[str, ...]  # zones not yet integrated
    closed: tuple[str, ...]  # zones revoked or converted


def _text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_text(name).splitlines()))


def _ids(raw: str) -> tuple[str, ...]:
    return tuple(part for part in raw.split(";") if part)


def _bool(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError(f"expected true/false, got {raw!r}")
    return raw == "true"


def _area(entry: Mapping[str, Any], field: str) -> Decimal | None:
    if f"{field}_km2" in entry:
        return Decimal(entry[f"{field}_km2"]) * MU_PER_KM2
    if f"{field}_mu" in entry:
        return Decimal(entry[f"{field}_mu"])
    return None


def _platform(entry: Mapping[str, Any]) -> Platform:
    return Platform(
        code=entry["code"],
        name=entry["name"],
        short_name=entry["short_name"],
        level=entry["level"],
        spatial_role=entry["spatial_role"],
        spatial_group=entry["spatial_group"],
        tier=entry["tier"],
        county_codes=tuple(entry["county_codes"]),
        approved_area_mu=_area(entry, "approved_area"),
        planned_area_mu=_area(entry, "planned_area"),
        developable_area_mu=_area(entry, "developable_area"),
        leading_industries=tuple(
            LeadingIndustry(name=li["name"], chain_code=li["chain_code"] or None)
            for li in entry["leading_industries"]
        ),
        management_body=entry["management_body"],
        leadership_posts=entry["leadership_posts"],
        staff_count=entry["staff_count"],
        source_ids=tuple(entry["source_ids"]),
        notes=entry["notes"],
        assumed_fields=tuple(entry["assumed_fields"]),
    )


def _baseline(entry: Mapping[str, Any]) -> Baseline:
    return Baseline(
        year=entry["year"],
        provincial_or_higher_zones=entry["provincial_or_higher_zones"],
        township_zones=entry["township_zones"],
        land_mu=Decimal(entry["land_mu"]),
        enterprises=entry["enterprises"],
        above_scale_output_wan=Decimal(entry["above_scale_output_wan"]),
        tax_wan=Decimal(entry["tax_wan"]),
        core_output_per_mu_min=Decimal(entry["core_output_per_mu_min"]),
        core_output_per_mu_max=Decimal(entry["core_output_per_mu_max"]),
        core_tax_per_mu_min=Decimal(entry["core_tax_per_mu_min"]),
        core_tax_per_mu_max=Decimal(entry["core_tax_per_mu_max"]),
        over_20bn_platforms=tuple(entry["over_20bn_platforms"]),
        under_10bn_platform_count=entry["under_10bn_platform_count"],
        under_10bn_named=tuple(entry["under_10bn_named"]),
        management_staff=entry["management_staff"],
        staff_reduction_2021=Decimal(entry["staff_reduction_2021"]),
        body_reduction_2021=Decimal(entry["body_reduction_2021"]),
        plan_date=entry["plan_date"],
        plan_document=entry["plan_document"],
        source_ids=tuple(entry["source_ids"]),
    )


@cache
def load_registry() -> Registry:
    """Read and cross-check the shipped registry files (cached; records are immutable)."""
    doc = tomllib.loads(_text("registry.toml"))
    sources = tuple(
        Source(id=r["id"], title=r["title"], url=r["url"], status=r["status"])
        for r in _csv("sources.csv")
    )
    counties = tuple(County(**c) for c in doc["counties"])
    chains = tuple(
        Chain(
            code=c["code"],
            name=c["name"],
            links=tuple(ChainLink(**link) for link in c["links"]),
        )
        for c in doc["chains"]
    )
    platforms = tuple(_platform(p) for p in doc["platforms"])
    leading_codes = {
        p["code"]: tuple(tuple(li["codes"]) for li in p["leading_industries"])
        for p in doc["platforms"]
    }
    sub_zones = tuple(SubZone(**s) for s in doc["sub_zones"])
    former_zones = tuple(
        FormerZone(
            code=r["code"],
            name=r["name"],
            kind=r["kind"],
            county_code=r["county_code"],
            area_mu=Decimal(r["area_mu"]) if r["area_mu"] else None,
            name_generated=_bool(r["name_generated"]),
            source_ids=_ids(r["source_ids"]),
            notes=r["notes"],
        )
        for r in _csv("former_zones.csv")
    )
    events = tuple(
        IntegrationEvent(
            zone_code=r["zone_code"],
            kind=r["kind"],
            platform_code=r["platform_code"] or None,
            effective_date=dt.date.fromisoformat(r["effective_date"]),
            document=r["document"],
            assumed=_bool(r["assumed"]),
            notes=r["notes"],
        )
        for r in _csv("events.csv")
    )
    industries = tuple(
        Industry(
            code=r["code"],
            name=r["name"],
            chain_link_code=r["chain_link_code"] or None,
            name_words=tuple(r["name_words"].split("|")),
        )
        for r in _csv("industries.csv")
    )
    registry = Registry(
        baseline=_baseline(doc["baseline"]),
        sources=sources,
        counties=counties,
        chains=chains,
        platforms=platforms,
        sub_zones=sub_zones,
        former_zones=former_zones,
        events=events,
        industries=industries,
        leading_codes=leading_codes,
    )
    _check(registry)
    return registry


def _check(reg: Registry) -> None:
    """Fail loudly on a broken reference in the data files."""
    problems: list[str] = []
    source_ids = {s.id for s in reg.sources}
    county_codes = {c.code for c in reg.counties}
    chain_codes = {c.code for c in reg.chains}
    link_codes = {link.code for c in reg.chains for link in c.links}
    platform_codes = {p.code for p in reg.platforms}
    industry_codes = {i.code for i in reg.industries}
    zone_codes = {z.code for z in reg.former_zones}
    for p in reg.platforms:
        problems += [f"{p.code}: unknown source {s}" for s in p.source_ids if s not in source_ids]
        problems += [
            f"{p.code}: unknown county {c}" for c in p.county_codes if c not in county_codes
        ]
        problems += [
            f"{p.code}: unknown chain {li.chain_code}"
            for li in p.leading_industries
            if li.chain_code is not None and li.chain_code not in chain_codes
        ]
        problems += [
            f"{p.code}: unknown industry {code}"
            for codes in reg.leading_codes[p.code]
            for code in codes
            if code not in industry_codes
        ]
    for z in reg.former_zones:
        problems += [f"{z.code}: unknown source {s}" for s in z.source_ids if s not in source_ids]
        if z.county_code not in county_codes:
            problems.append(f"{z.code}: unknown county {z.county_code}")
        if z.kind not in ZONE_KINDS:
            problems.append(f"{z.code}: unknown kind {z.kind}")
    for e in reg.events:
        if e.zone_code not in zone_codes:
            problems.append(f"event for unknown zone {e.zone_code}")
        if e.kind not in EVENT_KINDS:
            problems.append(f"{e.zone_code}: unknown event kind {e.kind}")
        if (e.kind in ("merged", "upgraded")) != (e.platform_code in platform_codes):
            problems.append(f"{e.zone_code}: {e.kind} needs a platform, not {e.platform_code}")
    for s in reg.sub_zones:
        if s.platform_code not in platform_codes:
            problems.append(f"{s.code}: unknown platform {s.platform_code}")
    for i in reg.industries:
        if i.chain_link_code is not None and i.chain_link_code not in link_codes:
            problems.append(f"{i.code}: unknown chain link {i.chain_link_code}")
    if problems:
        raise ValueError("Lishui registry data is inconsistent:\n" + "\n".join(problems))


def zone_status_as_of(data: HasZoneHistory, zone_code: str, day: dt.date) -> ZoneStatus:
    """The state of a former zone on ``day``: independent until its event takes effect."""
    if zone_code not in {z.code for z in data.former_zones}:
        raise KeyError(f"unknown former zone {zone_code}")
    past = sorted(
        (e for e in data.events if e.zone_code == zone_code and e.effective_date <= day),
        key=lambda e: e.effective_date,
    )
    if not past:
        return ZoneStatus(zone_code, "independent", None, None)
    last = past[-1]
    return ZoneStatus(zone_code, last.kind, last.platform_code, last)


def system_as_of(data: HasZoneHistory, day: dt.date) -> SystemSnapshot:
    """What the platform system looked like on ``day``."""
    members: dict[str, list[str]] = {}
    independent: list[str] = []
    closed: list[str] = []
    for zone in data.former_zones:
        status = zone_status_as_of(data, zone.code, day)
        if status.platform_code is not None:
            members.setdefault(status.platform_code, []).append(zone.code)
        elif status.state == "independent":
            independent.append(zone.code)
        else:
            closed.append(zone.code)
    return SystemSnapshot(
        as_of=day,
        platforms={code: tuple(zones) for code, zones in sorted(members.items())},
        independent=tuple(independent),
        closed=tuple(closed),
    )


def platforms_as_of(data: HasZoneHistory, day: dt.date) -> Mapping[str, tuple[str, ...]]:
    """Platform code → the former zones it comprises on ``day`` (platforms with none omitted)."""
    return system_as_of(data, day).platforms
