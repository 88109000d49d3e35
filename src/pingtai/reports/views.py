"""Notice downloads: only from published runs; every download is audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from pingtai.accounts.scope import OFFICIALS, role_required
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.league.models import LeagueRun
from pingtai.reports import documents
from pingtai.reports.charts import FontMissing
from pingtai.reports.notices import league_notice, mujun_notice
from pingtai.web.downloads import XLSX, attachment

TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": XLSX,
}


@role_required(*OFFICIALS)
def index(request: HttpRequest) -> HttpResponse:
    runs = EvaluationRun.objects.filter(status=EvaluationRun.Status.PUBLISHED)
    league_runs = LeagueRun.objects.filter(status=LeagueRun.Status.PUBLISHED)
    return render(
        request,
        "reports/index.html",
        {
            "runs": runs,
            "league_runs": league_runs,
            "pdf": documents.soffice() is not None,
        },
    )


def render_notice(notice: documents.Notice, fmt: str) -> bytes:
    docx = documents.render_docx(notice)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        return documents.render_pdf(docx)
    return documents.render_xlsx(notice)


def _download(request: HttpRequest, run, build, fmt: str) -> HttpResponse:
    """Published notices are public documents: every signed-in role may download them."""
    try:
        notice = build(run, number=request.GET.get("number", "").strip()[:40])
        content = render_notice(notice, fmt)
    except (Refused, FontMissing, documents.PdfUnavailable) as refused:
        messages.error(request, str(refused))
        return redirect("reports:index")
    audit_record(AuditEvent.Action.EXPORT, request=request, obj=run, detail=f"下载通报（{fmt}）")
    return attachment(content, f"{notice.title}.{fmt}", TYPES[fmt])


@role_required(*OFFICIALS)
def mujun(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk, status=EvaluationRun.Status.PUBLISHED)
    return _download(request, run, mujun_notice, fmt)


@role_required(*OFFICIALS)
def league(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    run = get_object_or_404(LeagueRun, pk=pk, status=LeagueRun.Status.PUBLISHED)
    return _download(request, run, league_notice, fmt)
