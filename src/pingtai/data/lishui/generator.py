"""Reproducible synthetic enterprises for the Lishui default dataset.

``build_dataset(seed)`` returns the registry plus 3,897 synthetic enterprises whose 2019
totals equal the plan's published figures exactly (丽政办发〔2021〕46号 §一):
Σ land 133,900 亩, Σ 规上 工业总产值 14,051,600 万元, Σ tax 670,500 万元. Exactness comes
from integer-cent allocation with largest remainders at every level (zone totals, then
firms), so no sum depends on float rounding. How the totals are spread is set by
``calibration.toml``; docs/data.md explains the interpretation.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

import numpy as np

from pingtai.data.lishui.registry import Registry, load_registry
from pingtai.data.lishui.schema import (
    DemoDataset,
    Enterprise,
    EnterpriseYear,
    LandParcel,
)
from pingtai.standards.uscc import ALPHABET, complete

DEFAULT_SEED = 20210824  # the plan's date
YEARS = tuple(range(2019, 2025))
ABOVE_SCALE_REVENUE_WAN = 2000  # 规上: 营业收入 ≥ 2000万元 (docs/methods.md §2.1)
ABOVE_SCALE = "规上"
BELOW_SCALE = "规下"
# 1 万kWh of electricity = 1.229 吨标煤 (当量值 0.1229 kgce/kWh).
TCE_PER_WAN_KWH = 1.229
# Industries whose 单位能耗增加值 runs about half the county level.
ENERGY_INTENSIVE = frozenset(
    {"C3130", "C3240", "C2925", "C3391", "C3392", "C3360", "C3021", "C2662"}
)
# Industries outside the platforms' leading ones, drawn for about a quarter of firms.
OTHER_INDUSTRIES = (
    "C2929",
    "C3311",
    "C3360",
    "C3391",
    "C2231",
    "C3021",
    "C2641",
    "C3453",
    "C3982",
    "C4011",
)
OTHER_INDUSTRY_SHARE = 0.25
BRAND_CHARS = (
    "瓯丽翔鑫泰宏隆诚华盛达安恒远兴丰源嘉信润博通利创锦康德凯瑞峰宇昌正汇力新明辉佳欣捷祥"
    "洋胜卓越永成和乐誉晟邦翰铭森骏豪弘璟泽启恩"
)
NOTES = (
    "合成数据：本数据集中的企业、地块和年度数据均为按固定随机种子生成的演示数据，不是真实企业。",
    (
        "2019年合计与丽政办发〔2021〕46号§一公布数精确一致：用地13.39万亩、规上工业总产值1405.16亿元、"
        "税收67.05亿元、入园企业3897家。"
    ),
    (
        "亩均产值149.6—534.5万元、亩均税收6.88—18.98万元按平台内原省级以上开发区（园区）的企业计算"
        "（总和之比）；乡镇工业功能区企业效益较低。"
    ),
    "撤销和转型的乡镇工业功能区在演示数据中没有企业；企业的平台归属为整合后的平台。",
)


@dataclass(frozen=True)
class AreaFigures:
    """Sums over a set of enterprises in one year, with ratio-of-sums 亩均 figures."""

    enterprises: int
    land_mu: Decimal
    output_wan: Decimal  # 工业总产值, all firms
    above_scale_output_wan: Decimal
    tax_wan: Decimal

    @property
    def output_per_mu(self) -> Decimal | None:
        return self.output_wan / self.land_mu if self.land_mu else None

    @property
    def tax_per_mu(self) -> Decimal | None:
        return self.tax_wan / self.land_mu if self.land_mu else None


@dataclass(frozen=True)
class PlatformFigures:
    platform_code: str
    total: AreaFigures  # all enterprises of the platform
    core: AreaFigures  # those in its provincial-or-higher former zone(s)
    township: AreaFigures  # those in its former township zones


@dataclass
class _Zone:
    code: str
    kind: str
    county_code: str
    platform_code: str
    land_c: int = 0  # centi-亩
    output_c: int = 0  # cents of 万元
    tax_c: int = 0
    below_output_c: int = 0
    firms: int = 0
    above: int = 0


def _cents(value: Decimal | int | str) -> int:
    return int(Decimal(value).scaleb(2).to_integral_value(ROUND_HALF_UP))


def _dec(cents: int) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _round_cents(values: np.ndarray) -> np.ndarray:
    return np.rint(values * 100).astype(np.int64)


_WEIGHT_UNITS = 1_000_000  # weight resolution of _allocate, relative to the largest weight


def _allocate(total: int, weights: np.ndarray, floors: np.ndarray | None = None) -> np.ndarray:
    """Split the integer ``total`` exactly: each item gets its floor plus a share ∝ weight.

    Shares are floored and the leftover units go to the largest remainders (ties to the
    lower index), all in integer arithmetic so the parts always sum to ``total``.
    """
    n = len(weights)
    floors = np.zeros(n, dtype=np.int64) if floors is None else floors.astype(np.int64)
    rest = total - int(floors.sum())
    if rest < 0:
        raise ValueError(f"floors {int(floors.sum())} exceed the total {total}")
    if rest > np.iinfo(np.int64).max // _WEIGHT_UNITS:
        raise ValueError(f"total {total} too large for int64 allocation")
    top = float(weights.max()) if n else 0.0
    units = (
        np.rint(weights / top * _WEIGHT_UNITS).astype(np.int64)
        if top > 0
        else np.zeros(n, np.int64)
    )
    denominator = int(units.sum())
    if denominator == 0:
        if rest:
            raise ValueError(f"no positive weight to receive {rest}")
        return floors
    scaled = units * rest
    base, remainder = np.divmod(scaled, denominator)
    leftover = rest - int(base.sum())
    order = np.lexsort((np.arange(n), -remainder))
    base[order[:leftover]] += 1
    return floors + base


def _capped_shares(total: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Proportional shares of ``total`` with per-item caps, the excess refilled elsewhere."""
    if total > caps.sum():
        raise ValueError(f"{total} exceeds the sum of the caps {caps.sum()}")
    capped = np.zeros(len(weights), dtype=bool)
    while True:
        free = ~capped
        remaining = total - caps[capped].sum()
        shares = np.where(capped, caps, 0.0)
        shares[free] = remaining * weights[free] / weights[free].sum()
        over = free & (shares > caps)
        if not over.any():
            return shares
        capped |= over


