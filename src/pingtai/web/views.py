"""Function views: parse the request, call a selector, render. No business logic here."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from pingtai.accounts.models import User
from pingtai.accounts.scope import (
    OFFICIALS,
    AuthenticatedRequest,
    platforms_for,
    role_home,
    role_required,
    scoped_enterprise,
    scoped_platform,
)
from pingtai.dashboard.services import organisation_warnings
from pingtai.evaluation.models import EvaluationRun
from pingtai.registry import selectors
from pingtai.registry.models import EnterpriseYear, Platform
from pingtai.reporting.selectors import platform_reports, report_lines, reported_profile
from pingtai.runs.selectors import current_published
from pingtai.summaries import selectors as summaries
from pingtai.targets import load_targets
from pingtai.web.params import year_param

ROLE_ORDER = [Platform.SpatialRole.CORE, Platform.SpatialRole.WINGS, Platform.SpatialRole.AREAS]


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """``/`` — where a login without a target lands: a role whose start page is elsewhere (the
    enterprise role's is its firm's) is sent there instead of being refused."""
    if (target := role_home(request.user)) != request.path:
        return redirect(target)
    return _official_home(request)


@role_required(*OFFICIALS)
def _official_home(request: AuthenticatedRequest) -> HttpResponse:
    """Each role's own start page (docs/navigation.md): the leader sees the cockpit, everyone
    else the work waiting for them — reports to file or review and their deadlines, and for a
    platform its 作战图 tasks falling due."""
    if request.user.role == User.Role.LEADER:
        from pingtai.dashboard.views import cockpit

        return cockpit(request)
    return _workbench(request)


home.admitted_roles = _official_home.admitted_roles  # type: ignore[attr-defined]


def _workbench(request: AuthenticatedRequest) -> HttpResponse:
    from pingtai.catalogue import default_catalogue
    from pingtai.reporting.inbox import inbox
    from pingtai.supervision.models import Task
    from pingtai.supervision.selectors import tasks_for

    today = dt.date.today()
    boxes = inbox(request.user)
    tasks = []
    if request.user.role == User.Role.PLATFORM:
        tasks = list(
            tasks_for(request.user)
            .exclude(status=Task.Status.COMPLETED)
            .filter(deadline__lte=today + dt.timedelta(days=60))
            .order_by("deadline")[:20]
        )
    return render(
        request,
        "web/workbench.html",
        {
            "boxes": [b for b in boxes if b.actionable] + [b for b in boxes if not b.actionable],
            "catalogue": default_catalogue(),
            "tasks": tasks,
            "today": today,
        },
    )


@role_required(*OFFICIALS)
def platforms(request: AuthenticatedRequest) -> HttpResponse:
    years = selectors.available_years()
    year = year_param(request, years)
    by_platform = summaries.figures_by_platform(year) if year else {}
    platforms = Platform.objects.prefetch_related("counties", "leading_industries__chain")
    groups = [
        {
            "role": role,
            "platforms": [(p, by_platform.get(p.id)) for p in platforms if p.spatial_role == role],
        }
        for role in ROLE_ORDER
    ]
    total = summaries.city_figures(year) if year else None
    return render(
        request,
        "web/home.html",
        {"groups": groups, "year": year, "years": years, "total": total},
    )


@role_required(*OFFICIALS)
def platform_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Public facts of a platform and its aggregate figures: every signed-in user may read them."""
    platform = get_object_or_404(
        Platform.objects.prefetch_related("counties", "sources", "leading_industries__chain"),
        code=code,
    )
    yearly = summaries.platform_yearly(platform.pk)
    events = platform.integration_events.select_related("zone", "zone__county")
    can_see_enterprises = platforms_for(request.user).filter(pk=platform.pk).exists()
    run = current_published(EvaluationRun)
    # Counted when the run was published (docs/dashboard.md, "Summaries").
    classes = summaries.class_counts(run.pk, platform.code).get(platform.code, {}) if run else {}
    reports = platform_reports([platform.pk]).get(platform.pk, [])
    years = selectors.available_years()
    warnings = organisation_warnings(load_targets(), [platform], years[-1]) if years else []
    return render(
        request,
        "web/platform_detail.html",
        {
            "report": reports[0] if reports else None,
            "organisation_warnings": warnings,
            "report_lines": report_lines(reports[0]) if reports else [],
            "reported": reported_profile(reports[0] if reports else None),
            "platform": platform,
            "yearly": yearly,
            "events": events,
            "can_see_enterprises": can_see_enterprises,
            "run": run,
            "classes": [(k, classes.get(k, 0)) for k in "ABCDT"],
        },
    )


@role_required(*OFFICIALS)
def platform_enterprises(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Enterprise-level figures: restricted to the platform's own users and city-wide roles."""
    platform = scoped_platform(request.user, code)
    years = selectors.available_years()
    year = year_param(request, years)
    query = request.GET.get("q", "").strip()
    rows = (
        EnterpriseYear.objects.filter(enterprise__platform=platform)
        .select_related("enterprise", "enterprise__county")
        .order_by("-tax_wan", "enterprise__uscc")
    )
    rows = rows.none() if year is None else rows.filter(year=year)
    if query:
        rows = rows.filter(
            Q(enterprise__name__icontains=query) | Q(enterprise__uscc__icontains=query.upper())
        )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/platform_enterprises.html",
        {"platform": platform, "page": page, "year": year, "years": years, "q": query},
    )


@role_required(*OFFICIALS)
def enterprise_detail(request: AuthenticatedRequest, uscc: str) -> HttpResponse:
    enterprise = scoped_enterprise(request.user, uscc)
    return render(
        request,
        "web/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "years": enterprise.years.order_by("year"),
            "parcels": enterprise.parcels_used.select_related("holder"),
        },
    )


@role_required(*OFFICIALS)
def as_of(request: AuthenticatedRequest) -> HttpResponse:
    raw = request.GET.get("date", "")
    error = ""
    try:
        on = dt.date.fromisoformat(raw) if raw else dt.date.today()
    except ValueError:
        on, error = dt.date.today(), f"日期“{raw}”格式不正确，应为 YYYY-MM-DD，已显示今天的情况"
    snapshot = selectors.platform_system_as_of(on)
    return render(request, "web/as_of.html", {"snapshot": snapshot, "error": error})


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, in Chinese and in the site's layout (the reason stays in the log)."""
    return render(request, "csrf_failure.html", status=403)


@role_required(*OFFICIALS)
def help_page(request: AuthenticatedRequest) -> HttpResponse:
    """Step-by-step help for the signed-in user's role (templates web/help/ROLE.html)."""
    return render(request, "web/help.html", {"role": request.user.role})


@role_required(*OFFICIALS)
def enterprise_search(request: AuthenticatedRequest) -> JsonResponse:
    """Up to 20 enterprises the user may see whose name or credit code contains the query, for
    the search boxes that choose firms by name (the code is only the value sent)."""
    from pingtai.accounts.scope import enterprises_for

    query = (request.GET.get("q") or "").strip()[:60]
    if len(query) < 2:
        return JsonResponse({"results": []})
    rows = (
        enterprises_for(request.user)
        .filter(Q(name__icontains=query) | Q(uscc__icontains=query.upper()))
        .select_related("platform")
        .order_by("name")[:20]
    )
    return JsonResponse(
        {
            "results": [
                {"value": e.uscc, "label": f"{e.name}（{e.platform.short_name}）"} for e in rows
            ]
        }
    )
