"""免申即享 lists through the API: the same lists, lines and stored files as the pages, scoped
by ``entitlements.services.lists_for`` (the city's staff all lists, a department user those of
its agency, every other role none)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Status

from pingtai.accounts.models import User
from pingtai.api.common import MAX_ID, READ_ERRORS, WRITE_ERRORS, require_role
from pingtai.api.schemas import (
    EntitlementGenerateIn,
    EntitlementListDetailOut,
    EntitlementListOut,
    EntitlementStepIn,
)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.entitlements import services
from pingtai.entitlements.models import EntitlementList
from pingtai.evaluation.models import EvaluationRun
from pingtai.runs.models import RunStatus
from pingtai.web.downloads import XLSX, attachment

router = Router()
READERS = (User.Role.CITY_ADMIN, User.Role.LEADER, User.Role.DEPARTMENT)
AGENCY = r"^[a-z][a-z_]{0,39}$"


def _name(user) -> str | None:
    return None if user is None else user.username


def _out(r: EntitlementList) -> dict:
    return {
        "id": r.pk,
        "run": r.run_id,
        "year": r.run.year,
        "agency": r.agency,
        "agency_name": r.agency_name,
        "status": r.status,
        "superseded": r.run.status == RunStatus.SUPERSEDED,
        "firms": r.firms,
        "line_count": r.line_count,
        "obligations_wan": r.obligations_wan,
        "entitlements_wan": r.entitlements_wan,
        "uncomputed": r.uncomputed,
        "sha256": r.document.files.get(format="xlsx").sha256,
        "generated_by": r.generated_by.username,
        "generated_at": r.generated_at,
        "sent_by": _name(r.sent_by),
        "sent_at": r.sent_at,
        "confirmed_by": _name(r.confirmed_by),
        "confirmed_at": r.confirmed_at,
        "executed_by": _name(r.executed_by),
        "executed_at": r.executed_at,
    }


def _scoped(user, run: int, agency: str) -> EntitlementList:
    record = services.lists_for(user).filter(run_id=run, agency=agency).first()
    if record is None:
        raise Http404("没有找到该名单，或您无权查看")
    return record


@router.get(
    "/runs/{pk}/entitlements",
    response={200: list[EntitlementListOut], **READ_ERRORS},
    summary="某评价批次已生成的免申即享名单（部门用户只见本单位的）",
)
def list_lists(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *READERS)
    return [_out(r) for r in services.lists_for(request.user).filter(run_id=pk)]


@router.post(
    "/runs/{pk}/entitlements",
    response={201: EntitlementListDetailOut, 200: EntitlementListDetailOut, **WRITE_ERRORS},
    summary="生成某执行单位的免申即享名单（仅市级管理员；已生成的返回原名单）",
)
def generate(request, body: EntitlementGenerateIn, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, User.Role.CITY_ADMIN)
    run = get_object_or_404(EvaluationRun, pk=pk)
    result = services.generate(run, body.agency, user=request.user, request=request)
    return Status(
        201 if result.created else 200, {**_out(result.record), "lines": result.record.lines}
    )


@router.get(
    "/runs/{pk}/entitlements/{agency}",
    response={200: EntitlementListDetailOut, **READ_ERRORS},
    summary="免申即享名单及其条目（与印发的 Excel 名单相同）",
)
def list_detail(
    request, pk: int = Path(..., ge=1, le=MAX_ID), agency: str = Path(..., pattern=AGENCY)
):
    require_role(request.user, *READERS)
    record = _scoped(request.user, pk, agency)
    return {**_out(record), "lines": record.lines}


@router.get(
    "/runs/{pk}/entitlements/{agency}/file",
    response={**READ_ERRORS},
    summary="下载印发的 Excel 名单（存档原件）",
    openapi_extra={
        "responses": {
            200: {
                "description": "名单原件",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def list_download(
    request, pk: int = Path(..., ge=1, le=MAX_ID), agency: str = Path(..., pattern=AGENCY)
) -> HttpResponse:
    require_role(request.user, *READERS)
    record = _scoped(request.user, pk, agency)
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=record, detail=f"下载{record}（接口）"
    )
    return attachment(services.list_file(record), f"{record.document.title}.xlsx")


@router.post(
    "/runs/{pk}/entitlements/{agency}/steps",
    response={200: EntitlementListOut, **WRITE_ERRORS},
    summary="登记送达：send 发送（市级管理员）、confirm 确认接收、execute 已执行（执行单位的部门用户）",
)
def list_step(
    request,
    body: EntitlementStepIn,
    pk: int = Path(..., ge=1, le=MAX_ID),
    agency: str = Path(..., pattern=AGENCY),
):
    require_role(request.user, *READERS)
    record = _scoped(request.user, pk, agency)
    record = services.advance(record, body.step, user=request.user, note=body.note, request=request)
    return _out(record)
