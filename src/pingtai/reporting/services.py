"""Use cases of data reporting. Views and the CLI call these; neither holds logic of its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.accounts.scope import owns_requirement
from pingtai.audit.chain import clean_text
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.catalogue import default_catalogue, parse_period
from pingtai.core.bulk import insert_rows
from pingtai.core.dates import day_text
from pingtai.core.refusal import Refused
from pingtai.firm.calendar import calendar
from pingtai.registry.models import Enterprise, EnterpriseYear, LandParcel, Platform
from pingtai.reporting.models import (
    Fact,
    ReportingPeriod,
    Requirement,
    StoredFile,
    Submission,
    SubmissionVersion,
    UploadAttempt,
)
from pingtai.xlsx import ImportOutcome, RefusedFile, read_upload, write_template
from pingtai.xlsx.validate import plain_number

S = Submission.Status


def template_signing_key() -> bytes:
    """Key for the HMAC on a template's hidden marker, so a hand-made marker is detected."""
    return hashlib.sha256(b"pingtai-template-marker:" + settings.SECRET_KEY.encode()).digest()


# --- periods -------------------------------------------------------------------------------


def reporting_deadline(day: dt.date) -> dt.date:
    """The deadline a unit is held to when ``day`` is asked for: ``day`` itself on a working
    day, otherwise the next working day of the working-day calendar (a deadline on a day off
    ends on the next working day, 《民法典》第二百零三条; docs/reporting.md, "Deadlines").
    Years the calendar does not know (no schedule, no lunar dates) move past weekends only."""
    days = calendar()
    while True:
        if day.year in days.years:
            if days.is_working_day(day):
                return day
        elif day.weekday() < 5:
            return day
        day += dt.timedelta(days=1)


@transaction.atomic
def period_open(code: str, *, user: User, deadline: dt.date, request=None) -> ReportingPeriod:
    """Open a period and create one requirement per form due in it and per submitting unit;
    a deadline on a day off moves to the next working day (``reporting_deadline``)."""
    period = parse_period(code)
    if ReportingPeriod.objects.filter(code=period.code).exists():
        raise Refused(f"填报期 {period.code}（{period.label}）已存在")
    if deadline < period.end:
        raise Refused(f"报送截止日期不能早于统计期末 {day_text(period.end)}")
    asked, deadline = deadline, reporting_deadline(deadline)
    row = ReportingPeriod.objects.create(
        code=period.code,
        kind=period.kind,
        year=period.year,
        index=period.index,
        starts_on=period.start,
        ends_on=period.end,
        opened_by=user,
    )
    platforms = list(Platform.objects.order_by("code"))
    requirements = []
    for form in default_catalogue().forms.values():
        if form.frequency != period.kind:
            continue
        if form.source == "platform":
            requirements += [
                Requirement(period=row, form_code=form.code, platform=p, deadline=deadline)
                for p in platforms
            ]
        else:
            requirements.append(
                Requirement(
                    period=row, form_code=form.code, department=form.source, deadline=deadline
                )
            )
    Requirement.objects.bulk_create(requirements)
    for requirement in Requirement.objects.filter(period=row):
        Submission.objects.create(requirement=requirement)
    audit_record(
        AuditEvent.Action.OPEN_PERIOD,
        request=request,
        actor=user,
        obj=row,
        after={
            "code": row.code,
            "deadline": deadline.isoformat(),
            **({"deadline_asked": asked.isoformat()} if asked != deadline else {}),
            "requirements": len(requirements),
        },
    )
    return row


def period_close(period: ReportingPeriod, *, user: User, request=None) -> ReportingPeriod:
    if not period.is_open:
        raise Refused(f"{period.label}已关闭")
    with transaction.atomic():
        period.status, period.closed_at = ReportingPeriod.Status.CLOSED, timezone.now()
        period.save(update_fields=["status", "closed_at"])
        audit_record(AuditEvent.Action.CLOSE_PERIOD, request=request, actor=user, obj=period)
    return period


@dataclass(frozen=True)
class RequirementState:
    requirement: Requirement
    status: str
    overdue: bool


def period_progress(
    period: ReportingPeriod, requirements: Iterable[Requirement]
) -> list[RequirementState]:
    """Each requirement with its status; missing and overdue ones are what the office chases."""
    today = timezone.localdate()
    rows = []
    for req in requirements:
        sub = req.submission
        rows.append(RequirementState(req, sub.get_status_display(), req.is_overdue(today)))
    return rows


# --- templates -----------------------------------------------------------------------------


