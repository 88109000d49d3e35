"""The embedded Lishui default: registry facts, dated history and the synthetic enterprises.

Runs without Django (``pytest -p no:django tests/data``). Published figures are from
丽政办发〔2021〕46号 §一 unless a test says otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from pingtai.data.lishui.generator import (
    ABOVE_SCALE_REVENUE_WAN,
    DEFAULT_SEED,
    YEARS,
    build_dataset,
    platform_figures,
    zone_figures,
)
from pingtai.data.lishui.registry import (
    MU_PER_KM2,
    load_registry,
    platforms_as_of,
    system_as_of,
    zone_status_as_of,
)
from pingtai.data.lishui.schema import DemoDataset
from pingtai.standards import gbt4754
from pingtai.standards.uscc import is_valid

PLAN_DATE = dt.date(2021, 8, 24)


@pytest.fixture(scope="module")
def dataset() -> DemoDataset:
    return build_dataset()


@pytest.fixture(scope="module")
def year_2019(dataset: DemoDataset):
    return [r for r in dataset.enterprise_years if r.year == 2019]


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


# --- registry -------------------------------------------------------------------------


def test_counties_are_the_ten_gbt2260_units_of_lishui():
    codes = {c.code for c in load_registry().counties}
    assert codes == {
        "331100",
        "331102",
        "331121",
        "331122",
        "331123",
        "331124",
        "331125",
        "331126",
        "331127",
        "331181",
    }


def test_eleven_platforms_in_the_annex_order_with_their_spatial_roles():
    platforms = load_registry().platforms
    assert [p.code for p in platforms] == [f"LS{i:02d}" for i in range(1, 12)]
    by_code = {p.code: p for p in platforms}
    assert by_code["LS01"].level == "national"
    assert by_code["LS11"].name == "浙江景宁经济开发区"
    assert by_code["LS04"].spatial_group == "两翼·南翼"
    assert {p.code for p in platforms if p.spatial_group == "两翼·北翼"} == {"LS07", "LS08"}
    assert {p.spatial_role for p in platforms} == {"一心", "两翼", "三片区"}
    tier_of_role = {"一心": "T1", "两翼": "T2", "三片区": "T3"}
    assert all(p.tier == tier_of_role[p.spatial_role] for p in platforms)
    assert "spatial_role" in by_code["LS02"].assumed_fields  # 莲都's 一心 placement


def test_integrated_lishui_etdz_area_is_217_24_km2_exactly_and_covers_qingtian_lakou():
    ls01 = next(p for p in load_registry().platforms if p.code == "LS01")
    assert ls01.planned_area_mu == Decimal("325860")
    assert ls01.planned_area_mu / MU_PER_KM2 == Decimal("217.24")
    assert set(ls01.county_codes) == {"331102", "331121"}


def test_areas_leading_industries_and_posts_are_complete_and_plausible():
    chains = {c.code for c in load_registry().chains}
    for p in load_registry().platforms:
        assert p.approved_area_mu and p.planned_area_mu and p.developable_area_mu
        assert p.approved_area_mu <= p.planned_area_mu
        assert 2 <= len(p.leading_industries) <= 3
        assert all(li.chain_code is None or li.chain_code in chains for li in p.leading_industries)
        assert p.leadership_posts is not None and p.leadership_posts <= 4  # plan §三(一)
        assert "staff_count" in p.assumed_fields


def test_local_specialties_map_to_no_chain():
    platforms = load_registry().platforms
    leading = {li.name: li.chain_code for p in platforms for li in p.leading_industries}
    assert leading["青瓷宝剑"] is None
    assert leading["食用菌"] is None


def test_staff_2019_sum_to_1096_and_the_2021_target_is_minus_30_percent():
    reg = load_registry()
    assert sum(p.staff_count or 0 for p in reg.platforms) == reg.baseline.management_staff == 1096
    assert reg.baseline.staff_reduction_2021 == Decimal("0.30")


def test_five_chains_each_have_up_mid_and_downstream_links():
    chains = load_registry().chains
    assert [c.code for c in chains] == ["SEMI", "PREC", "HEAL", "FASH", "DIGI"]
    codes = [link.code for c in chains for link in c.links]
    assert len(codes) == len(set(codes))
    for chain in chains:
        assert 4 <= len(chain.links) <= 8
        assert {link.stage for link in chain.links} == {"upstream", "midstream", "downstream"}


def test_lishui_etdz_has_the_functional_sub_zones_of_the_plan():
    names = {s.name for s in load_registry().sub_zones if s.platform_code == "LS01"}
    assert {"水阁片", "富岭片", "南山片", "丽景片", "腊口片"} <= names


def test_twelve_provincial_and_sixty_eight_township_zones():
    kinds = Counter(z.kind for z in load_registry().former_zones)
    assert kinds == {"provincial_or_higher": 12, "township": 68}


def test_provincial_zones_average_25_km2():
    zones = [z for z in load_registry().former_zones if z.kind == "provincial_or_higher"]
    total = sum((z.area_mu or Decimal(0) for z in zones), Decimal(0))
    assert total / len(zones) / MU_PER_KM2 == Decimal(25)


def test_township_zones_have_generated_names_and_hundreds_of_mu():
    town = [z for z in load_registry().former_zones if z.kind == "township"]
    assert all(z.name_generated and z.name.endswith("工业功能区") for z in town)
    assert len({z.name for z in town}) == 68
    areas = sorted(z.area_mu for z in town if z.area_mu is not None)
    assert len(areas) == 68 and areas[0] >= 200 and areas[len(areas) // 2] < 1500


def test_every_source_id_resolves():
    reg = load_registry()
    ids = {s.id for s in reg.sources}
    assert {f"S{i:02d}" for i in range(3, 21)} | {"PLAN", "GEN"} <= ids
    cited = {s for p in reg.platforms for s in p.source_ids}
    cited |= {s for z in reg.former_zones for s in z.source_ids}
    assert cited <= ids


def test_industry_codes_are_manufacturing_subclasses_mapped_to_known_links():
    reg = load_registry()
    links = {link.code for c in reg.chains for link in c.links}
    for industry in reg.industries:
        assert gbt4754.normalise(industry.code) == ("C", industry.code[1:])
        assert industry.chain_link_code is None or industry.chain_link_code in links
    linked = {i.chain_link_code for i in reg.industries} - {None}
    assert all(any(link.code in linked for link in c.links) for c in reg.chains)


def test_township_zones_are_mostly_merged_some_revoked_or_converted():
    kinds = Counter(e.kind for e in load_registry().events if e.zone_code.startswith("TZ"))
    assert kinds["revoked"] > 0 and kinds["converted"] > 0
    assert kinds["merged"] > kinds["revoked"] + kinds["converted"]


# --- dated history --------------------------------------------------------------------


def test_a_zone_is_independent_before_its_event_and_in_its_platform_after():
    reg = load_registry()
    event = next(e for e in reg.events if e.zone_code == "PZ03")  # 浙江丽水工业园区 → LS02
    day_before = event.effective_date - dt.timedelta(days=1)
    assert zone_status_as_of(reg, "PZ03", day_before).state == "independent"
    after = zone_status_as_of(reg, "PZ03", event.effective_date)
    assert (after.state, after.platform_code) == ("upgraded", "LS02")
    assert "PZ03" not in platforms_as_of(reg, day_before).get("LS02", ())
    assert "PZ03" in platforms_as_of(reg, event.effective_date)["LS02"]


def test_before_the_plan_all_80_zones_are_independent():
    snapshot = system_as_of(load_registry(), PLAN_DATE - dt.timedelta(days=1))
    assert snapshot.platforms == {} and len(snapshot.independent) == 80


def test_after_integration_11_platforms_and_every_zone_settled():
    snapshot = system_as_of(load_registry(), dt.date(2023, 1, 1))
    assert sorted(snapshot.platforms) == [f"LS{i:02d}" for i in range(1, 12)]
    assert snapshot.independent == ()
    members = sum(len(zones) for zones in snapshot.platforms.values())
    assert members + len(snapshot.closed) == 80


def test_lakou_township_zone_joins_the_lishui_etdz_on_the_plan_date():
    reg = load_registry()
    lakou = next(z for z in reg.former_zones if z.name.startswith("腊口镇"))
    assert lakou.county_code == "331121"
    assert zone_status_as_of(reg, lakou.code, PLAN_DATE).platform_code == "LS01"


def test_revoked_zone_belongs_to_no_platform():
    reg = load_registry()
    event = next(e for e in reg.events if e.kind == "revoked")
    status = zone_status_as_of(reg, event.zone_code, event.effective_date)
    assert status.state == "revoked" and status.platform_code is None
    assert event.zone_code in system_as_of(reg, event.effective_date).closed


def test_unknown_zone_is_an_error():
    with pytest.raises(KeyError):
        zone_status_as_of(load_registry(), "XX99", PLAN_DATE)


# --- synthetic enterprises: exact published totals ------------------------------------


def test_2019_totals_equal_the_published_figures_exactly(year_2019):
    assert len(year_2019) == 3897
    assert sum(r.land_mu for r in year_2019) == Decimal("133900.00")
    assert sum(r.tax_wan for r in year_2019) == Decimal("670500.00")
    above = sum(r.output_wan for r in year_2019 if r.size_class == "规上")
    assert above == Decimal("14051600.00")


def test_core_zone_ranges_per_platform_are_inside_the_published_ranges(dataset):
    for code, fig in platform_figures(dataset).items():
        assert Decimal("149.6") <= fig.core.output_per_mu <= Decimal("534.5"), code
        assert Decimal("6.88") <= fig.core.tax_per_mu <= Decimal("18.98"), code


def test_the_published_range_bounds_are_attained_by_provincial_zones(dataset):
    core = {z.code for z in dataset.former_zones if z.kind == "provincial_or_higher"}
    figures = [f for code, f in zone_figures(dataset).items() if code in core]
    assert len(figures) == 12
    output = [f.output_per_mu for f in figures]
    tax = [f.tax_per_mu for f in figures]
    assert (_round(min(output), "0.1"), _round(max(output), "0.1")) == (
        Decimal("149.6"),
        Decimal("534.5"),
    )
    assert (_round(min(tax), "0.01"), _round(max(tax), "0.01")) == (
        Decimal("6.88"),
        Decimal("18.98"),
    )


def test_township_zones_are_less_efficient_than_their_platform_core(dataset):
    for code, fig in platform_figures(dataset).items():
        assert fig.township.enterprises > 0, code
        assert fig.township.output_per_mu < fig.core.output_per_mu, code
        assert fig.township.tax_per_mu < Decimal("6.88") <= fig.core.tax_per_mu, code


def test_only_two_platforms_over_20bn_and_six_under_10bn(dataset):
    output = {code: f.total.output_wan for code, f in platform_figures(dataset).items()}
    assert {code for code, v in output.items() if v > 2_000_000} == {"LS01", "LS04"}
    small = {code for code, v in output.items() if v < 1_000_000}
    assert len(small) == 6 and {"LS02", "LS03", "LS06"} <= small


def test_land_in_use_fits_inside_each_zone(dataset):
    area = {z.code: z.area_mu for z in dataset.former_zones}
    for code, fig in zone_figures(dataset).items():
        assert area[code] is not None and fig.land_mu <= area[code], code


def test_platform_figures_add_up(dataset, year_2019):
    figures = platform_figures(dataset).values()
    assert sum(f.total.enterprises for f in figures) == 3897
    assert sum(f.total.land_mu for f in figures) == Decimal("133900.00")
    for f in figures:
        assert f.total.land_mu == f.core.land_mu + f.township.land_mu
        assert f.total.tax_wan == f.core.tax_wan + f.township.tax_wan


# --- synthetic enterprises: identity and references -----------------------------------


def test_3897_unique_checksum_valid_codes_registered_in_lishui(dataset):
    codes = [e.uscc for e in dataset.enterprises]
    assert len(codes) == len(set(codes)) == 3897
    county_codes = {c.code for c in dataset.counties}
    for code in codes:
        assert is_valid(code), code
        assert code[:2] == "91" and code[2:8] in county_codes


def test_company_names_are_unique_and_chinese(dataset):
    names = [e.name for e in dataset.enterprises]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[\u4e00-\u9fff（）]+(股份)?有限公司", n) for n in names)


def test_every_reference_resolves(dataset):
    platforms = {p.code: p for p in dataset.platforms}
    zones = {z.code for z in dataset.former_zones}
    links = {link.code for c in dataset.chains for link in c.links}
    platform_of = {e.zone_code: e.platform_code for e in dataset.events}
    industries = {i.code: i.chain_link_code for i in load_registry().industries}
    for e in dataset.enterprises:
        assert e.county_code in platforms[e.platform_code].county_codes
        assert e.former_zone_code in zones
        assert platform_of[e.former_zone_code] == e.platform_code
        assert re.fullmatch(r"C\d{4}", e.industry_code) and e.industry_code in industries
        assert e.chain_link_code == industries[e.industry_code]
        assert e.chain_link_code is None or e.chain_link_code in links
    usccs = {e.uscc for e in dataset.enterprises}
    assert all(r.uscc in usccs for r in dataset.enterprise_years)
    assert all({p.holder_uscc, p.user_uscc} <= usccs for p in dataset.parcels)


def test_coordinates_lie_in_lishui(dataset):
    for e in dataset.enterprises:
        assert 118.7 < e.lon < 120.7 and 27.3 < e.lat < 29.0


def test_every_record_is_labelled_synthetic(dataset):
    assert all(e.synthetic for e in dataset.enterprises)
    assert all(p.synthetic for p in dataset.parcels)
    assert all(r.synthetic for r in dataset.enterprise_years)


# --- synthetic enterprises: land, years and indicators --------------------------------


def test_parcels_in_use_add_up_to_each_firms_land(dataset, year_2019):
    in_use: defaultdict[str, Decimal] = defaultdict(Decimal)
    for p in dataset.parcels:
        assert p.area_mu > 0
        assert (p.tenure == "owned") == (p.holder_uscc == p.user_uscc)
        in_use[p.user_uscc] += p.area_mu
    assert all(in_use[r.uscc] == r.land_mu for r in year_2019)
    assert sum(p.tenure == "leased" for p in dataset.parcels) > 100


def test_each_firm_has_six_years_with_two_decimal_money(dataset):
    assert len(dataset.enterprise_years) == 6 * 3897
    assert {r.year for r in dataset.enterprise_years} == set(YEARS)
    sample = dataset.enterprise_years[::97]
    for r in sample:
        for field in ("land_mu", "output_wan", "value_added_wan", "revenue_wan", "tax_wan"):
            value = getattr(r, field)
            assert isinstance(value, Decimal) and value.as_tuple().exponent == -2 and value >= 0


def test_size_class_follows_the_revenue_threshold_every_year(dataset):
    threshold = Decimal(ABOVE_SCALE_REVENUE_WAN)
    for r in dataset.enterprise_years:
        assert (r.size_class == "规上") == (r.revenue_wan >= threshold)
    classes = defaultdict(set)
    for r in dataset.enterprise_years:
        classes[r.uscc].add(r.size_class)
    assert sum(len(c) > 1 for c in classes.values()) > 50  # some firms cross the line


def test_output_grows_plausibly_after_2019(dataset):
    total = defaultdict(Decimal)
    for r in dataset.enterprise_years:
        total[r.year] += r.output_wan
    for year in YEARS[1:]:
        assert Decimal("0.9") < total[year] / total[year - 1] < Decimal("1.2"), year
    assert Decimal("1.2") < total[2024] / total[2019] < Decimal("2.1")


def test_city_indicators_of_above_scale_firms_are_plausible(year_2019):
    above = [r for r in year_2019 if r.size_class == "规上"]
    va = sum(r.value_added_wan for r in above)
    assert 0.5 < va / sum(r.energy_tce for r in above) < 3  # 万元/吨标煤
    assert 10 < va / sum(r.employees for r in above) < 25  # 万元/人·年
    rd = sum(r.rd_wan for r in above) / sum(r.revenue_wan for r in above)
    assert Decimal("0.01") < rd < Decimal("0.05")


def test_real_data_quirks_are_present(year_2019):
    assert sum(r.land_mu < 3 for r in year_2019) >= 20
    assert sum(r.energy_tce == 0 for r in year_2019) >= 20
    assert sum(r.emission_t == 0 for r in year_2019) >= 50
    assert sum(r.tax_wan == 0 for r in year_2019) >= 10


# --- reproducibility ------------------------------------------------------------------


def test_the_same_seed_gives_identical_records(dataset):
    again = build_dataset(DEFAULT_SEED)
    assert dataclasses.astuple(again) == dataclasses.astuple(dataset)


def test_a_different_seed_gives_different_firms_with_the_same_totals(dataset):
    other = build_dataset(DEFAULT_SEED + 1)
    assert {e.uscc for e in other.enterprises} != {e.uscc for e in dataset.enterprises}
    rows = [r for r in other.enterprise_years if r.year == 2019]
    assert sum(r.land_mu for r in rows) == Decimal("133900.00")
    assert sum(r.tax_wan for r in rows) == Decimal("670500.00")
    assert sum(r.output_wan for r in rows if r.size_class == "规上") == Decimal("14051600.00")


def test_build_is_fast():
    # CPU time of this process, not wall time: the machine running the suite is shared, and a
    # busy neighbour must not fail a test about this code's own cost.
    start = time.process_time()
    build_dataset()
    assert time.process_time() - start < 3


def test_a_dataset_of_any_size_keeps_the_calibrated_spread(dataset):
    """``build_dataset(firms=N)``: N firms over the same zones and platforms, each firm drawn
    like the Lishui demo's (land and output per firm stay close), all labelled synthetic."""
    from pingtai.data.lishui.generator import minimum_firms

    scaled = build_dataset(firms=8_000)
    assert len(scaled.enterprises) == 8_000 >= minimum_firms()
    assert len({e.uscc for e in scaled.enterprises}) == 8_000
    assert all(is_valid(e.uscc) and e.synthetic for e in scaled.enterprises)
    assert all(y.synthetic for y in scaled.enterprise_years)
    assert {e.platform_code for e in scaled.enterprises} == {p.code for p in dataset.platforms}
    assert "合成" in scaled.notes[0] and "8,000" in scaled.notes[1]

    def per_firm(ds: DemoDataset) -> tuple[Decimal, Decimal]:
        rows = [y for y in ds.enterprise_years if y.year == 2019]
        return (
            sum(y.land_mu for y in rows) / len(rows),
            sum(y.output_wan for y in rows) / len(rows),
        )

    for ours, lishui in zip(per_firm(scaled), per_firm(dataset), strict=True):
        assert abs(ours / lishui - 1) < Decimal("0.05")
    shares = Counter(e.platform_code for e in scaled.enterprises)
    lishui_shares = Counter(e.platform_code for e in dataset.enterprises)
    for code, n in lishui_shares.items():
        assert abs(shares[code] / 8_000 - n / len(dataset.enterprises)) < 0.01
    assert build_dataset(firms=8_000).enterprises == scaled.enterprises  # reproducible
