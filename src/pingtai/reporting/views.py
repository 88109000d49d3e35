"""Reporting pages: every object is fetched through the scope accessors, every action through
a service function."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import (
    OFFICIALS,
    AuthenticatedRequest,
    owns_requirement,
    requirements_for,
    role_required,
    scoped_requirement,
)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.catalogue import default_catalogue
from pingtai.core.dates import day_text
from pingtai.core.refusal import Refused
from pingtai.reporting import services
from pingtai.reporting.forms import PeriodOpenForm, TransitionForm, UploadForm
from pingtai.reporting.inbox import inbox as reporting_inbox
from pingtai.reporting.models import ReportingPeriod, SubmissionVersion, UploadAttempt
from pingtai.reporting.review import amount_text, review_of
from pingtai.reporting.workflow import authorise_transition, submission_transition
from pingtai.web.downloads import attachment
from pingtai.web.forms import form_errors, refuse_form, restore_form
from pingtai.xlsx import Issue, mark_errors


@role_required(*OFFICIALS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    periods = ReportingPeriod.objects.all()
    mine = requirements_for(request.user).filter(period__status=ReportingPeriod.Status.OPEN)
    return render(
        request,
        "reporting/index.html",
        {
            "periods": periods,
            "mine": mine,
            "catalogue": default_catalogue(),
            "open_form": restore_form(request, "period-open", PeriodOpenForm)
            if request.user.is_city_admin
            else None,
        },
    )


@role_required(*OFFICIALS)
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "reporting/inbox.html",
        {"boxes": reporting_inbox(request.user), "catalogue": default_catalogue()},
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def period_open(request: AuthenticatedRequest) -> HttpResponse:
    form = PeriodOpenForm(request.POST)
    if not form.is_valid():
        refuse_form(request, "period-open")
        return redirect("reporting:index")
    try:
        period = services.period_open(
            form.cleaned_data["code"],
            user=request.user,
            deadline=form.cleaned_data["deadline"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("reporting:index")
    asked = form.cleaned_data["deadline"]
    due = services.reporting_deadline(asked)
    moved = f"；{day_text(asked)}为休息日，截止日期顺延至{day_text(due)}" if due != asked else ""
    messages.success(request, f"已开启{period.label}填报{moved}")
    return redirect("reporting:period", code=period.code)


@role_required(User.Role.CITY_ADMIN)
@require_POST
def period_close(request: AuthenticatedRequest, code: str) -> HttpResponse:
    period = get_object_or_404(ReportingPeriod, code=code)
    try:
        services.period_close(period, user=request.user, request=request)
        messages.success(request, f"{period.label}填报期已关闭")
    except Refused as refused:
        messages.error(request, str(refused))
    return redirect("reporting:period", code=code)


@role_required(*OFFICIALS)
def period_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    period = get_object_or_404(ReportingPeriod, code=code)
    requirements = requirements_for(request.user).filter(period=period)
    states = services.period_progress(period, requirements)
    return render(
        request,
        "reporting/period.html",
        {
            "period": period,
            "states": states,
            "catalogue": default_catalogue(),
            "missing": [s for s in states if s.requirement.submission.latest_version_id is None],
            "overdue": [s for s in states if s.overdue],
        },
    )


@role_required(*OFFICIALS)
def requirement_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    requirement = scoped_requirement(request.user, pk)
    submission = requirement.submission
    ordered = list(
        submission.versions.select_related("uploaded_by", "approved_by").order_by("number")
    )
    versions = list(zip(ordered, [None, *ordered[:-1]], strict=False))[::-1]
    return render(
        request,
        "reporting/requirement.html",
        {
            "requirement": requirement,
            "submission": submission,
            "versions": versions,
            "form_def": default_catalogue().form(requirement.form_code),
            "attempts": requirement.attempts.select_related("uploaded_by")[:20],
            "owner": owns_requirement(request.user, requirement),
            "reviewer": request.user.is_city_admin,
            "upload_form": UploadForm(),
            "review": review_of(requirement),
            "approve_form": restore_form(request, f"transition-approve-{pk}", TransitionForm),
            "return_form": restore_form(request, f"transition-return-{pk}", TransitionForm),
        },
    )


@role_required(*OFFICIALS)
def requirement_template(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    requirement = scoped_requirement(request.user, pk)
    content = services.requirement_template_for(request.user, requirement)
    audit_record(
        AuditEvent.Action.DOWNLOAD, request=request, obj=requirement, detail="下载填报模板"
    )
    return attachment(
        content, f"{requirement.period.code}_{requirement.form_code}_{requirement.scope_code}.xlsx"
    )


@role_required(*OFFICIALS)
@require_POST
def requirement_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    requirement = scoped_requirement(request.user, pk)
    services.authorise_upload(request.user, requirement)  # before reading the file
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form_errors(form):
            messages.error(request, error)
        return redirect("reporting:requirement", pk=pk)
    upload = form.cleaned_data["file"]
    try:
        attempt = services.submission_upload(
            requirement,
            user=request.user,
            data=upload.read(),
            filename=upload.name,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("reporting:requirement", pk=pk)
    return redirect("reporting:attempt", pk=attempt.pk)


def _scoped_attempt(request: AuthenticatedRequest, pk: int) -> UploadAttempt:
    attempt = get_object_or_404(UploadAttempt.objects.select_related("requirement"), pk=pk)
    scoped_requirement(request.user, attempt.requirement_id)  # 404 outside the user's scope
    return attempt


@role_required(*OFFICIALS)
def attempt_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = _scoped_attempt(request, pk)
    if request.method == "POST":
        try:
            attempt = services.attempt_confirm(
                attempt,
                user=request.user,
                confirmed=request.POST.getlist("confirm"),
                request=request,
            )
        except Refused as refused:
            messages.error(request, str(refused))
        return redirect("reporting:attempt", pk=attempt.pk)
    return render(request, "reporting/attempt.html", {"attempt": attempt})


@role_required(*OFFICIALS)
def attempt_marked(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = _scoped_attempt(request, pk)
    if attempt.file is None or not attempt.errors:
        raise PermissionDenied("该上传没有可标注的错误")
    issues = [
        Issue(**{k: e[k] for k in ("sheet", "cell", "column", "value", "rule", "message", "hint")})
        for e in attempt.errors
    ]
    return attachment(
        mark_errors(bytes(attempt.file.content), issues), f"错误标注_{attempt.filename}"
    )


@role_required(*OFFICIALS)
def version_file(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(
        SubmissionVersion.objects.select_related("submission", "file"), pk=pk
    )
    scoped_requirement(request.user, version.submission.requirement_id)
    audit_record(AuditEvent.Action.DOWNLOAD, request=request, obj=version, detail="下载原始文件")
    return attachment(bytes(version.file.content), version.filename)


@role_required(*OFFICIALS)
def version_diff(request: AuthenticatedRequest, old: int, new: int) -> HttpResponse:
    older = get_object_or_404(SubmissionVersion, pk=old)
    newer = get_object_or_404(SubmissionVersion, pk=new, submission_id=older.submission_id)
    requirement = scoped_requirement(request.user, older.submission.requirement_id)
    indicators = default_catalogue().indicators

    def shown(value, code: str) -> str | None:
        ind = indicators.get(code)
        if value is None or ind is None or not ind.numeric or isinstance(value, str):
            return value
        return amount_text(value, ind)

    rows = [
        {
            "key": r.key,
            "name": indicators[r.indicator].name if r.indicator in indicators else r.indicator,
            "before": shown(r.before, r.indicator),
            "after": shown(r.after, r.indicator),
        }
        for r in services.version_diff(older, newer)
    ]
    return render(
        request,
        "reporting/diff.html",
        {
            "requirement": requirement,
            "older": older,
            "newer": newer,
            "rows": rows,
        },
    )


@role_required(*OFFICIALS)
@require_POST
def requirement_transition(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    requirement = scoped_requirement(request.user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "操作参数不正确，请刷新页面后重试")
        return redirect("reporting:requirement", pk=pk)
    action = form.cleaned_data["action"]
    authorise_transition(request.user, requirement, action)  # 403 before any other check
    try:
        submission_transition(
            requirement.submission.pk,
            action,
            user=request.user,
            seen_revision=form.cleaned_data["revision"],
            reason=form.cleaned_data["reason"],
            slips_checked=form.cleaned_data["slips_checked"],
            request=request,
        )
        messages.success(request, "操作成功")
    except Refused as refused:
        # Back to the page with the entries kept and the message beside the field it is about.
        refuse_form(request, f"transition-{action}-{pk}", refused)
    return redirect("reporting:requirement", pk=pk)