def _latest_years(enterprises: Iterable[Enterprise]) -> dict[int, EnterpriseYear]:
    rows = EnterpriseYear.objects.filter(enterprise__in=enterprises).order_by(
        "enterprise_id", "-year"
    )
    latest: dict[int, EnterpriseYear] = {}
    for row in rows:
        latest.setdefault(row.enterprise_id, row)
    return latest


def _prefill(requirement: Requirement) -> list[dict[str, object]]:
    form = default_catalogue().form(requirement.form_code)
    if form.level == "platform":
        return []
    if form.level == "parcel":
        parcels = LandParcel.objects.select_related("holder", "user").order_by("parcel_id")
        return [
            {
                "parcel_code": p.parcel_id,
                "holder_uscc": p.holder.uscc,
                "user_uscc": p.user.uscc,
                "enterprise_name": p.user.name,
                "tenure": p.get_tenure_display(),
                "parcel_area": p.area_mu,
            }
            for p in parcels
        ]
    query = Enterprise.objects.order_by("uscc")
    if requirement.platform_id:
        query = query.filter(platform_id=requirement.platform_id)
    enterprises = list(query)
    if "scale" not in form.columns:
        return [{"uscc": e.uscc, "enterprise_name": e.name} for e in enterprises]
    latest = _latest_years(enterprises)
    rows: list[dict[str, object]] = []
    for e in enterprises:
        year = latest.get(e.id)
        rows.append(
            {
                "uscc": e.uscc,
                "enterprise_name": e.name,
                "county_code": e.county_id,
                "industry_code": e.industry_code,
                "scale": year.size_class if year else None,
                "land_area": year.land_mu if year else None,
            }
        )
    return rows


def authorise_upload(user: User, requirement: Requirement) -> None:
    if not owns_requirement(user, requirement):
        raise PermissionDenied(
            f"用户 {user.username} 不是“{requirement.scope_name}”的填报人员，只有填报单位本身可以上传数据"
        )


def requirement_template_for(user: User, requirement: Requirement) -> bytes:
    """The template, for the unit that fills it in or the city administrator."""
    if not (owns_requirement(user, requirement) or user.is_city_admin):
        raise PermissionDenied("只有填报单位和市级管理员可以下载模板")
    return requirement_template(requirement)


def requirement_template(requirement: Requirement) -> bytes:
    """The Excel template for one requirement, pre-filled with the units' identifiers."""
    buffer = io.BytesIO()
    write_template(
        requirement.form_code,
        requirement.period.code,
        scope_code=requirement.scope_code,
        scope_name=requirement.scope_name,
        prefill_rows=_prefill(requirement),
        out=buffer,
        deadline=requirement.deadline,
        signing_key=template_signing_key(),
    )
    return buffer.getvalue()


# --- facts ---------------------------------------------------------------------------------

Values = dict[str, dict[str, Decimal]]


def version_values(version: SubmissionVersion | None) -> Values:
    """key → {indicator: value} of one version (numbers only)."""
    values: Values = {}
    if version is None:
        return values
    for key, indicator, value in version.facts.exclude(value=None).values_list(
        "key", "indicator", "value"
    ):
        if value is not None:  # excluded above; this tells the type checker
            values.setdefault(key, {})[indicator] = value
    return values


def approved_version(form_code: str, period_code: str, scope_code: str) -> SubmissionVersion | None:
    scope = (
        {"platform__code": scope_code}
        if not _is_department(scope_code)
        else {"department": scope_code}
    )
    sub = (
        Submission.objects.filter(
            requirement__form_code=form_code,
            requirement__period__code=period_code,
            **{f"requirement__{k}": v for k, v in scope.items()},
        )
        .select_related("approved_version")
        .first()
    )
    return sub.approved_version if sub else None


def _is_department(scope_code: str) -> bool:
    return scope_code in User.Department.values


@dataclass(frozen=True)
class DiffRow:
    key: str
    indicator: str
    before: Decimal | str | None
    after: Decimal | str | None


def version_diff(old: SubmissionVersion, new: SubmissionVersion) -> list[DiffRow]:
    """Every (key, indicator) whose value differs between two versions of one submission."""

    def cells(version: SubmissionVersion) -> dict[tuple[str, str], Decimal | str | None]:
        return {
            (key, ind): value if value is not None else (text or None)
            for key, ind, value, text in version.facts.values_list(
                "key", "indicator", "value", "text"
            )
        }

    before, after = cells(old), cells(new)
    return [
        DiffRow(key, ind, before.get((key, ind)), after.get((key, ind)))
        for key, ind in sorted(before.keys() | after.keys())
        if before.get((key, ind)) != after.get((key, ind))
    ]


