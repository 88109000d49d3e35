"""Function views: parse the request, call the dashboard services, render or answer JSON."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from pingtai.accounts.scope import OFFICIALS, AuthenticatedRequest, role_required
from pingtai.dashboard import services
from pingtai.registry import selectors
from pingtai.targets import load_targets
from pingtai.web.params import year_param


def _full_target_board_url() -> str | None:
    """The league's target board adds the metrics only platform reports carry, when installed."""
    try:
        return reverse("league:targets")
    except NoReverseMatch:
        return None


@role_required(*OFFICIALS)
def cockpit(request: AuthenticatedRequest) -> HttpResponse:
    years = selectors.available_years()
    data = services.build_cockpit(year_param(request, years), request.GET.get("group", "tier"))
    return render(
        request,
        "dashboard/cockpit.html",
        {
            "c": data,
            "charts": data.charts(),
            "groupings": services.GROUPINGS,
            "status_labels": data.plan.status.labels,
            "full_board_url": _full_target_board_url(),
        },
    )


@role_required(*OFFICIALS)
def map_page(request: AuthenticatedRequest) -> HttpResponse:
    years = selectors.available_years()
    return render(
        request,
        "dashboard/map.html",
        {
            "years": years,
            "year": year_param(request, years),
            "indicators": services.MAP_INDICATORS,
            "status_targets": services.status_choices(load_targets()),
        },
    )


@role_required(*OFFICIALS)
def map_data(request: AuthenticatedRequest) -> JsonResponse:
    years = selectors.available_years()
    year = year_param(request, years)
    indicator = request.GET.get("indicator", "tax_per_mu")
    if year is None:
        return JsonResponse({"error": "尚无年度数据"}, status=404)
    if indicator not in services.MAP_INDICATORS:
        return JsonResponse({"error": f"未知指标“{indicator}”"}, status=400)
    return JsonResponse(
        services.map_data(year, indicator), json_dumps_params={"ensure_ascii": False}
    )


@role_required(*OFFICIALS)
def map_enterprises(request: AuthenticatedRequest) -> JsonResponse:
    year = year_param(request, selectors.available_years())
    if year is None:
        return JsonResponse({"error": "尚无年度数据"}, status=404)
    return JsonResponse(
        services.enterprise_points(request.user, year), json_dumps_params={"ensure_ascii": False}
    )
