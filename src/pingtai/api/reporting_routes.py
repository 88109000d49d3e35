"""Reporting: periods, requirements with their submissions and versions, template download,
.xlsx upload, unit-slip confirmation, workflow transitions and the approved version's facts.

Every write goes through the functions the web pages call (``reporting.services`` and
``reporting.workflow``); the permission rules are the web views' rules."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from ninja import File, Form, Path, Query, Router, Status, UploadedFile
from ninja.errors import HttpError

from pingtai.accounts.models import User
from pingtai.accounts.scope import OFFICIALS, requirements_for, scoped_requirement
from pingtai.api.common import MAX_ID, PERIOD_CODE, READ_ERRORS, WRITE_ERRORS, require_role
from pingtai.api.schemas import (
    AttemptOut,
    ConfirmIn,
    FactsOut,
    PeriodOut,
    RequirementDetailOut,
    RequirementOut,
    TransitionIn,
)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.reporting import services
from pingtai.reporting.forms import UploadForm
from pingtai.reporting.models import ReportingPeriod, Requirement, SubmissionVersion, UploadAttempt
from pingtai.reporting.workflow import submission_transition
from pingtai.web.forms import form_errors

router = Router()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(p: ReportingPeriod) -> dict:
    return {
        "code": p.code,
        "label": p.label,
        "kind": p.kind,
        "year": p.year,
        "index": p.index,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "status": p.status,
        "opened_at": p.opened_at,
        "closed_at": p.closed_at,
    }


def _version(v: SubmissionVersion | None) -> dict | None:
    if v is None:
        return None
    return {
        "id": v.pk,
        "number": v.number,
        "filename": v.filename,
        "sha256": v.file_id,
        "size": v.file.size,
        "uploaded_by": v.uploaded_by.username,
        "uploaded_at": v.uploaded_at,
        "row_count": v.row_count,
        "is_correction": v.is_correction,
        "reason": v.reason,
        "approved_by": v.approved_by.username if v.approved_by is not None else None,
        "approved_at": v.approved_at,
    }


def _requirement(r: Requirement) -> dict:
    s = r.submission
    return {
        "id": r.pk,
        "period": r.period.code,
        "form_code": r.form_code,
        "scope_code": r.scope_code,
        "scope_name": r.scope_name,
        "deadline": r.deadline,
        "overdue": r.is_overdue(),
        "submission": {
            "id": s.pk,
            "status": s.status,
            "status_label": s.get_status_display(),
            "revision": s.revision,
            "latest_version": s.latest_version.number if s.latest_version is not None else None,
            "approved_version": (
                s.approved_version.number if s.approved_version is not None else None
            ),
            "return_reason": s.return_reason,
            "updated_at": s.updated_at,
        },
    }


def _attempt(a: UploadAttempt) -> dict:
    return {
        "id": a.pk,
        "requirement_id": a.requirement_id,
        "outcome": a.outcome,
        "message": a.message,
        "errors": a.errors,
        "confirmations": a.confirmations,
        "uploaded_by": a.uploaded_by.username,
        "uploaded_at": a.uploaded_at,
        "version": _version(a.version),
    }


def _requirements(user: User):
    return requirements_for(user).select_related(
        "submission__latest_version", "submission__approved_version"
    )


def _scoped(user: User, pk: int) -> Requirement:
    scoped_requirement(user, pk)  # 404 outside the user's scope
    return _requirements(user).get(pk=pk)


def _scoped_attempt(user: User, pk: int) -> UploadAttempt:
    attempt = get_object_or_404(UploadAttempt.objects.select_related("uploaded_by"), pk=pk)
    scoped_requirement(user, attempt.requirement_id)
    return attempt


@router.get("/periods", response={200: list[PeriodOut], **READ_ERRORS}, summary="填报期")
def period_list(request):
    require_role(request.user, *OFFICIALS)
    return [_period(p) for p in ReportingPeriod.objects.all()]


@router.get("/periods/{code}", response={200: PeriodOut, **READ_ERRORS}, summary="填报期详情")
def period_detail(request, code: str = Path(..., pattern=PERIOD_CODE)):
    require_role(request.user, *OFFICIALS)
    period = ReportingPeriod.objects.filter(code=code.upper()).first()
    if period is None:
        raise Http404("没有找到该填报期")
    return _period(period)


@router.get(
    "/requirements",
    response={200: list[RequirementOut], **READ_ERRORS},
    summary="报送任务及其状态（按权限）",
)
def requirement_list(
    request,
    period: str | None = Query(None, pattern=PERIOD_CODE),
    form_code: str | None = Query(None, pattern=r"^[a-z0-9_]{1,32}$"),
    status: str | None = Query(None, pattern=r"^(draft|submitted|returned|approved|locked)$"),
):
    require_role(request.user, *OFFICIALS)
    rows = _requirements(request.user)
    if period:
        rows = rows.filter(period__code=period.upper())
    if form_code:
        rows = rows.filter(form_code=form_code)
    if status:
        rows = rows.filter(submission__status=status)
    return [_requirement(r) for r in rows]


@router.get(
    "/requirements/{pk}",
    response={200: RequirementDetailOut, **READ_ERRORS},
    summary="报送任务详情及全部版本",
)
def requirement_detail(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    requirement = _scoped(request.user, pk)
    versions = requirement.submission.versions.select_related("file", "uploaded_by", "approved_by")
    return {
        **_requirement(requirement),
        "versions": [_version(v) for v in versions.order_by("number")],
    }


@router.get(
    "/requirements/{pk}/template",
    response=WRITE_ERRORS,
    summary="下载填报模板（.xlsx）",
    openapi_extra={
        "responses": {
            200: {
                "description": "填报模板",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def requirement_template(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    requirement = _scoped(request.user, pk)
    content = services.requirement_template_for(request.user, requirement)
    audit_record(
        AuditEvent.Action.DOWNLOAD, request=request, obj=requirement, detail="下载填报模板（接口）"
    )
    name = f"{requirement.period.code}_{requirement.form_code}_{requirement.scope_code}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/requirements/{pk}/upload",
    response={201: AttemptOut, **WRITE_ERRORS},
    summary="上传填好的模板（全部校验通过才生成新版本）",
)
def requirement_upload(
    request,
    pk: int = Path(..., ge=1, le=MAX_ID),
    file: UploadedFile = File(...),
    reason: str = Form("", max_length=2000, pattern=r"^[^\x00]*$"),
):
    require_role(request.user, *OFFICIALS)
    requirement = _scoped(request.user, pk)
    services.authorise_upload(request.user, requirement)  # before reading the file
    form = UploadForm(data={"reason": reason}, files=MultiValueDict({"file": [file]}))
    if not form.is_valid() or len(file.name or "") > 255 or "\x00" in (file.name or ""):
        messages = form_errors(form) or ["文件名不合法"]
        raise HttpError(422, "；".join(messages))
    attempt = services.submission_upload(
        requirement,
        user=request.user,
        data=file.read(),
        filename=file.name or "",
        reason=form.cleaned_data["reason"],
        request=request,
    )
    return Status(201, _attempt(attempt))


@router.get("/attempts/{pk}", response={200: AttemptOut, **READ_ERRORS}, summary="上传记录")
def attempt_detail(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    return _attempt(_scoped_attempt(request.user, pk))


@router.post(
    "/attempts/{pk}/confirm",
    response={200: AttemptOut, **WRITE_ERRORS},
    summary="确认疑似单位错误（仅上传人）",
)
def attempt_confirm(request, body: ConfirmIn, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    attempt = _scoped_attempt(request.user, pk)
    result = services.attempt_confirm(
        attempt, user=request.user, confirmed=body.confirmed, request=request
    )
    return _attempt(result)


@router.post(
    "/requirements/{pk}/transition",
    response={200: RequirementOut, **WRITE_ERRORS},
    summary="提交、退回、审核通过、锁定（须回传修订号）",
)
def requirement_transition(request, body: TransitionIn, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    requirement = _scoped(request.user, pk)
    submission_transition(
        requirement.submission.pk,
        body.action,
        user=request.user,
        seen_revision=body.revision,
        reason=body.reason,
        slips_checked=body.slips_checked,
        request=request,
    )
    return _requirement(_requirements(request.user).get(pk=pk))


@router.get(
    "/requirements/{pk}/facts",
    response={200: FactsOut, **READ_ERRORS},
    summary="审核通过版本的数据（未审核的数据不对外提供）",
)
def requirement_facts(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    requirement = _scoped(request.user, pk)
    version = requirement.submission.approved_version
    if version is None:
        return {"requirement_id": pk, "version": None, "facts": []}
    version = SubmissionVersion.objects.select_related("file", "uploaded_by", "approved_by").get(
        pk=version.pk
    )
    facts = version.facts.order_by("row_number", "key", "indicator").values(
        "row_number", "key", "indicator", "value", "text"
    )
    return {"requirement_id": pk, "version": _version(version), "facts": list(facts)}
