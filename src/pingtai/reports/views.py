"""Notice pages: drafts for the city's own staff, issued notices (stored files) for every
signed-in role, issuing for the city administrator; every download and issue is audited."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import OFFICIALS, role_required
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.league.models import LeagueRun
from pingtai.reports import services
from pingtai.reports.fonts import FontMissing
from pingtai.reports.models import IssuedDocument
from pingtai.reports.notices import method_title
from pingtai.runs.models import RunStatus
from pingtai.web.downloads import XLSX, attachment

TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": XLSX,
}
# Issued notices are public documents for every role with an account; drafts are for the
# city's own staff.
READERS = OFFICIALS
DRAFT_READERS = (User.Role.CITY_ADMIN, User.Role.LEADER)
MODELS: dict[str, type[EvaluationRun] | type[LeagueRun]] = {
    "mujun": EvaluationRun,
    "league": LeagueRun,
}


def _role(request: HttpRequest) -> str | None:
    return getattr(request.user, "role", None)


def _rows(runs) -> list[tuple[object, IssuedDocument | None, str]]:
    """Each run with its issued notice (if any) and its method's title."""
    return [
        (
            run,
            services.issued_for(run).filter(kind=IssuedDocument.Kind.NOTICE).first(),
            method_title(run.method_id),
        )
        for run in runs
    ]


def _listed(model: type[EvaluationRun] | type[LeagueRun]):
    """Published runs, and superseded ones whose notice was issued (it stays downloadable,
    marked 已更正)."""
    issued = IssuedDocument.objects.filter(
        kind=IssuedDocument.Kind.NOTICE, run_type=model._meta.label_lower
    ).values("run_id")
    return model.objects.filter(
        Q(status=RunStatus.PUBLISHED) | Q(status=RunStatus.SUPERSEDED, pk__in=issued)
    )


@role_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    runs = _listed(EvaluationRun)
    league_runs = _listed(LeagueRun)
    return render(
        request,
        "reports/index.html",
        {
            "runs": _rows(runs),
            "league_runs": _rows(league_runs),
            "drafts": _role(request) in DRAFT_READERS,
            "can_issue": _role(request) == User.Role.CITY_ADMIN,
        },
    )


def _run(kind: str, pk: int, *statuses: str) -> EvaluationRun | LeagueRun:
    return cast(
        EvaluationRun | LeagueRun,
        get_object_or_404(MODELS[kind], pk=pk, status__in=statuses or [RunStatus.PUBLISHED]),
    )


@role_required(*READERS)
def download(request: HttpRequest, kind: str, pk: int, fmt: str) -> HttpResponse:
    run = _run(kind, pk, RunStatus.PUBLISHED, RunStatus.SUPERSEDED)
    issued = services.issued_for(run).filter(kind=IssuedDocument.Kind.NOTICE).exists()
    if not issued and run.status != RunStatus.PUBLISHED:
        raise Http404("该批次已被更正，没有已印发的通报")
    if not issued and _role(request) not in DRAFT_READERS:
        raise PermissionDenied("通报尚未印发，草稿仅供市级管理员和领导查看")
    try:
        notice = services.notice_file(run, fmt)
    except (Refused, FontMissing) as refused:
        messages.error(request, str(refused))
        return redirect("reports:index")
    document = notice.document
    what = f"下载通报 {document.number}（{fmt}）" if document else f"下载通报草稿（{fmt}）"
    audit_record(AuditEvent.Action.EXPORT, request=request, obj=document or run, detail=what)
    name = f"{document.number} {notice.title}" if document else f"（草稿）{notice.title}"
    return attachment(notice.content, f"{name}.{fmt}", TYPES[fmt])


@require_POST
@role_required(User.Role.CITY_ADMIN)
def issue(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    run = _run(kind, pk)
    number = request.POST.get("number", "").strip()[:40] or None
    try:
        document = services.issue_notice(run, user=request.user, number=number)
    except (Refused, FontMissing) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"已印发《{document.title}》，文号 {document.number}")
    return redirect("reports:index")
