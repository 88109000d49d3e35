"""Pages of 要素差别化配置: pools, demands, runs with explanations, what-if comparison,
project admission, 标准地 commitments and post-evaluation. Thin: the logic is in services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import OFFICIALS, AuthenticatedRequest, role_required
from pingtai.allocation import selectors, services
from pingtai.allocation.forms import (
    CommitmentForm,
    CompareForm,
    DemandForm,
    PoolForm,
    PostEvaluationForm,
    ProposalForm,
    RunForm,
    indicator_keys,
)
from pingtai.allocation.models import AllocationRun, ProjectProposal, QuotaPool
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core import terms
from pingtai.core.refusal import Refused
from pingtai.runs import kernel
from pingtai.runs.web import PublishForm, publish_from_request, publish_panel
from pingtai.web.downloads import attachment
from pingtai.web.forms import form_errors, refuse_form, restore_form

ADMIN = User.Role.CITY_ADMIN
READERS = (User.Role.CITY_ADMIN, User.Role.LEADER)


@role_required(*OFFICIALS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "allocation/index.html",
        {
            "pools": QuotaPool.objects.all(),
            "runs": selectors.runs_for(request.user)[:50],
            "pool_form": PoolForm() if request.user.is_city_admin else None,
        },
    )


@role_required(ADMIN)
@require_POST
def pool_create(request: AuthenticatedRequest) -> HttpResponse:
    form = PoolForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请检查指标类型、年度和总量")
        return redirect("allocation:index")
    try:
        pool = services.pool_create(
            form.cleaned_data["kind"],
            form.cleaned_data["year"],
            form.cleaned_data["total"],
            note=form.cleaned_data["note"],
            user=request.user,
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("allocation:index")
    return redirect("allocation:pool", pk=pool.pk)


@role_required(*OFFICIALS)
def pool_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(QuotaPool, pk=pk)
    user = request.user
    return render(
        request,
        "allocation/pool.html",
        {
            "pool": pool,
            "demands": selectors.demands_for(user, pool),
            "runs": selectors.runs_for(user, pool),
            "demand_form": (
                restore_form(request, f"demand-{pool.pk}", DemandForm)
                if user.role in (ADMIN, User.Role.PLATFORM)
                else None
            ),
            "run_form": (
                restore_form(request, f"run-{pool.pk}", RunForm, kind=pool.kind)
                if user.is_city_admin
                else None
            ),
            "compare_form": CompareForm(kind=pool.kind) if user.role in READERS else None,
        },
    )


@role_required(ADMIN, User.Role.PLATFORM)
@require_POST
def demand_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(QuotaPool, pk=pk)
    form = DemandForm(request.POST)
    if not form.is_valid():
        refuse_form(request, f"demand-{pool.pk}")
        return redirect("allocation:pool", pk=pk)
    platform = (
        request.user.platform
        if request.user.role == User.Role.PLATFORM
        else form.cleaned_data["platform"]
    )
    if platform is None:
        refuse_form(request, f"demand-{pool.pk}", Refused("请选择平台", field="platform"))
        return redirect("allocation:pool", pk=pk)
    try:
        services.demand_submit(
            pool,
            platform,
            form.cleaned_data["demand"],
            form.cleaned_data["major_demand"],
            note=form.cleaned_data["note"],
            user=request.user,
            request=request,
        )
        messages.success(request, f"已保存「{platform.name}」的需求")
    except Refused as refused:
        refuse_form(request, f"demand-{pool.pk}", refused)
    return redirect("allocation:pool", pk=pk)


@role_required(ADMIN)
@require_POST
def run_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(QuotaPool, pk=pk)
    form = RunForm(request.POST, kind=pool.kind)
    if not form.is_valid():
        refuse_form(request, f"run-{pool.pk}")
        return redirect("allocation:pool", pk=pk)
    try:
        run = services.allocation_run(
            pool,
            form.cleaned_data["rules"],
            platform=form.cleaned_data["platform"],
            user=request.user,
            request=request,
        )
    except Refused as refused:
        refuse_form(request, f"run-{pool.pk}", refused)
        return redirect("allocation:pool", pk=pk)
    messages.success(request, f"已生成{run.name}（草案），请核对后发布")
    return redirect("allocation:run", pk=run.pk)


@role_required(*OFFICIALS)
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _run_page(request, selectors.scoped_run(request.user, pk))


def _run_page(
    request: AuthenticatedRequest, run: AllocationRun, publish_form: PublishForm | None = None
) -> HttpResponse:
    lines = list(selectors.lines_for(request.user, run))
    return render(
        request,
        "allocation/run.html",
        {
            "run": run,
            "lines": lines,
            "unit": run.pool.unit_name,
            "publication": publish_panel(run, request.user, publish_form),
            "derived_flags": kernel.open_flags(run),
            "publish_url": reverse("allocation:publish", args=[run.pk]),
            "sees_all": request.user.role != User.Role.PLATFORM,
        },
    )


@role_required(ADMIN)
@require_POST
def run_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    published, form = publish_from_request(request, run)
    if published:
        return redirect("allocation:run", pk=pk)
    return _run_page(request, run, form)


@role_required(*OFFICIALS)
def run_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    content = services.run_xlsx(run, selectors.lines_for(request.user, run))
    audit_record(AuditEvent.Action.EXPORT, request=request, obj=run, detail="导出要素配置明细")
    return attachment(content, f"{services.run_title(run)}.xlsx")


@role_required(*READERS)
def compare(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(QuotaPool, pk=pk)
    form = CompareForm(request.GET, kind=pool.kind)
    if not form.is_valid():
        messages.error(
            request,
            "请选择两套规则并检查调整的权重：" + "；".join(form_errors(form)),
        )
        return redirect("allocation:pool", pk=pk)
    data = form.cleaned_data
    try:
        rows, results = services.allocation_compare(
            pool, data["rules_a"], data["rules_b"], data["platform"], form.adjust_b()
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("allocation:pool", pk=pk)
    label_a = terms.rule_name(data["rules_a"])
    label_b = terms.rule_name(data["rules_b"])
    if data["base_share_b"] is not None or data["weights_b"]:
        names = {key: name for name, key in reversed(indicator_keys().items())}
        changes = (
            [f"基础份额 {data['base_share_b']}"] if data["base_share_b"] is not None else []
        ) + (
            ["权重 " + "、".join(f"{names[k]}={v}" for k, v in data["weights_b"].items())]
            if data["weights_b"]
            else []
        )
        label_b += f"（调整：{'；'.join(changes)}）"
    if request.GET.get("format") == "xlsx":
        audit_record(
            AuditEvent.Action.EXPORT,
            request=request,
            obj=pool,
            detail=f"导出方案比较 {label_a} / {label_b}",
        )
        return attachment(
            services.compare_xlsx(rows, label_a, label_b, pool.unit_name),
            f"{pool.year}年度要素配置方案比较.xlsx",
        )
    return render(
        request,
        "allocation/compare.html",
        {
            "pool": pool,
            "rows": rows,
            "results": results,
            "form": data,
            "label_a": label_a,
            "label_b": label_b,
            "query": request.GET.urlencode(),
        },
    )


# ---------------------------------------------------------------------------- project admission


@role_required(*OFFICIALS)
def proposals(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.proposals_for(request.user)
    if request.GET.get("format") == "xlsx":
        audit_record(AuditEvent.Action.EXPORT, request=request, detail="导出项目准入审查结果")
        return attachment(services.proposals_xlsx(rows), "项目准入审查结果.xlsx")
    return render(
        request,
        "allocation/proposals.html",
        {
            "proposals": rows,
            "can_submit": request.user.role in (ADMIN, User.Role.PLATFORM),
            "commitments": selectors.commitments_for(request.user),
            "due": selectors.commitments_due(request.user, timezone.localdate()),
            "evaluations": selectors.evaluations_for(request.user)[:100],
        },
    )


@role_required(ADMIN, User.Role.PLATFORM)
def proposal_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        chosen, uscc = data.pop("platform"), data.pop("enterprise_uscc")
        platform = request.user.platform if request.user.role == User.Role.PLATFORM else chosen
        if platform is None:
            form.add_error("platform", "请选择平台")
        else:
            data["enterprise"] = services.enterprise_for_link(platform, uscc) if uscc else None
            if uscc and data["enterprise"] is None:
                form.add_error("enterprise_uscc", "本平台没有该统一社会信用代码的企业")
            else:
                try:
                    proposal = services.proposal_create(
                        data, platform=platform, user=request.user, request=request
                    )
                    messages.success(request, f"已提交项目 {proposal.code}")
                    return redirect("allocation:proposal", pk=proposal.pk)
                except Refused as refused:
                    form.add_error(None, str(refused))
    return render(request, "allocation/proposal_form.html", {"form": form})


@role_required(*OFFICIALS)
def proposal_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    proposal = selectors.scoped_proposal(request.user, pk)
    commitment = getattr(proposal, "commitment", None)
    admin = request.user.is_city_admin
    return render(
        request,
        "allocation/proposal.html",
        {
            "p": proposal,
            "commitment": commitment,
            "evaluations": commitment.evaluations.all() if commitment else [],
            "lines": proposal.allocation_lines.select_related("run__pool").filter(
                run__status="published"
            ),
            "can_check": admin and commitment is None,
            "commitment_form": CommitmentForm()
            if admin and commitment is None and proposal.status == ProjectProposal.Status.PASSED
            else None,
            "post_form": PostEvaluationForm() if admin and commitment else None,
        },
    )


@role_required(ADMIN)
@require_POST
def proposal_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    proposal = selectors.scoped_proposal(request.user, pk)
    try:
        proposal = services.admission_check(proposal, user=request.user, request=request)
        messages.success(request, f"审查完成：{proposal.get_status_display()}")
    except Refused as refused:
        messages.error(request, str(refused))
    return redirect("allocation:proposal", pk=pk)


@role_required(ADMIN)
@require_POST
def commitment_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    proposal = selectors.scoped_proposal(request.user, pk)
    form = CommitmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写协议编号、签订日期和达产复核日期")
        return redirect("allocation:proposal", pk=pk)
    try:
        services.commitment_create(
            proposal, user=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, "已登记标准地承诺")
    except Refused as refused:
        messages.error(request, str(refused))
    return redirect("allocation:proposal", pk=pk)


@role_required(ADMIN)
@require_POST
def post_evaluation_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    proposal = selectors.scoped_proposal(request.user, pk)
    commitment = getattr(proposal, "commitment", None)
    form = PostEvaluationForm(request.POST)
    if commitment is None or not form.is_valid():
        messages.error(request, "该项目没有标准地承诺，或复核数据有误")
        return redirect("allocation:proposal", pk=pk)
    try:
        evaluation = services.post_evaluation_run(
            commitment, user=request.user, request=request, **form.cleaned_data
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("allocation:proposal", pk=pk)
    return redirect("allocation:evaluation", pk=evaluation.pk)


@role_required(*OFFICIALS)
def evaluation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    evaluation = selectors.scoped_evaluation(request.user, pk)
    return render(
        request,
        "allocation/evaluation.html",
        {
            "e": evaluation,
            "c": evaluation.commitment,
            "p": evaluation.commitment.proposal,
            "labels": services.STATUS_LABELS,
        },
    )


@role_required(*OFFICIALS)
def shortfalls_export(request: AuthenticatedRequest) -> HttpResponse:
    content = services.shortfalls_xlsx(selectors.evaluations_for(request.user))
    audit_record(AuditEvent.Action.EXPORT, request=request, detail="导出达产复核差额清单")
    return attachment(content, "达产复核差额清单.xlsx")
