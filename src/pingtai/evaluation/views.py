"""Evaluation pages: runs, publication, class lists, portraits, policies, low-efficiency land."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import OFFICIALS, AuthenticatedRequest, role_required
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.entitlements.services import firm_entitlements
from pingtai.evaluation import industry, selectors, services
from pingtai.evaluation.forms import CompareForm, RunForm
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.sources import source_statement
from pingtai.registry.models import County, Platform
from pingtai.runs.web import PublishForm, publish_from_request, publish_panel
from pingtai.web.downloads import attachment
from pingtai.web.forms import refuse_form, restore_form

CITY_ROLES = (User.Role.CITY_ADMIN, User.Role.LEADER)


@role_required(*OFFICIALS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/index.html",
        {
            "runs": EvaluationRun.objects.select_related("created_by", "published_by"),
            "run_form": restore_form(
                request,
                "evaluation-run",
                RunForm,
                initial={"year": 2024, "method": "lishui-mujun-default"},
            )
            if request.user.is_city_admin
            else None,
            "compare_form": CompareForm(
                initial={
                    "year": 2024,
                    "method_a": "lishui-mujun-default",
                    "method_b": "zj-mujun-huangyan-2022",
                }
            ),
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def run_create(request: AuthenticatedRequest) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():
        refuse_form(request, "evaluation-run")
        return redirect("evaluation:index")
    try:
        run, assembly = services.run_evaluation(
            form.cleaned_data["year"],
            form.cleaned_data["method"],
            user=request.user,
            robustness_draws=form.cleaned_data["robustness"],
            tenant_rule=form.cleaned_data["tenant_rule"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("evaluation:index")
    messages.success(
        request,
        f"已生成预览：{run}；冲突 {len(assembly.conflicts)} 项，"
        f"名录外代码 {len(assembly.orphans)} 个",
    )
    return redirect("evaluation:run", pk=run.pk)


@role_required(*OFFICIALS)
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _run_page(request, get_object_or_404(EvaluationRun, pk=pk))


def _run_page(
    request: AuthenticatedRequest, run: EvaluationRun, publish_form: PublishForm | None = None
) -> HttpResponse:
    rows = selectors.results_for(request.user, run)
    query = request.GET.get("q", "").strip()
    found = (
        rows.filter(Q(name__icontains=query) | Q(uscc__icontains=query.upper()))
        if query
        else rows.none()
    )
    counties = dict(County.objects.values_list("code", "name"))
    platforms = dict(Platform.objects.values_list("code", "name"))
    return render(
        request,
        "evaluation/run.html",
        {
            "run": run,
            "source_statement": source_statement(run.provenance),
            "q": query,
            "found": Paginator(found.order_by("uscc"), 50).get_page(request.GET.get("page")),
            "by_county": [
                (counties.get(g, g), c, t) for g, c, t in selectors.class_table(rows, "county_code")
            ],
            "by_platform": [
                (platforms.get(g, g), c, t)
                for g, c, t in selectors.class_table(rows, "platform_code")
            ],
            "classes": ["A", "B", "C", "D", "T"],
            "counties": counties,
            "platforms": platforms,
            "publication": publish_panel(run, request.user, publish_form),
            "publish_url": reverse("evaluation:publish", args=[run.pk]),
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def run_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    published, form = publish_from_request(request, run)
    if published:
        return redirect("evaluation:run", pk=pk)
    return _run_page(request, run, form)


@role_required(*OFFICIALS)
def run_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    rows = selectors.results_for(request.user, run)
    scope: list[str] = []
    if county := request.GET.get("county"):
        rows, scope = rows.filter(county_code=county), [*scope, county]
    if platform := request.GET.get("platform"):
        rows, scope = rows.filter(platform_code=platform), [*scope, platform]
    content = services.class_list_xlsx(run, rows)
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=run, detail=f"导出类别名单 {' '.join(scope)}"
    )
    return attachment(
        content, f"{run.year}年度亩均评价名单{'_' + '_'.join(scope) if scope else ''}.xlsx"
    )


@role_required(*OFFICIALS)
def portrait(request: AuthenticatedRequest, pk: int, uscc: str) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    result = selectors.results_for(request.user, run).filter(uscc=uscc).first()
    if result is None:
        raise Http404("没有找到该企业的评价结果，或您无权查看")
    explanation = result.explanation
    bench = industry.benchmarks(run, result)
    rows = [dict(part) for part in explanation.get("parts", [])]
    for row in rows:
        row["industry_bench"], row["county_bench"] = bench["indicators"].get(
            row["indicator"], (None, None)
        )
    previous_year, previous = industry.previous_class(run, uscc)
    carbon = (result.values or {}).get("_carbon")
    return render(
        request,
        "evaluation/portrait.html",
        {
            "run": run,
            "result": result,
            "position": industry.position(run, result),
            "rank_group": industry.group_text(
                (result.values or {}).get("_groups", {}).get("rank"), with_size=False
            ),
            "previous_year": previous_year,
            "previous": previous,
            "bench": bench,
            "bench_group": industry.group_text(bench["group"]),
            "county_group": industry.group_text(bench["county_group"]),
            "contributions": rows,
            "contribution_note": explanation.get("note", ""),
            "paths": explanation.get("paths", []) if result.klass in "BCD" else [],
            "history": selectors.class_history(uscc),
            "entitlements": firm_entitlements(run, uscc),
            "carbon": carbon,
            "carbon_group": industry.group_text(
                {
                    "group": carbon["carbon_group"],
                    "level": carbon["carbon_group_level"],
                    "size": carbon["carbon_group_size"],
                }
            )
            if carbon
            else "",
        },
    )


@role_required(*OFFICIALS)
def policies(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    table, rows, totals = selectors.policy_rows(run, selectors.results_for(request.user, run))
    return render(
        request,
        "evaluation/policies.html",
        {
            "run": run,
            "table": table,
            "rows": rows[:500],
            "count": len(rows),
            "totals": sorted(totals.items()),
        },
    )


@role_required(*OFFICIALS)
def low_efficiency(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    rules, rows, per_platform = selectors.low_efficiency(
        selectors.results_for(request.user, run), run.year
    )
    return render(
        request,
        "evaluation/low_efficiency.html",
        {
            "run": run,
            "rules": rules,
            "rows": rows,
            "per_platform": per_platform,
        },
    )


@role_required(*CITY_ROLES)
def compare(request: AuthenticatedRequest) -> HttpResponse:
    form = CompareForm(request.GET)
    if not form.is_valid():
        messages.error(request, "请检查年度和方法")
        return redirect("evaluation:index")
    data = form.cleaned_data
    changes, pairs = services.method_change_preview(
        data["year"], data["method_a"], data["method_b"]
    )
    return render(
        request,
        "evaluation/compare.html",
        {
            "form": data,
            "changes": changes[:1000],
            "count": len(changes),
            "pairs": sorted(pairs.items()),
        },
    )


def _leader_scope(request: AuthenticatedRequest, run: EvaluationRun):
    """The run's rows the user may see, narrowed to one platform when asked (a platform user
    always sees its own platform only)."""
    rows = selectors.results_for(request.user, run)
    code = request.GET.get("platform", "").strip().upper()
    platform = Platform.objects.filter(code=code).first() if code else None
    if platform is not None:
        rows = rows.filter(platform_code=platform.code)
    elif request.user.role == User.Role.PLATFORM:
        platform = request.user.platform
    return rows, platform


@role_required(*OFFICIALS)
def leaders(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    rows, platform = _leader_scope(request, run)
    top = industry.LEADERS_PLATFORM if platform else industry.LEADERS_CITY
    return render(
        request,
        "evaluation/leaders.html",
        {
            "run": run,
            "platform": platform,
            "top": top,
            "leaders": industry.leaders(rows, top),
            "platforms": Platform.objects.filter(code__in=rows.values("platform_code")).order_by(
                "code"
            ),
            "counties": dict(County.objects.values_list("code", "name")),
        },
    )


@role_required(*OFFICIALS)
def leaders_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    rows, platform = _leader_scope(request, run)
    top = industry.LEADERS_PLATFORM if platform else industry.LEADERS_CITY
    content = services.leaders_xlsx(run, industry.leaders(rows, top), platform, top)
    scope = platform.name if platform else "全市"
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=run, detail=f"导出领跑者名单 {scope}"
    )
    return attachment(content, f"{run.year}年度亩均效益领跑者名单_{scope}.xlsx")


@role_required(*OFFICIALS)
def industries(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    rows = selectors.results_for(request.user, run)
    return render(
        request,
        "evaluation/industries.html",
        {"run": run, "table": industry.class_by_industry(rows), "classes": industry.CLASSES},
    )
