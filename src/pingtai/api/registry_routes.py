"""Registry: counties, platforms (scoped, with yearly figures) and enterprises (scoped)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from ninja import Path, Query, Router

from pingtai.accounts.scope import (
    OFFICIALS,
    enterprises_for,
    platforms_for,
    scoped_enterprise,
    scoped_platform,
)
from pingtai.api.common import COUNTY_CODE, PLATFORM_CODE, READ_ERRORS, USCC, require_role
from pingtai.api.schemas import (
    CountyOut,
    EnterpriseDetailOut,
    EnterprisePage,
    FiguresOut,
    PlatformDetailOut,
    PlatformOut,
)
from pingtai.registry.models import County, Enterprise, EnterpriseYear, Platform
from pingtai.registry.selectors import available_years, figures
from pingtai.reporting.selectors import platform_reports
from pingtai.summaries import selectors as summaries

router = Router()
RATIO = Decimal("0.0001")


def _platform(p: Platform) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "short_name": p.short_name,
        "level": p.level,
        "spatial_role": p.spatial_role,
        "spatial_group": p.spatial_group,
        "tier": p.tier,
        "counties": sorted(c.code for c in p.counties.all()),
        "approved_area_mu": p.approved_area_mu,
        "planned_area_mu": p.planned_area_mu,
        "developable_area_mu": p.developable_area_mu,
        "management_body": p.management_body,
        "staff_count": p.staff_count,
        "assumed_fields": list(p.assumed_fields or []),
    }


def _ratio(value: Decimal | None) -> Decimal | None:
    return value.quantize(RATIO) if value is not None else None


def _enterprise(e: Enterprise) -> dict:
    return {
        "uscc": e.uscc,
        "name": e.name,
        "county_code": e.county_id,
        "platform_code": e.platform.code,
        "industry_code": e.industry_code,
        "chain_link": e.chain_link_id,
        "lon": e.lon,
        "lat": e.lat,
        "synthetic": e.synthetic,
    }


@router.get("/counties", response={200: list[CountyOut], **READ_ERRORS}, summary="县（市、区）")
def county_list(request):
    require_role(request.user, *OFFICIALS)
    return [
        {"code": c.code, "name": c.name, "kind": c.kind} for c in County.objects.order_by("code")
    ]


@router.get(
    "/platforms", response={200: list[PlatformOut], **READ_ERRORS}, summary="平台（按权限）"
)
def platform_list(request):
    require_role(request.user, *OFFICIALS)
    return [
        _platform(p)
        for p in platforms_for(request.user).prefetch_related("counties").order_by("code")
    ]


@router.get(
    "/platforms/{code}",
    response={200: PlatformDetailOut, **READ_ERRORS},
    summary="平台详情及年度汇总指标",
)
def platform_detail(
    request,
    code: str = Path(..., pattern=PLATFORM_CODE),
    year: int | None = Query(None, ge=2000, le=2100, description="数据年度，默认最近一年"),
):
    require_role(request.user, *OFFICIALS)
    platform = scoped_platform(request.user, code.upper())
    years = available_years()
    year = year if year is not None else (years[-1] if years else None)
    f = (
        summaries.platform_figures(platform.pk, year)
        if year is not None
        else figures(EnterpriseYear.objects.none())
    )
    reports = platform_reports([platform.pk]).get(platform.pk, [])
    return {
        **_platform(platform),
        "latest_report": (
            {"period": reports[0].period_code, "values": reports[0].values} if reports else None
        ),
        "available_years": years,
        "figures": FiguresOut(
            year=year,
            enterprises=f.enterprises,
            above_scale=f.above_scale,
            land_mu=f.land_mu,
            output_wan=f.output_wan,
            above_scale_output_wan=f.above_scale_output_wan,
            value_added_wan=f.value_added_wan,
            tax_wan=f.tax_wan,
            tax_per_mu=_ratio(f.tax_per_mu),
            output_per_mu=_ratio(f.output_per_mu),
            value_added_per_mu=_ratio(f.value_added_per_mu),
        ),
    }


@router.get(
    "/enterprises", response={200: EnterprisePage, **READ_ERRORS}, summary="企业（按权限，分页）"
)
def enterprise_list(
    request,
    platform: str | None = Query(None, pattern=PLATFORM_CODE),
    county: str | None = Query(None, pattern=COUNTY_CODE),
    q: str | None = Query(None, max_length=40, pattern=r"^[^\x00]*$", description="名称或代码包含"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    require_role(request.user, *OFFICIALS)
    rows = enterprises_for(request.user).select_related("platform")
    if platform:
        rows = rows.filter(platform__code=platform.upper())
    if county:
        rows = rows.filter(county_id=county)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper()))
    rows = rows.order_by("uscc")
    return {"count": rows.count(), "items": [_enterprise(e) for e in rows[offset : offset + limit]]}


@router.get(
    "/enterprises/{uscc}",
    response={200: EnterpriseDetailOut, **READ_ERRORS},
    summary="企业详情及各年度数据",
)
def enterprise_detail(request, uscc: str = Path(..., pattern=USCC)):
    require_role(request.user, *OFFICIALS)
    enterprise = scoped_enterprise(request.user, uscc.upper())
    years = EnterpriseYear.objects.filter(enterprise=enterprise).order_by("year")
    return {
        **_enterprise(enterprise),
        "years": [
            {
                "year": y.year,
                "size_class": y.size_class,
                "land_mu": y.land_mu,
                "output_wan": y.output_wan,
                "value_added_wan": y.value_added_wan,
                "revenue_wan": y.revenue_wan,
                "tax_wan": y.tax_wan,
                "energy_tce": y.energy_tce,
                "emission_t": y.emission_t,
                "electricity_wan_kwh": y.electricity_wan_kwh,
                "employees": y.employees,
                "rd_wan": y.rd_wan,
            }
            for y in years
        ],
    }