# --- uploads -------------------------------------------------------------------------------


def store_file(data: bytes) -> StoredFile:
    digest = hashlib.sha256(data).hexdigest()
    stored, _ = StoredFile.objects.get_or_create(
        sha256=digest, defaults={"content": data, "size": len(data)}
    )
    return stored


def _read(requirement: Requirement, data: bytes) -> ImportOutcome:
    period = parse_period(requirement.period.code)
    previous = approved_version(
        requirement.form_code, period.previous().code, requirement.scope_code
    )
    last_year = approved_version(
        requirement.form_code, period.same_period_last_year().code, requirement.scope_code
    )
    overrides = Enterprise.objects.exclude(uscc_override_reason="").values_list("uscc", flat=True)
    return read_upload(
        data,
        expected_scope=requirement.scope_code,
        expected_form=requirement.form_code,
        expected_period=requirement.period.code,
        previous=version_values(previous) or None,
        last_year=version_values(last_year) or None,
        uscc_overrides=set(overrides),
        signing_key=template_signing_key(),
    )


def _issue_json(issue) -> dict:
    return {
        "sheet": issue.sheet,
        "cell": issue.cell,
        "column": issue.column,
        "value": issue.value,
        "rule": issue.rule,
        "message": issue.message,
        "hint": issue.hint,
        "text": str(issue),
    }


def _confirmation_json(c) -> dict:
    return {
        "id": c.id,
        "sheet": c.sheet,
        "cell": c.cell,
        "column": c.column,
        "key": c.key,
        "indicator": c.indicator,
        "value": plain_number(c.value),
        "reference": plain_number(c.reference),
        "basis": c.basis,
        "factor": str(c.factor) if c.factor is not None else None,
        "message": c.message,
        "text": f"{c.column}：{c.message}",
    }


def _check_can_upload(requirement: Requirement, reason: str) -> bool:
    """Return whether this upload is a correction of locked data; refuse impossible uploads."""
    status = requirement.submission.status
    if status == S.LOCKED:
        if not reason.strip():
            raise Refused("数据已锁定，更正必须填写更正理由")
        return True
    if not requirement.period.is_open:
        raise Refused(f"{requirement.period.label}填报期已关闭，不能再上传")
    if status in (S.SUBMITTED, S.APPROVED):
        raise Refused("数据已提交审核，如需修改请联系市级管理员退回")
    return False


def submission_upload(
    requirement: Requirement,
    *,
    user: User,
    data: bytes,
    filename: str,
    reason: str = "",
    confirmed: Collection[str] = (),
    request=None,
) -> UploadAttempt:
    """Validate an upload completely; store a new version only if it is entirely valid and every
    probable unit slip has been confirmed. The outcome is recorded either way. Only the unit
    that owns the requirement uploads."""
    authorise_upload(user, requirement)
    # The name comes from the uploader's machine: control characters (a NUL cannot be stored
    # in PostgreSQL and would block moving the database there) are kept visible as escapes.
    filename = clean_text(filename)
    correction = _check_can_upload(requirement, reason)
    try:
        outcome = _read(requirement, data)
    except RefusedFile as refused:
        with transaction.atomic():
            attempt = UploadAttempt.objects.create(
                requirement=requirement,
                filename=filename,
                uploaded_by=user,
                outcome=UploadAttempt.Outcome.REFUSED,
                message=str(refused),
            )
            audit_record(
                AuditEvent.Action.IMPORT_REFUSED,
                request=request,
                actor=user,
                obj=attempt,
                detail=str(refused),
            )
        return attempt
    return _settle(
        requirement,
        outcome,
        user=user,
        data=data,
        filename=filename,
        reason=reason,
        confirmed=confirmed,
        correction=correction,
        request=request,
    )


def attempt_confirm(
    attempt: UploadAttempt, *, user: User, confirmed: Collection[str], request=None
) -> UploadAttempt:
    """Answer a pending upload's unit-slip questions (only the person who uploaded it); the
    stored file is validated again."""
    if attempt.uploaded_by_id != user.pk:
        raise PermissionDenied("只有上传人可以确认")
    if attempt.outcome != UploadAttempt.Outcome.NEEDS_CONFIRMATION:
        raise Refused("该上传记录不需要确认")
    requirement = attempt.requirement
    correction = _check_can_upload(requirement, attempt.reason)
    if attempt.file is None:  # a pending upload always keeps its file
        raise Refused("该上传记录没有保存文件，请重新上传")
    data = bytes(attempt.file.content)
    return _settle(
        requirement,
        _read(requirement, data),
        user=user,
        data=data,
        filename=attempt.filename,
        reason=attempt.reason,
        confirmed=confirmed,
        correction=correction,
        request=request,
    )


