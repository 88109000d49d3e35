"""Plain records of the default dataset, shared by the generator and the Django loader.

Money is in 万元, land in 亩, energy in 吨标煤, emissions in 当量吨, electricity in 万kWh.
Money and areas are ``Decimal`` so that the published totals reconcile exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Source:
    id: str  # e.g. "S05", "PLAN" for the plan itself
    title: str
    url: str
    status: str  # official / official (repost) / secondary / generated


@dataclass(frozen=True)
class County:
    code: str  # GB/T 2260, six digits
    name: str
    kind: str  # 市辖区 / 县 / 自治县 / 县级市 / 地级市


@dataclass(frozen=True)
class ChainLink:
    code: str  # unique across chains, e.g. "SEMI-UP-1"
    name: str
    stage: str  # upstream / midstream / downstream


@dataclass(frozen=True)
class Chain:
    code: str  # SEMI / PREC / HEAL / FASH / DIGI
    name: str
    links: tuple[ChainLink, ...]


@dataclass(frozen=True)
class LeadingIndustry:
    name: str
    chain_code: str | None  # one of the five city chains, or None for a local specialty


@dataclass(frozen=True)
class Platform:
    code: str  # LS01 … LS11
    name: str
    short_name: str
    level: str  # national / provincial / county
    spatial_role: str  # 一心 / 两翼 / 三片区
    spatial_group: str  # e.g. 一心, 两翼·北翼(缙云), 两翼·南翼(青田), 三片区·遂松 …
    tier: str  # competition tier code, e.g. T1/T2/T3
    county_codes: tuple[str, ...]
    approved_area_mu: Decimal | None
    planned_area_mu: Decimal | None
    developable_area_mu: Decimal | None
    leading_industries: tuple[LeadingIndustry, ...]
    management_body: str
    leadership_posts: int | None
    staff_count: int | None
    source_ids: tuple[str, ...]
    notes: str = ""
    # Names of the fields above whose values are assumptions or generated, not published.
    assumed_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubZone:
    code: str
    platform_code: str
    name: str
    notes: str = ""


@dataclass(frozen=True)
class FormerZone:
    code: str
    name: str
    kind: str  # provincial_or_higher / township
    county_code: str
    area_mu: Decimal | None
    name_generated: bool  # True where the real name is not public
    source_ids: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class IntegrationEvent:
    zone_code: str  # a FormerZone.code
    kind: str  # merged / upgraded / revoked / converted
    platform_code: str | None  # the platform it went into (merged/upgraded), else None
    effective_date: dt.date
    document: str  # the approving document, e.g. 丽政办发〔2021〕46号
    assumed: bool  # True where the date or target is our assumption
    notes: str = ""


@dataclass(frozen=True)
class Enterprise:
    uscc: str  # checksum-valid
    name: str
    county_code: str
    platform_code: str
    former_zone_code: str  # the zone it sat in before integration
    industry_code: str  # GB/T 4754-2017 小类 with its letter, e.g. "C3985"
    chain_link_code: str | None
    lon: float | None
    lat: float | None
    synthetic: bool = True


@dataclass(frozen=True)
class LandParcel:
    parcel_id: str
    holder_uscc: str  # the enterprise holding the land-use right
    user_uscc: str  # the enterprise using it (differs for a lease)
    tenure: str  # owned / leased
    area_mu: Decimal
    synthetic: bool = True


@dataclass(frozen=True)
class EnterpriseYear:
    uscc: str
    year: int
    size_class: str  # 规上 / 规下
    land_mu: Decimal  # owned + leased in use
    output_wan: Decimal  # 工业总产值
    value_added_wan: Decimal
    revenue_wan: Decimal
    tax_wan: Decimal  # 实缴税金
    energy_tce: Decimal
    emission_t: Decimal
    electricity_wan_kwh: Decimal
    employees: int
    rd_wan: Decimal
    synthetic: bool = True


@dataclass(frozen=True)
class DemoDataset:
    seed: int
    sources: tuple[Source, ...]
    counties: tuple[County, ...]
    chains: tuple[Chain, ...]
    platforms: tuple[Platform, ...]
    sub_zones: tuple[SubZone, ...]
    former_zones: tuple[FormerZone, ...]
    events: tuple[IntegrationEvent, ...]
    enterprises: tuple[Enterprise, ...]
    parcels: tuple[LandParcel, ...]
    enterprise_years: tuple[EnterpriseYear, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
