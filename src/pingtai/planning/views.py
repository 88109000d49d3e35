"""Planning pages: 并提撤转 runs and approval, merger simulation, chain maps, benefit sharing."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import (
    OFFICIALS,
    AuthenticatedRequest,
    platforms_for,
    role_required,
    scoped_platform,
)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.planning import exports, selectors, services
from pingtai.planning.forms import (
    AdjustForm,
    AgreementForm,
    ApproveForm,
    ClassifyForm,
    SettlementForm,
    party_choices,
)
from pingtai.planning.models import ClassificationItem, ClassificationRun
from pingtai.planning.rules import ACTIONS, load_rules
from pingtai.registry.models import ChainLink, FormerZone, Platform
from pingtai.registry.selectors import available_years
from pingtai.web.downloads import attachment
from pingtai.web.forms import form_errors, refuse_form, restore_form

CITY_ROLES = (User.Role.CITY_ADMIN, User.Role.LEADER)


def _errors(form) -> str:
    return "；".join(form_errors(form))


def _year(request: HttpRequest) -> int:
    years = available_years()
    try:
        year = int(request.GET.get("year") or years[-1])
    except (ValueError, IndexError):
        raise Http404("没有该年度的数据") from None
    if year not in years:
        raise Http404("没有该年度的数据")
    return year


# ---------------------------------------------------------------- 并提撤转


@role_required(*CITY_ROLES)
def index(request: AuthenticatedRequest) -> HttpResponse:
    years = available_years()
    return render(
        request,
        "planning/index.html",
        {
            "runs": ClassificationRun.objects.select_related("created_by", "approved_by"),
            "rules": load_rules(),
            "form": restore_form(
                request,
                "classify",
                ClassifyForm,
                initial={"year": years[-1] if years else None, "as_of": timezone.localdate()},
            )
            if request.user.is_city_admin
            else None,
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def run_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ClassifyForm(request.POST)
    if not form.is_valid():
        refuse_form(request, "classify")
        return redirect("planning:index")
    try:
        run = services.classification_create(
            user=request.user, request=request, **form.cleaned_data
        )
    except Refused as refused:
        refuse_form(request, "classify", refused)
        return redirect("planning:index")
    messages.success(request, f"已生成并提撤转分类建议（{run.name}），请逐项核对后审定")
    return redirect("planning:run", pk=run.pk)


@role_required(*CITY_ROLES)
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ClassificationRun, pk=pk)
    items = list(run.items.select_related("county", "current_platform", "target_platform"))
    counts = {label: sum(i.action == key for i in items) for key, label in ACTIONS.items()}
    return render(
        request,
        "planning/run.html",
        {
            "run": run,
            "counts": counts,
            "conflicts": [i for i in items if i.conflicts],
            "rules": load_rules(),
            "platform_items": [
                i for i in items if i.subject == ClassificationItem.Subject.PLATFORM
            ],
            "zone_items": [i for i in items if i.subject == ClassificationItem.Subject.ZONE],
            "approve_form": restore_form(
                request,
                f"approve-{run.pk}",
                ApproveForm,
                initial={"effective_date": timezone.localdate()},
            )
            if request.user.is_city_admin and run.status == ClassificationRun.Status.DRAFT
            else None,
            "adjustable": request.user.is_city_admin
            and run.status == ClassificationRun.Status.DRAFT,
            "actions": ClassificationItem.Action.choices,
            "all_platforms": Platform.objects.order_by("code"),
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def run_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ClassificationRun, pk=pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        refuse_form(request, f"approve-{pk}")
        return redirect("planning:run", pk=pk)
    try:
        result = services.classification_approve(
            run, user=request.user, request=request, **form.cleaned_data
        )
        messages.success(
            request,
            f"已审定：生成整合事件 {result.events} 条（{result.unchanged} 个园区现状已一致，未重复登记）",
        )
    except Refused as refused:
        refuse_form(request, f"approve-{pk}", refused)
    return redirect("planning:run", pk=pk)


@role_required(User.Role.CITY_ADMIN)
@require_POST
def item_adjust(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    row = get_object_or_404(ClassificationItem, pk=item, run_id=pk)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("planning:run", pk=pk)
    try:
        services.classification_item_adjust(
            row, user=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, f"已调整：{row.name} → {row.get_action_display()}")
    except Refused as refused:
        messages.error(request, str(refused))
    return redirect("planning:run", pk=pk)


@role_required(*CITY_ROLES)
def run_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ClassificationRun, pk=pk)
    audit_record(AuditEvent.Action.EXPORT, request=request, obj=run, detail="导出并提撤转分类结果")
    return attachment(
        exports.classification_xlsx(run), f"开发区（园区）并提撤转建议（{run.year}年数据）.xlsx"
    )


# ---------------------------------------------------------------- merger simulation


def _simulation(request: HttpRequest):
    platforms, zones = request.GET.getlist("platform"), request.GET.getlist("zone")
    if not platforms and not zones:
        return None, None
    try:
        return selectors.simulate(platforms, zones, _year(request)), None
    except ValueError as refused:
        return None, str(refused)


@role_required(*CITY_ROLES)
def simulate(request: AuthenticatedRequest) -> HttpResponse:
    sim, error = _simulation(request)
    return render(
        request,
        "planning/simulate.html",
        {
            "sim": sim,
            "error": error,
            "years": available_years(),
            "year": _year(request),
            "platforms": Platform.objects.order_by("code"),
            "zones": FormerZone.objects.select_related("county").order_by("kind", "code"),
            "chosen": set(request.GET.getlist("platform")) | set(request.GET.getlist("zone")),
            "query": request.GET.urlencode(),
        },
    )


@role_required(*CITY_ROLES)
def simulate_export(request: AuthenticatedRequest) -> HttpResponse:
    sim, error = _simulation(request)
    if sim is None:
        raise Http404(error or "请先选择合并成员")
    audit_record(
        AuditEvent.Action.EXPORT, request=request, detail=f"导出合并模拟：{request.GET.urlencode()}"
    )
    return attachment(exports.simulation_xlsx(sim), f"合并模拟_{sim.year}.xlsx")


# ---------------------------------------------------------------- industry chains


@role_required(*OFFICIALS)
def chains(request: AuthenticatedRequest) -> HttpResponse:
    year, rules = _year(request), load_rules()
    city = selectors.link_presence(year)
    summary = []
    for platform in platforms_for(request.user).order_by("code"):
        statuses = selectors.chain_map(platform, year, rules)
        summary.append(
            (platform, sum(not s.missing for s in statuses), [s for s in statuses if s.action])
        )
    tree = [
        (chain, [(link, *city.get(link.code, (0, None))) for link in links])
        for chain, links in selectors.chains_tree()
    ]
    return render(
        request,
        "planning/chains.html",
        {
            "year": year,
            "years": available_years(),
            "tree": tree,
            "summary": summary,
            "rules": rules,
        },
    )


@role_required(*OFFICIALS)
def chain_platform(request: AuthenticatedRequest, code: str) -> HttpResponse:
    platform = scoped_platform(request.user, code)
    year = _year(request)
    statuses = selectors.chain_map(platform, year)
    by_chain: dict[str, list] = {}
    for s in statuses:
        by_chain.setdefault(s.link.chain_name, []).append(s)
    return render(
        request,
        "planning/chain_platform.html",
        {
            "platform": platform,
            "year": year,
            "years": available_years(),
            "by_chain": by_chain,
            "leading": platform.leading_industries.select_related("chain"),
            "targets": [s for s in statuses if s.action],
        },
    )


@role_required(*OFFICIALS)
def chain_link(request: AuthenticatedRequest, code: str, link: str) -> HttpResponse:
    platform = scoped_platform(request.user, code)
    row = get_object_or_404(ChainLink.objects.select_related("chain"), code=link)
    year = _year(request)
    return render(
        request,
        "planning/chain_link.html",
        {
            "platform": platform,
            "link": row,
            "year": year,
            "rows": selectors.link_enterprises(platform, row.code, year),
        },
    )


@role_required(*OFFICIALS)
def chain_platform_export(request: AuthenticatedRequest, code: str) -> HttpResponse:
    platform = scoped_platform(request.user, code)
    year = _year(request)
    audit_record(
        AuditEvent.Action.EXPORT,
        request=request,
        obj=platform,
        detail=f"导出产业链图谱（{year}年）",
    )
    content = exports.chain_xlsx(
        [(platform, selectors.chain_map(platform, year))], targets_only=False
    )
    return attachment(content, f"{platform.short_name}产业链图谱_{year}.xlsx")


@role_required(*OFFICIALS)
def chain_targets_export(request: AuthenticatedRequest) -> HttpResponse:
    year, rules = _year(request), load_rules()
    rows = [
        (p, selectors.chain_map(p, year, rules))
        for p in platforms_for(request.user).order_by("code")
    ]
    audit_record(
        AuditEvent.Action.EXPORT, request=request, detail=f"导出产业链招商清单（{year}年）"
    )
    return attachment(
        exports.chain_xlsx(rows, targets_only=True), f"建链补链延链强链招商清单_{year}.xlsx"
    )


# ---------------------------------------------------------------- benefit sharing


@role_required(*OFFICIALS)
def agreements(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "planning/agreements.html",
        {
            "agreements": selectors.agreements_for(request.user),
            "form": restore_form(request, "agreement", AgreementForm)
            if request.user.is_city_admin
            else None,
            "party_choices": party_choices() if request.user.is_city_admin else (),
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def agreement_create(request: AuthenticatedRequest) -> HttpResponse:
    form = AgreementForm(request.POST)
    if not form.is_valid():
        refuse_form(request, "agreement")
        return redirect("planning:agreements")
    data = form.cleaned_data
    try:
        agreement = services.agreement_create(
            code=data["code"].strip(),
            title=data["title"],
            kind=data["kind"],
            start_year=data["start_year"],
            end_year=data["end_year"],
            document=data["document"],
            investment=data["investment"],
            parties=services.parse_parties(data["parties"]),
            zone_codes=list(data["zones"]),
            enterprise_usccs=[u.upper() for u in data["enterprises"].split()],
            user=request.user,
            request=request,
        )
    except Refused as refused:
        refuse_form(request, "agreement", refused)
        return redirect("planning:agreements")
    messages.success(request, f"已登记协议 {agreement.code}")
    return redirect("planning:agreement", code=agreement.code)


@role_required(*OFFICIALS)
def agreement_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    agreement = selectors.scoped_agreement(request.user, code)
    return render(
        request,
        "planning/agreement.html",
        {
            "agreement": agreement,
            "parties": agreement.parties.select_related("platform", "sub_zone", "county", "zone"),
            "covered": selectors.covered_enterprises(agreement).count(),
            "settlements": agreement.settlements.prefetch_related("lines__party"),
            "form": SettlementForm(initial={"year": agreement.end_year})
            if request.user.is_city_admin
            else None,
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def settlement_create(request: AuthenticatedRequest, code: str) -> HttpResponse:
    agreement = selectors.scoped_agreement(request.user, code)
    form = SettlementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("planning:agreement", code=code)
    try:
        settlement = services.settlement_create(
            agreement, user=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, f"已生成 {settlement.year} 年度结算单")
    except Refused as refused:
        messages.error(request, str(refused))
    return redirect("planning:agreement", code=code)


@role_required(*OFFICIALS)
def settlement_export(request: AuthenticatedRequest, code: str, year: int) -> HttpResponse:
    agreement = selectors.scoped_agreement(request.user, code)
    settlement = agreement.settlements.filter(year=year).first()
    if settlement is None:
        raise Http404("没有该年度的结算单")
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=settlement, detail="导出利益共享结算单"
    )
    return attachment(
        exports.settlement_xlsx(settlement), f"{agreement.title}{year}年度结算单.xlsx"
    )