def _settle(
    requirement,
    outcome: ImportOutcome,
    *,
    user,
    data,
    filename,
    reason,
    confirmed,
    correction,
    request,
) -> UploadAttempt:
    with transaction.atomic():
        stored = store_file(data)
        attempt = UploadAttempt(
            requirement=requirement,
            file=stored,
            filename=filename,
            uploaded_by=user,
            reason=reason.strip(),
        )
        if not outcome.ok:
            attempt.outcome = UploadAttempt.Outcome.REFUSED
            attempt.message = f"文件中有 {len(outcome.errors)} 处错误，未导入任何数据"
            attempt.errors = [_issue_json(i) for i in outcome.errors]
            attempt.save()
            audit_record(
                AuditEvent.Action.IMPORT_REFUSED,
                request=request,
                actor=user,
                obj=attempt,
                after={"sha256": outcome.sha256, "errors": len(outcome.errors)},
            )
            return attempt
        pending = outcome.unconfirmed(confirmed)
        if pending:
            attempt.outcome = UploadAttempt.Outcome.NEEDS_CONFIRMATION
            attempt.message = (
                f"有 {len(pending)} 处数值与上期或同类数据相差悬殊，疑似单位填错，请逐项确认"
            )
            attempt.confirmations = [_confirmation_json(c) for c in outcome.confirmations]
            attempt.save()
            # The file is stored and waits for the uploader's answers: that is recorded too.
            audit_record(
                AuditEvent.Action.UPLOAD,
                request=request,
                actor=user,
                obj=attempt,
                after={
                    "sha256": outcome.sha256,
                    "outcome": attempt.outcome,
                    "pending": len(pending),
                },
                detail=f"待确认疑似单位错误 {len(pending)} 处",
            )
            return attempt
        version = _new_version(
            requirement,
            outcome,
            user=user,
            stored=stored,
            filename=filename,
            reason=reason,
            correction=correction,
        )
        attempt.outcome, attempt.version = UploadAttempt.Outcome.ACCEPTED, version
        attempt.message = f"已导入 {len(outcome.rows)} 行数据，生成第 {version.number} 版"
        attempt.confirmations = [_confirmation_json(c) for c in outcome.confirmations]
        attempt.save()
        audit_record(
            AuditEvent.Action.CORRECT if correction else AuditEvent.Action.UPLOAD,
            request=request,
            actor=user,
            obj=version,
            after={
                "sha256": outcome.sha256,
                "rows": len(outcome.rows),
                "version": version.number,
                "confirmed": sorted(c.id for c in outcome.confirmations),
            },
            detail=reason.strip(),
        )
    return attempt


def _fact_cell(value: object) -> tuple[Decimal | int | None, str]:
    """A reported value as a fact's (number, text): numbers as numbers, anything else as text."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return value, ""
    return None, str(value)


def _new_version(
    requirement, outcome: ImportOutcome, *, user, stored, filename, reason, correction
):
    sub = Submission.objects.select_for_update().get(requirement=requirement)
    # Checked again under the row lock: a submit or an approval may have landed while the file
    # was being validated, and an upload must not silently pull the submission back to draft.
    if sub.status not in ((S.LOCKED,) if correction else (S.DRAFT, S.RETURNED)):
        raise Refused(f"该报送已变为“{sub.get_status_display()}”，本次上传未保存，请刷新页面后重试")
    number = (sub.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = SubmissionVersion.objects.create(
        submission=sub,
        number=number,
        file=stored,
        filename=filename,
        uploaded_by=user,
        row_count=len(outcome.rows),
        confirmations=sorted(c.id for c in outcome.confirmations),
        is_correction=correction,
        reason=reason.strip(),
    )
    # Streamed to the database as plain rows (core.bulk.insert_rows: COPY on PostgreSQL): a
    # 100,000-row enterprise file is 700,000 facts, and a model instance per fact cost most of
    # the upload's time and more memory than the upload's own limit (docs/benchmarks.md).
    insert_rows(
        Fact,
        ["version", "row_number", "key", "indicator", "value", "text"],
        (
            (version.pk, row.number, row.key, indicator, *_fact_cell(value))
            for row in outcome.rows
            for indicator, value in row.values.items()
            if value is not None
        ),
    )
    sub.latest_version = version
    sub.status = S.SUBMITTED if correction else S.DRAFT
    sub.revision += 1
    sub.updated_at = timezone.now()
    sub.save()
    return version
