"""Evaluation runs and results. Runs are listed to every role as on the web; results are
scoped by ``evaluation.selectors.results_for`` (platform users: own enterprises only)."""

from __future__ import annotations

from collections import Counter

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from pingtai.accounts.models import User
from pingtai.accounts.scope import OFFICIALS
from pingtai.api.common import (
    COUNTY_CODE,
    MAX_ID,
    PLATFORM_CODE,
    READ_ERRORS,
    USCC,
    WRITE_ERRORS,
    require_role,
)
from pingtai.api.schemas import PublishIn, ResultOut, ResultPage, RunDetailOut, RunIn, RunOut
from pingtai.evaluation import selectors, services
from pingtai.evaluation.forms import RunForm
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.runs.selectors import current_published
from pingtai.web.forms import form_errors

router = Router()


def _run(run: EvaluationRun) -> dict:
    return {
        "id": run.pk,
        "year": run.year,
        "method_id": run.method_id,
        "method_version": run.method_version,
        "status": run.status,
        "input_hash": run.input_hash,
        "result_hash": run.result_hash,
        "robustness_draws": run.robustness_draws,
        "seed": run.seed,
        "created_by": run.created_by.username,
        "created_at": run.created_at,
        "published_at": run.published_at,
        "supersedes": run.supersedes_id,
        "supersede_reason": run.supersede_reason,
        "override_reason": run.override_reason,
    }


def _run_detail(user: User, run: EvaluationRun) -> dict:
    counts = Counter(selectors.results_for(user, run).values_list("klass", flat=True))
    return {
        **_run(run),
        "class_counts": dict(sorted(counts.items())),
        "warnings": list(run.warnings),
    }


def _result(r: EnterpriseResult) -> dict:
    return {
        "uscc": r.uscc,
        "name": r.name,
        "county_code": r.county_code,
        "platform_code": r.platform_code,
        "segment": r.segment,
        "score": r.score,
        "klass": r.klass,
        "rank": r.rank,
        "group": r.group,
        "group_size": r.group_size,
        "note": r.note,
        "robust": r.robust,
    }


def _get_run(pk: int) -> EvaluationRun:
    return get_object_or_404(EvaluationRun.objects.select_related("created_by"), pk=pk)


@router.get("/runs", response={200: list[RunOut], **READ_ERRORS}, summary="评价批次")
def run_list(request):
    require_role(request.user, *OFFICIALS)
    return [_run(r) for r in EvaluationRun.objects.select_related("created_by")]


@router.post(
    "/runs",
    response={201: RunDetailOut, **WRITE_ERRORS},
    summary="新建评价批次（预览，仅市级管理员）",
)
def run_create(request, body: RunIn):
    require_role(request.user, User.Role.CITY_ADMIN)
    form = RunForm(
        {
            "year": body.year,
            "method": body.method,
            "robustness": body.robustness_draws,
            "tenant_rule": body.tenant_rule,
        }
    )
    if not form.is_valid():
        raise HttpError(422, "；".join(form_errors(form)))
    run, _ = services.run_evaluation(
        form.cleaned_data["year"],
        form.cleaned_data["method"],
        user=request.user,
        robustness_draws=form.cleaned_data["robustness"],
        tenant_rule=form.cleaned_data["tenant_rule"],
        request=request,
    )
    return Status(201, _run_detail(request.user, _get_run(run.pk)))


@router.get(
    "/runs/current",
    response={200: RunDetailOut, **READ_ERRORS},
    summary="某年度的现行（已发布、未被取代）亩均评价批次",
)
def run_current(request, year: int = Query(..., ge=2000, le=2100)):
    require_role(request.user, *OFFICIALS)
    run = current_published(EvaluationRun, year=year)
    if run is None:
        raise Http404(f"{year}年度尚无已发布的亩均评价结果")
    return _run_detail(request.user, run)


@router.get("/runs/{pk}", response={200: RunDetailOut, **READ_ERRORS}, summary="评价批次详情")
def run_detail(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    require_role(request.user, *OFFICIALS)
    return _run_detail(request.user, _get_run(pk))


@router.post(
    "/runs/{pk}/publish",
    response={200: RunDetailOut, **WRITE_ERRORS},
    summary="发布评价批次（复算一致后冻结，仅市级管理员）",
)
def run_publish(request, pk: int = Path(..., ge=1, le=MAX_ID), body: PublishIn | None = None):
    require_role(request.user, User.Role.CITY_ADMIN)
    body = body or PublishIn.model_validate({})  # every field has a default
    run = services.run_publish(
        _get_run(pk),
        user=request.user,
        supersede=body.supersede,
        reason=body.reason,
        override_reason=body.override_reason,
        request=request,
    )
    return _run_detail(request.user, _get_run(run.pk))


@router.get(
    "/runs/{pk}/results",
    response={200: ResultPage, **READ_ERRORS},
    summary="企业评价结果（平台用户只见本平台企业，分页）",
)
def result_list(
    request,
    pk: int = Path(..., ge=1, le=MAX_ID),
    klass: str | None = Query(None, pattern=r"^[ABCDT]$"),
    platform: str | None = Query(None, pattern=PLATFORM_CODE),
    county: str | None = Query(None, pattern=COUNTY_CODE),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000_000),
):
    require_role(request.user, *OFFICIALS)
    rows = selectors.results_for(request.user, _get_run(pk))
    if klass:
        rows = rows.filter(klass=klass)
    if platform:
        rows = rows.filter(platform_code=platform.upper())
    if county:
        rows = rows.filter(county_code=county)
    rows = rows.order_by("uscc")
    return {"count": rows.count(), "items": [_result(r) for r in rows[offset : offset + limit]]}


@router.get(
    "/runs/{pk}/results/{uscc}",
    response={200: ResultOut, **READ_ERRORS},
    summary="某企业的评价结果",
)
def result_detail(
    request, pk: int = Path(..., ge=1, le=MAX_ID), uscc: str = Path(..., pattern=USCC)
):
    require_role(request.user, *OFFICIALS)
    result = selectors.results_for(request.user, _get_run(pk)).filter(uscc=uscc.upper()).first()
    if result is None:
        raise Http404("没有找到该企业的评价结果，或您无权查看")
    return _result(result)
