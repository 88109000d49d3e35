"""免申即享 pages: the lists of the current results per agency, generating them (city
administrator), each list's delivery with who and when, the stored file; every download and
step is audited. Rules are in ``entitlements.services``."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import AuthenticatedRequest, role_required
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.entitlements import services
from pingtai.entitlements.models import EntitlementList
from pingtai.evaluation.models import EvaluationRun
from pingtai.policies import agencies, policy_set
from pingtai.runs import kernel
from pingtai.runs.models import RunStatus
from pingtai.runs.selectors import current_published_all
from pingtai.web.downloads import attachment

READERS = (User.Role.CITY_ADMIN, User.Role.LEADER, User.Role.DEPARTMENT)


@role_required(*READERS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    visible = services.lists_for(request.user)
    policy_agencies = {i.agency for t in policy_set().tables for i in t.instruments}
    own = (
        {a.code for a in agencies().agency if a.department == request.user.department}
        if request.user.role == User.Role.DEPARTMENT
        else policy_agencies
    )
    runs = []
    for run in current_published_all(EvaluationRun):
        issued = {r.agency: r for r in visible.filter(run=run)}
        rows = [
            (a, issued.get(a.code)) for a in agencies().agency if a.code in own & policy_agencies
        ]
        runs.append((run, rows))
    earlier = visible.filter(run__status=RunStatus.SUPERSEDED)
    return render(
        request,
        "entitlements/index.html",
        {
            "runs": runs,
            "earlier": earlier,
            "can_generate": request.user.role == User.Role.CITY_ADMIN,
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def generate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    try:
        result = services.generate(
            run, request.POST.get("agency", ""), user=request.user, request=request
        )
    except Refused as refused:
        messages.error(request, f"未生成：{refused.message}")
        return redirect("entitlements:index")
    record = result.record
    if result.created:
        messages.success(request, f"已生成{record}：{record.firms} 家企业，{record.line_count} 条")
    else:
        messages.info(
            request, f"{record}已于 {record.generated_at:%Y-%m-%d %H:%M} 生成，未重复生成"
        )
    return redirect("entitlements:detail", pk=record.pk)


def _scoped(request: AuthenticatedRequest, pk: int) -> EntitlementList:
    record = services.lists_for(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404("没有找到该名单，或您无权查看")
    return record


@role_required(*READERS)
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    record = _scoped(request, pk)
    steps = [
        (step, services.STEP_TEXT[step])
        for step, (before, _) in services.STEPS.items()
        if record.status == before and services.may_take(request.user, record, step)
    ]
    file = record.document.files.get(format="xlsx")
    return render(
        request,
        "entitlements/detail.html",
        {
            "record": record,
            "lines": record.lines[:300],
            "file": file,
            "steps": steps,
            "on_behalf": request.user.role == User.Role.CITY_ADMIN,
            "flags": kernel.open_flags(record),
            "timeline": [
                ("已生成", record.generated_by, record.generated_at, ""),
                ("已发送", record.sent_by, record.sent_at, record.sent_note),
                ("已确认接收", record.confirmed_by, record.confirmed_at, record.confirmed_note),
                ("已执行", record.executed_by, record.executed_at, record.executed_note),
            ],
        },
    )


@role_required(*READERS)
def download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    record = _scoped(request, pk)
    content = services.list_file(record)
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=record, detail=f"下载{record}（存档原件）"
    )
    return attachment(content, f"{record.document.title}.xlsx")


@role_required(*READERS)
@require_POST
def advance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    record = _scoped(request, pk)
    step = request.POST.get("step", "")
    if not request.POST.get("confirm"):
        messages.error(request, "请勾选确认后再提交（此操作不可撤回）")
        return redirect("entitlements:detail", pk=pk)
    try:
        record = services.advance(
            record, step, user=request.user, note=request.POST.get("note", ""), request=request
        )
    except Refused as refused:
        messages.error(request, f"未完成：{refused.message}")
    else:
        messages.success(request, f"{record}：{record.get_status_display()}")
    return redirect("entitlements:detail", pk=pk)
