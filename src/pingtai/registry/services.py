"""Write-side use cases of the registry: loading a dataset into the database."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from pingtai.core.progress import Progress, silent
from pingtai.core.refusal import Refused
from pingtai.data.lishui.schema import DemoDataset
from pingtai.registry import models as m
from pingtai.summaries.services import summaries_refresh_figures

BATCH = 2000


@dataclass(frozen=True)
class LoadReport:
    platforms: int
    former_zones: int
    events: int
    enterprises: int
    parcels: int
    enterprise_years: int


def registry_is_empty() -> bool:
    return not m.Platform.objects.exists()


@transaction.atomic
def registry_load_dataset(ds: DemoDataset, progress: Progress = silent) -> LoadReport:
    """Load a whole dataset in one transaction: it is there completely or not at all."""
    if not registry_is_empty():
        raise Refused("数据库中已有平台数据，不能重复加载默认数据集")
    step = progress

    m.Source.objects.bulk_create(
        m.Source(id=s.id, title=s.title, url=s.url, status=s.status) for s in ds.sources
    )
    m.County.objects.bulk_create(
        m.County(code=c.code, name=c.name, kind=c.kind) for c in ds.counties
    )
    for order, chain in enumerate(ds.chains):
        chain_row = m.Chain.objects.create(code=chain.code, name=chain.name, order=order)
        m.ChainLink.objects.bulk_create(
            m.ChainLink(code=link.code, chain=chain_row, name=link.name, stage=link.stage, order=i)
            for i, link in enumerate(chain.links)
        )
    step(0, len(ds.platforms), "平台")
    platforms: dict[str, m.Platform] = {}
    for p in ds.platforms:
        row = m.Platform.objects.create(
            code=p.code,
            name=p.name,
            short_name=p.short_name,
            level=p.level,
            spatial_role=p.spatial_role,
            spatial_group=p.spatial_group,
            tier=p.tier,
            approved_area_mu=p.approved_area_mu,
            planned_area_mu=p.planned_area_mu,
            developable_area_mu=p.developable_area_mu,
            management_body=p.management_body,
            leadership_posts=p.leadership_posts,
            staff_count=p.staff_count,
            notes=p.notes,
            assumed_fields=list(p.assumed_fields),
        )
        row.counties.set(p.county_codes)  # type: ignore[arg-type]  # stubs take int keys; these are codes
        row.sources.set(p.source_ids)  # type: ignore[arg-type]  # stubs take int keys; these are codes
        m.LeadingIndustry.objects.bulk_create(
            m.LeadingIndustry(platform=row, name=li.name, chain_id=li.chain_code, order=i)
            for i, li in enumerate(p.leading_industries)
        )
        platforms[p.code] = row
    m.SubZone.objects.bulk_create(
        m.SubZone(code=s.code, platform=platforms[s.platform_code], name=s.name, notes=s.notes)
        for s in ds.sub_zones
    )
    zones: dict[str, m.FormerZone] = {}
    for z in ds.former_zones:
        zone = m.FormerZone.objects.create(
            code=z.code,
            name=z.name,
            kind=z.kind,
            county_id=z.county_code,
            area_mu=z.area_mu,
            name_generated=z.name_generated,
            notes=z.notes,
        )
        zone.sources.set(z.source_ids)  # type: ignore[arg-type]  # stubs take int keys; these are codes
        zones[z.code] = zone
    m.IntegrationEvent.objects.bulk_create(
        m.IntegrationEvent(
            zone=zones[e.zone_code],
            kind=e.kind,
            platform=platforms[e.platform_code] if e.platform_code else None,
            effective_date=e.effective_date,
            document=e.document,
            assumed=e.assumed,
            notes=e.notes,
        )
        for e in ds.events
    )
    step(0, len(ds.enterprises), "企业")
    m.Enterprise.objects.bulk_create(
        (
            m.Enterprise(
                uscc=e.uscc,
                name=e.name,
                county_id=e.county_code,
                platform=platforms[e.platform_code],
                former_zone=zones.get(e.former_zone_code),
                industry_code=e.industry_code,
                chain_link_id=e.chain_link_code,
                lon=e.lon,
                lat=e.lat,
                synthetic=e.synthetic,
            )
            for e in ds.enterprises
        ),
        batch_size=BATCH,
    )
    ids = dict(m.Enterprise.objects.values_list("uscc", "id"))
    m.LandParcel.objects.bulk_create(
        (
            m.LandParcel(
                parcel_id=p.parcel_id,
                holder_id=ids[p.holder_uscc],
                user_id=ids[p.user_uscc],
                tenure=p.tenure,
                area_mu=p.area_mu,
                synthetic=p.synthetic,
            )
            for p in ds.parcels
        ),
        batch_size=BATCH,
    )
    total = len(ds.enterprise_years)
    for start in range(0, total, BATCH):
        m.EnterpriseYear.objects.bulk_create(
            m.EnterpriseYear(
                enterprise_id=ids[y.uscc],
                year=y.year,
                size_class=y.size_class,
                land_mu=y.land_mu,
                output_wan=y.output_wan,
                value_added_wan=y.value_added_wan,
                revenue_wan=y.revenue_wan,
                tax_wan=y.tax_wan,
                energy_tce=y.energy_tce,
                emission_t=y.emission_t,
                electricity_wan_kwh=y.electricity_wan_kwh,
                employees=y.employees,
                rd_wan=y.rd_wan,
                synthetic=y.synthetic,
            )
            for y in ds.enterprise_years[start : start + BATCH]
        )
        step(min(start + BATCH, total), total, "企业年度数据")
    # The pages' sums, in this transaction: the data and its summaries arrive together.
    summaries_refresh_figures()
    return LoadReport(
        platforms=len(ds.platforms),
        former_zones=len(ds.former_zones),
        events=len(ds.events),
        enterprises=len(ds.enterprises),
        parcels=len(ds.parcels),
        enterprise_years=total,
    )
