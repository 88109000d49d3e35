"""The enterprise side over the API (docs/enterprise.md, docs/api.md): an enterprise token
reads its own firm's results and 一企一单 and files and reads its own objections; officials
read and handle objections in their scope. Out of scope is 404; roles not named get 403."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, File, Path, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from pingtai.accounts.models import User
from pingtai.accounts.scope import OFFICIALS, own_enterprise
from pingtai.api.common import MAX_ID, READ_ERRORS, USCC, WRITE_ERRORS, require_role
from pingtai.api.schemas import NO_NUL, ErrorOut
from pingtai.evaluation.models import EvaluationRun
from pingtai.firm import objections, selectors, sheet
from pingtai.firm.evidence import MAX_BYTES
from pingtai.firm.models import Objection
from pingtai.registry.models import Enterprise

router = Router()
NUMBER = r"^[0-9]{4}-[0-9]{4,6}$"
ENTERPRISE = User.Role.ENTERPRISE
# Reads here admit some roles only (the enterprise role, or it and the officials): 403 is part
# of their answer.
ROLE_READ_ERRORS = {**READ_ERRORS, 403: ErrorOut}


class FirmResultOut(Schema):
    run: int
    year: int
    status: str = Field(
        description="批次状态：publicized 公示中、published 已发布、superseded 已被取代"
    )
    klass: str = Field(description="类别")
    score: float | None = Field(description="综合得分（分）")
    rank: int | None = Field(description="组内排名")
    group_size: int | None = Field(description="组内企业数（家）")


class SheetLineOut(Schema):
    field: str = Field(description="数据项代码，如 tax_wan")
    label: str
    unit: str
    value: float | None
    department: str = Field(description="提供数据的部门")
    source: str = Field(description="数据来源说明")


class ObjectionOut(Schema):
    number: str
    run: int
    uscc: str
    name: str
    kind: str = Field(description="value 评价数值错误、special 特殊情况")
    field: str
    current_value: Decimal | None
    claimed_value: Decimal | None
    reason: str
    department: str = Field(description="数据主管部门代码（空：市级管理员）")
    status: str = Field(
        description="pending 待处理、received 已受理、returned 已退回、upheld 已采纳、rejected 未采纳"
    )
    stage: str
    due_on: dt.date | None
    decision_reason: str
    corrected_value: Decimal | None
    evidence_sha256: list[str]


class ObjectionIn(Schema):
    run: int = Field(ge=1, le=MAX_ID)
    uscc: str = Field(pattern=USCC)
    kind: str = Field(pattern=r"^(数值错误|评价数值错误|特殊情况|value|special)$")
    field: str = Field("", max_length=40, pattern=r"^[a-z_]*$")
    claimed: str = Field("", max_length=30, pattern=NO_NUL)
    reason: str = Field(max_length=2000, pattern=NO_NUL)


class DecisionIn(Schema):
    accept: bool
    reason: str = Field(max_length=2000, pattern=NO_NUL)
    value: str = Field("", max_length=30, pattern=NO_NUL)


def _objection(o: Objection) -> dict:
    return {
        "number": o.number,
        "run": o.run_id,
        "uscc": o.enterprise.uscc,
        "name": o.enterprise.name,
        "kind": o.kind,
        "field": o.field,
        "current_value": o.current_value,
        "claimed_value": o.claimed_value,
        "reason": o.reason,
        "department": o.department,
        "status": o.status,
        "stage": o.stage,
        "due_on": o.due_on,
        "decision_reason": o.decision_reason,
        "corrected_value": o.corrected_value,
        "evidence_sha256": [e.sha256 for e in o.evidence.all()],
    }


def _scoped_objections(user: User):
    if user.role == ENTERPRISE:
        own_enterprise(user)  # an enterprise account without its firm sees nothing (404)
    return objections.objections_for(user)


@router.get(
    "/firm/results",
    response={200: list[FirmResultOut], **ROLE_READ_ERRORS},
    summary="本企业的评价结果（企业用户）",
)
def firm_results(request):
    require_role(request.user, ENTERPRISE)
    own_enterprise(request.user)
    return [
        {
            "run": r.run_id,
            "year": r.run.year,
            "status": r.run.status,
            "klass": r.klass,
            "score": r.score,
            "rank": r.rank,
            "group_size": r.group_size,
        }
        for r in selectors.own_results(request.user)
    ]


@router.get(
    "/firm/runs/{pk}/sheet",
    response={200: list[SheetLineOut], **ROLE_READ_ERRORS},
    summary="本企业的一企一单：评价所用数据及其来源部门（企业用户）",
)
def firm_sheet(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, ENTERPRISE)
    firm = own_enterprise(request.user)
    run = EvaluationRun.objects.filter(pk=pk, results__enterprise=firm).first()
    if run is None or (run.status not in selectors.SHOWN_TO_FIRMS and not run.windows.exists()):
        raise Http404("没有找到该评价批次，或您无权查看")
    return [
        {
            "field": x.field.code,
            "label": x.field.label,
            "unit": x.field.unit,
            "value": x.value,
            "department": x.department,
            "source": x.source,
        }
        for x in sheet.firm_sheet(run, firm)
    ]


@router.get(
    "/objections",
    response={200: list[ObjectionOut], **ROLE_READ_ERRORS},
    summary="异议（企业用户只见本企业的；平台、部门按范围）",
)
def objection_list(request, run: int | None = Query(None, ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS, ENTERPRISE)
    rows = _scoped_objections(request.user).prefetch_related("evidence")
    if run is not None:
        rows = rows.filter(run_id=run)
    return [_objection(o) for o in rows.order_by("number")[:1000]]


@router.get(
    "/objections/{number}",
    response={200: ObjectionOut, **ROLE_READ_ERRORS},
    summary="异议详情",
)
def objection_detail(request, number: str = Path(..., pattern=NUMBER)):
    require_role(request.user, *OFFICIALS, ENTERPRISE)
    obj = _scoped_objections(request.user).filter(number=number).first()
    if obj is None:
        raise Http404("没有找到该异议，或您无权查看")
    return _objection(obj)


@router.post(
    "/objections",
    response={201: ObjectionOut, **WRITE_ERRORS},
    summary="提出异议（企业本身，或其平台代为提出；须在公示或确认期内）",
)
def objection_create(request, body: ObjectionIn):
    require_role(request.user, ENTERPRISE, User.Role.PLATFORM)
    if request.user.role == ENTERPRISE:
        firm = own_enterprise(request.user)
        if firm.uscc != body.uscc.upper():
            raise Http404("没有找到该企业，或您无权查看")
    else:
        firm = get_object_or_404(
            Enterprise, uscc=body.uscc.upper(), platform_id=request.user.platform_id
        )
    run = get_object_or_404(EvaluationRun, pk=body.run)
    obj = objections.objection_file(
        run,
        firm,
        kind=body.kind,
        field=body.field,
        claimed=body.claimed or None,
        reason=body.reason,
        user=request.user,
        request=request,
    )
    return Status(201, _objection(obj))


@router.post(
    "/objections/{number}/decide",
    response={200: ObjectionOut, **WRITE_ERRORS},
    summary="答复异议（数据主管部门用户或市级管理员）",
)
def objection_decide(request, body: DecisionIn, number: str = Path(..., pattern=NUMBER)):
    require_role(request.user, User.Role.DEPARTMENT, User.Role.CITY_ADMIN)
    obj = objections.objections_for(request.user).filter(number=number).first()
    if obj is None:
        raise Http404("没有找到该异议，或您无权查看")
    obj = objections.objection_decide(
        obj,
        accept=body.accept,
        reason=body.reason,
        value=body.value or None,
        user=request.user,
        request=request,
    )
    return _objection(obj)


@router.post(
    "/objections/{number}/evidence",
    response={201: ObjectionOut, **WRITE_ERRORS},
    summary="补充证明材料（企业本身或其平台；PDF、PNG/JPEG 图片、Excel，单个不超过 10 MB）",
)
def objection_evidence(
    request, number: str = Path(..., pattern=NUMBER), file: UploadedFile = File(...)
):
    require_role(request.user, ENTERPRISE, User.Role.PLATFORM)
    obj = _scoped_objections(request.user).filter(number=number).first()
    if obj is None:
        raise Http404("没有找到该异议，或您无权查看")
    name = file.name or ""
    if len(name) > 255 or "\x00" in name:
        raise HttpError(422, "文件名不合法")
    # One byte over the limit is enough for the evidence check to refuse it by size.
    content = file.read(MAX_BYTES + 1)
    obj = objections.objection_add_evidence(
        obj, [(name, content)], user=request.user, request=request
    )
    return Status(201, _objection(obj))