def _load_calibration() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("calibration.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _bound_rounding(density: Decimal, low: Decimal, high: Decimal) -> str:
    # A zone calibrated onto a published bound must not round outside the range.
    if density == low:
        return ROUND_CEILING
    if density == high:
        return ROUND_FLOOR
    return ROUND_HALF_UP


def _zones(reg: Registry, cal: Mapping[str, Any], rng: np.random.Generator) -> list[_Zone]:
    """Zone-level 2019 targets in integer cents, summing exactly to the plan's totals."""
    base = reg.baseline
    platform_of = {
        e.zone_code: e.platform_code
        for e in reg.events
        if e.kind in ("merged", "upgraded") and e.platform_code is not None
    }
    zones = [
        _Zone(z.code, z.kind, z.county_code, platform_of[z.code])
        for z in reg.former_zones
        if z.code in platform_of
    ]
    core = [z for z in zones if z.kind == "provincial_or_higher"]
    town = [z for z in zones if z.kind == "township"]
    area = {z.code: z.area_mu for z in reg.former_zones if z.area_mu is not None}

    for z in core:
        target = cal["core_zones"][z.code]
        land = Decimal(target["land_mu"])
        out, tax = Decimal(target["output_per_mu"]), Decimal(target["tax_per_mu"])
        z.land_c = _cents(land)
        out_rule = _bound_rounding(out, base.core_output_per_mu_min, base.core_output_per_mu_max)
        tax_rule = _bound_rounding(tax, base.core_tax_per_mu_min, base.core_tax_per_mu_max)
        z.output_c = int((land * out).scaleb(2).to_integral_value(out_rule))
        z.tax_c = int((land * tax).scaleb(2).to_integral_value(tax_rule))

    town_land = _cents(base.land_mu) - sum(z.land_c for z in core)
    fill = np.array([float(area[z.code]) for z in town]) * rng.uniform(0.8, 1.0, len(town))
    for z, land in zip(town, _allocate(town_land, fill), strict=True):
        z.land_c = int(land)

    for code, total in cal["platform_output_wan"].items():
        mine = [z for z in town if z.platform_code == code]
        rest = _cents(total) - sum(z.output_c for z in core if z.platform_code == code)
        if rest < 0 or not mine:
            raise ValueError(f"{code}: platform output target leaves {rest} for township zones")
        weights = np.array([z.land_c for z in mine], float) * rng.uniform(0.6, 1.4, len(mine))
        for z, out in zip(mine, _allocate(rest, weights), strict=True):
            z.output_c = int(out)

    town_tax = _cents(base.tax_wan) - sum(z.tax_c for z in core)
    weights = np.array([z.output_c for z in town], float) * rng.uniform(0.7, 1.3, len(town))
    for z, tax in zip(town, _allocate(town_tax, weights), strict=True):
        z.tax_c = int(tax)

    ent = cal["enterprises"]
    per_mu = {
        "provincial_or_higher": ent["firms_per_mu_core"],
        "township": ent["firms_per_mu_township"],
    }
    weights = np.array([z.land_c * per_mu[z.kind] for z in zones], float)
    floors = np.full(len(zones), 3, dtype=np.int64)
    for z, n in zip(zones, _allocate(base.enterprises, weights, floors), strict=True):
        z.firms = int(n)
        mean = (
            ent["mean_above_scale_output_core"]
            if z.kind == "provincial_or_higher"
            else ent["mean_above_scale_output_township"]
        )
        z.above = int(np.clip(round(0.9 * z.output_c / 100 / mean), 1, z.firms - 2))

    below_total = sum(z.output_c for z in zones) - _cents(base.above_scale_output_wan)
    below_firms = np.array([z.firms - z.above for z in zones], float)
    shares = _capped_shares(
        float(below_total),
        np.array([z.output_c for z in zones], float) * below_firms / [z.firms for z in zones],
        below_firms * ent["max_mean_below_scale_output"] * 100,
    )
    for z, below in zip(zones, _allocate(below_total, shares), strict=True):
        z.below_output_c = int(below)
        if z.output_c - z.below_output_c < z.above * ABOVE_SCALE_REVENUE_WAN * 100:
            raise ValueError(f"{z.code}: too little 规上 output for {z.above} firms")
    return zones


def _uscc(rng: np.random.Generator, region: str, taken: set[str]) -> str:
    while True:
        if rng.random() < 0.75:
            body = "MA2" + "".join(ALPHABET[i] for i in rng.integers(0, 31, 6))
        else:
            body = "".join(str(d) for d in rng.integers(0, 10, 8)) + ALPHABET[rng.integers(0, 10)]
        code = complete("91" + region + body)
        if code not in taken:
            taken.add(code)
            return code


def _name(
    rng: np.random.Generator, prefix: str, words: Sequence[str], listed: bool, taken: set[str]
) -> str:
    while True:
        brand = "".join(BRAND_CHARS[i] for i in rng.integers(0, len(BRAND_CHARS), 2))
        word = words[int(rng.integers(0, len(words)))]
        extra = ("", "", "科技", "制造")[rng.integers(0, 4)]
        form = "股份有限公司" if listed else "有限公司"
        name = f"{prefix}{brand}{word}{extra}{form}"
        if name not in taken:
            taken.add(name)
            return name


def _name_prefix(rng: np.random.Generator, county_code: str, county_name: str) -> str:
    draw = rng.random()
    if draw < 0.12:
        return "浙江"
    if county_code == "331102" or draw < 0.17:
        return "丽水市"
    return county_name


@dataclass(frozen=True)
class _Firms:
    """Per-firm arrays of one build, in zone order."""

    zone_ix: np.ndarray
    above: np.ndarray  # 规上 in 2019
    idle: np.ndarray  # no output in 2019
    industry: tuple[str, ...]
    output_c: np.ndarray  # 2019, cents of 万元
    tax_c: np.ndarray
    land_c: np.ndarray  # centi-亩, constant over the years


def scaled_notes(firms: int) -> tuple[str, ...]:
    """The notes of a dataset scaled to ``firms`` enterprises (``build_dataset(firms=…)``)."""
    return (
        NOTES[0],
        (
            f"按丽水演示数据的结构放大（或缩小）到 {firms:,} 家企业，用于检验系统在省级规模下的表现："
            "各原开发区（园区）的企业数按丽水比例分配，每家企业的用地、产值、税收与丽水演示数据同分布，"
            "合计不再等于丽政办发〔2021〕46号公布数。"
        ),
        NOTES[3],
    )


def _scale(zones: Sequence[_Zone], firms: int) -> None:
    """Spread ``firms`` over the zones in the calibrated proportions, each zone's totals
    scaled with its firm count, so that every firm's figures keep the calibrated spread."""
    counts = _allocate(
        firms, np.array([z.firms for z in zones], float), np.full(len(zones), 3, np.int64)
    )
    for z, n in zip(zones, counts, strict=True):
        ratio = int(n) / z.firms
        z.land_c = round(z.land_c * ratio)
        z.output_c = round(z.output_c * ratio)
        z.below_output_c = round(z.below_output_c * ratio)
        z.tax_c = round(z.tax_c * ratio)
        above = int(np.clip(round(z.above * ratio), 1, int(n) - 2))
        # Every 规上 firm needs its 2,000 万元 of revenue out of the zone's 规上 output.
        room = (z.output_c - z.below_output_c) // (ABOVE_SCALE_REVENUE_WAN * 100)
        z.above = max(1, min(above, room))
        z.firms = int(n)


def minimum_firms() -> int:
    """The fewest firms a scaled dataset can have: three in every zone that has firms."""
    reg = load_registry()
    return 3 * sum(1 for e in reg.events if e.kind in ("merged", "upgraded"))


def build_dataset(seed: int = DEFAULT_SEED, firms: int | None = None) -> DemoDataset:
    """Build the whole default dataset; the same seed always gives identical records.

    ``firms`` builds the same structure with that many enterprises instead of Lishui's 3,897
    (labelled synthetic; the 2019 totals then no longer equal the published ones)."""
    reg = load_registry()
    cal = _load_calibration()
    # Independent streams per stage, so that e.g. names do not shift when figures change.
    zone_rng, firm_rng, id_rng, year_rng, parcel_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    zones = _zones(reg, cal, zone_rng)
    if firms is not None:
        _scale(zones, firms)
    drawn = _firms_2019(reg, cal["enterprises"], zones, firm_rng)
    enterprises = _enterprises(reg, cal, zones, drawn, id_rng)
    return DemoDataset(
        seed=seed,
        sources=reg.sources,
        counties=reg.counties,
        chains=reg.chains,
        platforms=reg.platforms,
        sub_zones=reg.sub_zones,
        former_zones=reg.former_zones,
        events=reg.events,
        enterprises=enterprises,
        parcels=_parcels(parcel_rng, zones, drawn, enterprises, cal["enterprises"]),
        enterprise_years=_years(cal, zones, drawn, enterprises, year_rng),
        notes=NOTES if firms is None else scaled_notes(len(enterprises)),
    )


def _firms_2019(
    reg: Registry, ent: Mapping[str, Any], zones: Sequence[_Zone], rng: np.random.Generator
) -> _Firms:
    """Industry, size class and the exact 2019 output, tax and land of every firm."""
    n = sum(z.firms for z in zones)
    zone_ix = np.repeat(np.arange(len(zones)), [z.firms for z in zones])
    above = np.concatenate([np.arange(z.firms) < z.above for z in zones])

    # Mostly the platform's leading industries, weighted 5:3:2 by their order.
    industry: list[str] = []
    for i in zone_ix:
        leading = reg.leading_codes[zones[int(i)].platform_code]
        if rng.random() < OTHER_INDUSTRY_SHARE:
            industry.append(OTHER_INDUSTRIES[int(rng.integers(0, len(OTHER_INDUSTRIES)))])
            continue
        p = np.array([5, 3, 2][: len(leading)], float)
        codes = leading[rng.choice(len(leading), p=p / p.sum())]
        industry.append(codes[rng.integers(0, len(codes))])

    idle = ~above & (rng.random(n) < ent["share_idle"])
    tiny = ~above & ~idle & (rng.random(n) < ent["share_tiny_land"])
    no_tax = ~above & (rng.random(n) < ent["share_zero_tax"]) | idle
    output_w = np.where(
        above, rng.lognormal(0.0, 1.0, n), np.clip(rng.lognormal(0.0, 0.7, n), 0.05, 3.0)
    )
    output_w[idle] = 0.0
    tiny_land = np.rint(rng.uniform(50, 290, n)).astype(np.int64)
    tax_noise = rng.lognormal(0.0, 0.4, n)
    land_noise = rng.lognormal(0.0, 0.4, n)

    output_c = np.zeros(n, np.int64)
    tax_c = np.zeros(n, np.int64)
    land_c = np.zeros(n, np.int64)
    for k, z in enumerate(zones):
        ix = np.flatnonzero(zone_ix == k)
        up, down = ix[above[ix]], ix[~above[ix]]
        output_c[down] = _allocate(z.below_output_c, output_w[down])
        floors = np.full(len(up), ABOVE_SCALE_REVENUE_WAN * 100, np.int64)
        output_c[up] = _allocate(z.output_c - z.below_output_c, output_w[up], floors)
        tax_w = np.where(no_tax[ix], 0.0, (output_c[ix] + 1.0) * tax_noise[ix])
        tax_c[ix] = _allocate(z.tax_c, tax_w)
        size = np.where(idle[ix], np.median(output_c[ix]), output_c[ix]) + 1.0
        land_w = np.where(tiny[ix], 0.0, size**0.55 * land_noise[ix])
        land_floor = np.where(tiny[ix], tiny_land[ix], 300)  # only tiny holders below 3 亩
        land_c[ix] = _allocate(z.land_c, land_w, land_floor)
    return _Firms(zone_ix, above, idle, tuple(industry), output_c, tax_c, land_c)


def _enterprises(
    reg: Registry,
    cal: Mapping[str, Any],
    zones: Sequence[_Zone],
    firms: _Firms,
    rng: np.random.Generator,
) -> tuple[Enterprise, ...]:
    """Codes, names and coordinates."""
    ent, levels = cal["enterprises"], cal["county_levels"]
    industry_of = {i.code: i for i in reg.industries}
    county_name = {c.code: c.name for c in reg.counties}
    codes: set[str] = set()
    names: set[str] = set()
    centre: dict[str, tuple[float, float]] = {}
    enterprises: list[Enterprise] = []
    for i, k in enumerate(firms.zone_ix):
        z = zones[k]
        if z.code not in centre:
            spread = 0.02 if z.kind == "provincial_or_higher" else 0.06
            lon, lat = levels[z.county_code]["lon"], levels[z.county_code]["lat"]
            centre[z.code] = (lon + rng.normal(0, spread), lat + rng.normal(0, spread))
        region = "331100" if rng.random() < ent["share_city_registration"] else z.county_code
        industry = industry_of[firms.industry[i]]
        prefix = _name_prefix(rng, z.county_code, county_name[z.county_code])
        listed = bool(firms.above[i]) and rng.random() < 0.08
        lon, lat = centre[z.code]
        enterprises.append(
            Enterprise(
                uscc=_uscc(rng, region, codes),
                name=_name(rng, prefix, industry.name_words, listed, names),
                county_code=z.county_code,
                platform_code=z.platform_code,
                former_zone_code=z.code,
                industry_code=industry.code,
                chain_link_code=industry.chain_link_code,
                lon=round(lon + rng.normal(0, 0.008), 6),
                lat=round(lat + rng.normal(0, 0.008), 6),
            )
        )
    return tuple(enterprises)


def _years(
    cal: Mapping[str, Any],
    zones: Sequence[_Zone],
    firms: _Firms,
    enterprises: Sequence[Enterprise],
    rng: np.random.Generator,
) -> tuple[EnterpriseYear, ...]:
    """Yearly figures 2019–2024; 2019 output, tax and land are the exact allocations."""
    ent, levels = cal["enterprises"], cal["county_levels"]
    n = len(enterprises)
    above, idle = firms.above, firms.idle
    county = [zones[k].county_code for k in firms.zone_ix]
    level = {key: np.array([levels[c][key] for c in county], float) for key in levels["331102"]}

    output = firms.output_c / 100
    ratio = rng.uniform(0.9, 1.08, n)
    revenue = np.where(
        above,
        np.maximum(output * ratio, ABOVE_SCALE_REVENUE_WAN + rng.uniform(0, 250, n)),
        np.minimum(output * ratio, ABOVE_SCALE_REVENUE_WAN - 10 - rng.uniform(0, 150, n)),
    )
    revenue[idle] = 0.0
    va_share = rng.uniform(0.17, 0.33, n)
    heavy = np.array([code in ENERGY_INTENSIVE for code in firms.industry])
    energy_eff = level["energy"] * rng.lognormal(0.0, 0.4, n) * np.where(heavy, 0.5, 1.0)
    emission_eff = level["emission"] * rng.lognormal(0.0, 0.6, n)
    electric_share = rng.uniform(0.4, 0.8, n)
    productivity = level["productivity"] * rng.lognormal(0.0, 0.3, n)
    missing_energy = rng.random(n) < ent["share_missing_energy"]
    missing_emission = rng.random(n) < np.where(
        above, ent["share_missing_emission_above"], ent["share_missing_emission_below"]
    )
    rd_share = np.clip(level["rd_pct"] / 100 * rng.lognormal(0.0, 0.5, n), 0, 0.08)
    rd_share[above & (rng.random(n) < 0.12)] = 0.0
    rd_share[~above] *= np.where(rng.random(int((~above).sum())) < 0.25, 0.5, 0.0)
    staff_2019 = output * va_share / productivity
    idle_staff = rng.integers(1, 6, n)

    growth = np.ones(n)
    records: list[EnterpriseYear] = []
    for year in YEARS:
        t = year - YEARS[0]
        if t:
            g = cal["growth"][str(year)] + rng.normal(0.0, 0.09, n)
            growth = growth * (1 + np.clip(g, -0.45, 0.7))
            relief = 0.92 if year == 2020 else 1.0  # 2020 tax relief
            tax_y = firms.tax_c / 100 * growth * rng.lognormal(0.0, 0.08, n) * relief
            va_y = output * growth * np.clip(va_share * rng.lognormal(0.0, 0.04, n), 0.12, 0.4)
            out_c = _round_cents(output * growth)
            tax_c = _round_cents(tax_y)
            rev_c = _round_cents(revenue * growth * rng.lognormal(0.0, 0.02, n))
        else:
            va_y = output * va_share
            out_c, tax_c, rev_c = firms.output_c, firms.tax_c, _round_cents(revenue)
        energy = va_y / (energy_eff * 1.03**t)
        va_c = _round_cents(va_y)
        energy_c = _round_cents(np.where(missing_energy, 0.0, energy))
        emission_c = _round_cents(np.where(missing_emission, 0.0, va_y / (emission_eff * 1.05**t)))
        electricity_c = _round_cents(energy * electric_share / TCE_PER_WAN_KWH)
        rd_c = _round_cents(rev_c / 100 * np.minimum(rd_share * 1.05**t, 0.1))
        # Headcount follows output with an elasticity of about 0.3.
        staff = np.where(
            idle, idle_staff, np.maximum(3, np.ceil(staff_2019 * (1 + 0.3 * (growth - 1))))
        ).astype(int)
        for i, e in enumerate(enterprises):
            records.append(
                EnterpriseYear(
                    uscc=e.uscc,
                    year=year,
                    size_class=(
                        ABOVE_SCALE if rev_c[i] >= ABOVE_SCALE_REVENUE_WAN * 100 else BELOW_SCALE
                    ),
                    land_mu=_dec(firms.land_c[i]),
                    output_wan=_dec(out_c[i]),
                    value_added_wan=_dec(va_c[i]),
                    revenue_wan=_dec(rev_c[i]),
                    tax_wan=_dec(tax_c[i]),
                    energy_tce=_dec(energy_c[i]),
                    emission_t=_dec(emission_c[i]),
                    electricity_wan_kwh=_dec(electricity_c[i]),
                    employees=int(staff[i]),
                    rd_wan=_dec(rd_c[i]),
                )
            )
    return tuple(records)


def _parcels(
    rng: np.random.Generator,
    zones: Sequence[_Zone],
    firms: _Firms,
    enterprises: Sequence[Enterprise],
    ent: Mapping[str, Any],
) -> tuple[LandParcel, ...]:
    """Owned and leased parcels; each firm's parcels in use sum to its land_mu."""
    parcels: list[LandParcel] = []
    for k, z in enumerate(zones):
        ix = np.flatnonzero(firms.zone_ix == k)
        holders = ix[firms.above[ix]]
        serial = 0
        for i in ix:
            user = enterprises[int(i)].uscc
            pieces: list[tuple[str, str, int]] = []
            others = holders[holders != i]
            land = int(firms.land_c[i])
            if not firms.above[i] and rng.random() < ent["share_tenant"]:
                holder = enterprises[int(rng.choice(others))].uscc
                pieces.append((holder, "leased", land))
            elif firms.above[i] and len(others) and rng.random() < ent["share_partly_leased"]:
                leased = land // 5
                holder = enterprises[int(rng.choice(others))].uscc
                pieces += [(user, "owned", land - leased), (holder, "leased", leased)]
            else:
                pieces.append((user, "owned", land))
            for holder, tenure, area in pieces:
                serial += 1
                parcels.append(
                    LandParcel(
                        parcel_id=f"{z.code}-{serial:04d}",
                        holder_uscc=holder,
                        user_uscc=user,
                        tenure=tenure,
                        area_mu=_dec(area),
                    )
                )
    return tuple(parcels)


def _figures(records: Sequence[EnterpriseYear]) -> AreaFigures:
    zero = Decimal("0.00")
    return AreaFigures(
        enterprises=len(records),
        land_mu=sum((r.land_mu for r in records), zero),
        output_wan=sum((r.output_wan for r in records), zero),
        above_scale_output_wan=sum(
            (r.output_wan for r in records if r.size_class == ABOVE_SCALE), zero
        ),
        tax_wan=sum((r.tax_wan for r in records), zero),
    )


def zone_figures(dataset: DemoDataset, year: int = 2019) -> dict[str, AreaFigures]:
    """Figures of the enterprises located in each former zone (zones without firms omitted)."""
    zone_of = {e.uscc: e.former_zone_code for e in dataset.enterprises}
    groups: dict[str, list[EnterpriseYear]] = {}
    for r in dataset.enterprise_years:
        if r.year == year:
            groups.setdefault(zone_of[r.uscc], []).append(r)
    return {code: _figures(records) for code, records in sorted(groups.items())}


def platform_figures(dataset: DemoDataset, year: int = 2019) -> dict[str, PlatformFigures]:
    """Per platform: all its firms, those in its provincial-or-higher zones, and the rest.

    The plan's 2019 ranges (亩均产值 149.6—534.5, 亩均税收 6.88—18.98 万元/亩) apply to
    ``core``; the >200亿 / <100亿 statements apply to ``total.output_wan``.
    """
    kind = {z.code: z.kind for z in dataset.former_zones}
    where = {e.uscc: (e.platform_code, kind[e.former_zone_code]) for e in dataset.enterprises}
    rows = [r for r in dataset.enterprise_years if r.year == year]
    result: dict[str, PlatformFigures] = {}
    for p in dataset.platforms:
        mine = [r for r in rows if where[r.uscc][0] == p.code]
        result[p.code] = PlatformFigures(
            platform_code=p.code,
            total=_figures(mine),
            core=_figures([r for r in mine if where[r.uscc][1] == "provincial_or_higher"]),
            township=_figures([r for r in mine if where[r.uscc][1] == "township"]),
        )
    return result
