"""Follow-through of a published league run (docs/league.md, "Follow-through"):

- 约谈: the city administrator records the meeting with a platform on the run's 约谈 list —
  date, attendees, the minutes as a file (PDF or scanned image, checked by content with the
  evidence rules of firm/evidence.py, kept with its SHA-256) — and the deadline for the platform's 整改措施 (the notice's "15日内");
- 整改: the platform submits its measures (late submissions are accepted and marked 逾期), the
  city reviews them (accept, or return with a reason), and closes them (销号) when done;
- 异议: a platform objects to a published result within the window the notice promises
  (10 working days from the notice, by the working-day calendar of firm/calendar.py); the city
  administrator decides with a reason.

Every rule lives here; the pages and tests call these functions. Each change is audited in
the same transaction. A platform user acts only on its own platform.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.league import rules, selectors
from pingtai.league.models import InterviewMeeting, LeagueRun, Objection, Rectification
from pingtai.objection import lifecycle
from pingtai.registry.models import Platform
from pingtai.reporting.services import store_file

# Minutes are a signed paper scanned, or a PDF.
MINUTES_KINDS = ("pdf", "png", "jpeg")


def _follow_up() -> rules.FollowUp:
    return rules.load_rules().rules.follow_up


def notice_date(run: LeagueRun) -> dt.date:
    """The day the run's notice was issued (the first one issued from the run), or the day
    the run was published when no notice has been issued."""
    from pingtai.reports.services import issued_for

    first = issued_for(run).filter(kind="notice").order_by("issued_on").first()
    if first is not None:
        return first.issued_on
    if run.published_at is None:
        raise Refused("批次尚未发布，没有通报日期", code="not_published")
    return timezone.localdate(run.published_at)


def objection_window(run: LeagueRun) -> tuple[dt.date, dt.date]:
    start = notice_date(run)
    return start, lifecycle.step_due(start, _follow_up().objection_working_days)


def default_rectify_by(run: LeagueRun) -> dt.date:
    return notice_date(run) + dt.timedelta(days=_follow_up().rectification_days)


def _must_admin(user: User, what: str) -> None:
    if not getattr(user, "is_city_admin", False):
        raise Refused(f"只有市级管理员可以{what}", code="forbidden")


def _own_platform(user: User, platform: Platform, what: str) -> None:
    if getattr(user, "role", None) != User.Role.PLATFORM or user.platform_id != platform.pk:
        raise Refused(f"只有{platform.short_name}的平台用户可以{what}", code="forbidden")


def interview_candidates(run: LeagueRun) -> list[Platform]:
    """The platforms on the run's 约谈 list (tied entries included: the city decides)."""
    entries, applies = selectors.interview_list(run)
    if not applies:
        return []
    return [e.result.platform for e in entries]


def check_minutes(data: bytes, name: str):
    """The minutes as they will be stored, checked by content with the project's evidence
    rules (firm/evidence.py: PDF without active content or encryption, verified PNG/JPEG,
    size-limited); a spreadsheet is not minutes."""
    from pingtai.firm.evidence import check_evidence

    if not data:
        raise Refused("请上传约谈纪要文件", code="minutes_missing", field="minutes")
    try:
        checked = check_evidence(name or "约谈纪要", data)
    except Refused as bad:
        raise Refused(bad.message, code=bad.code, field="minutes") from None
    if checked.kind not in MINUTES_KINDS:
        raise Refused(
            f"纪要文件“{checked.filename}”不是 PDF、PNG 或 JPEG 文件；请上传签字纪要的 PDF 或扫描图片",
            code="minutes_type",
            field="minutes",
        )
    return checked


def meeting_record(
    run: LeagueRun,
    platform: Platform,
    *,
    user: User,
    held_on: dt.date,
    attendees: str,
    minutes: bytes,
    minutes_name: str,
    rectify_by: dt.date | None = None,
    request=None,
) -> InterviewMeeting:
    """Record a 约谈 held with a platform on the run's 约谈 list; opens its 整改 (待报送)."""
    _must_admin(user, "记录约谈")
    if not run.is_published:
        raise Refused("只能依据已发布的批次记录约谈", code="not_published")
    if platform not in interview_candidates(run):
        raise Refused(f"{platform.short_name}不在该批次的约谈名单上", code="not_listed")
    if InterviewMeeting.objects.filter(run=run, platform=platform).exists():
        raise Refused(f"已记录过与{platform.short_name}的约谈", code="duplicate")
    attendees = attendees.strip()
    if not attendees:
        raise Refused("请填写参加人员", code="attendees_missing", field="attendees")
    today = timezone.localdate()
    if held_on > today:
        raise Refused("约谈日期不能晚于今天（记录的是已经举行的约谈）", field="held_on")
    published_on = timezone.localdate(run.published_at)
    if held_on < published_on:
        raise Refused(f"约谈日期不能早于批次发布日 {published_on}", field="held_on")
    checked = check_minutes(minutes, minutes_name)
    deadline = rectify_by or default_rectify_by(run)
    if deadline < held_on:
        raise Refused("整改措施报送期限不能早于约谈日期", field="rectify_by")
    with transaction.atomic():
        meeting = InterviewMeeting.objects.create(
            run=run,
            platform=platform,
            held_on=held_on,
            attendees=attendees[:2000],
            minutes=store_file(checked.content),
            minutes_name=checked.filename,
            minutes_type=checked.content_type,
            rectify_by=deadline,
            recorded_by=user,
        )
        Rectification.objects.create(meeting=meeting)
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=meeting,
            after={
                "平台": platform.short_name,
                "约谈日期": held_on.isoformat(),
                "纪要": meeting.minutes_id,
                "整改期限": deadline.isoformat(),
            },
        )
    return meeting


def _locked(rect: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update()
        .select_related("meeting__platform", "meeting__run")
        .get(pk=rect.pk)
    )


def rectification_submit(
    rect: Rectification, *, user: User, measures: str, request=None
) -> Rectification:
    """The platform submits (or, after a return, resubmits) its 整改措施."""
    measures = measures.strip()
    with transaction.atomic():
        rect = _locked(rect)
        _own_platform(user, rect.meeting.platform, "报送整改措施")
        if rect.status not in (Rectification.Status.AWAITING, Rectification.Status.RETURNED):
            raise Refused(f"整改措施{rect.get_status_display()}，不能再报送", code="state")
        if not measures:
            raise Refused("请填写整改措施", code="measures_missing", field="measures")
        before = rect.status
        rect.measures = measures[:20000]
        rect.status = Rectification.Status.SUBMITTED
        rect.submitted_by, rect.submitted_at = user, timezone.now()
        rect.late = timezone.localdate() > rect.meeting.rectify_by
        rect.save()
        audit_record(
            AuditEvent.Action.SUBMIT,
            request=request,
            actor=user,
            obj=rect,
            before={"status": before},
            after={"status": rect.status, "逾期": rect.late},
        )
    return rect


def rectification_review(
    rect: Rectification, *, user: User, accept: bool, note: str = "", request=None
) -> Rectification:
    """The city accepts the measures (整改中) or returns them with a reason (已退回)."""
    _must_admin(user, "审核整改措施")
    note = note.strip()
    with transaction.atomic():
        rect = _locked(rect)
        if rect.status != Rectification.Status.SUBMITTED:
            raise Refused(f"整改措施{rect.get_status_display()}，不在待审核状态", code="state")
        if not accept and not note:
            raise Refused("退回必须写明理由", code="note_missing", field="note")
        rect.status = Rectification.Status.ACCEPTED if accept else Rectification.Status.RETURNED
        rect.review_note, rect.reviewed_by, rect.reviewed_at = note, user, timezone.now()
        rect.save()
        audit_record(
            AuditEvent.Action.APPROVE if accept else AuditEvent.Action.RETURN,
            request=request,
            actor=user,
            obj=rect,
            before={"status": "submitted"},
            after={"status": rect.status},
            detail=note,
        )
    return rect


def rectification_close(
    rect: Rectification, *, user: User, note: str, request=None
) -> Rectification:
    """销号: the city records that the accepted measures have been carried out."""
    _must_admin(user, "整改销号")
    note = note.strip()
    with transaction.atomic():
        rect = _locked(rect)
        if rect.status != Rectification.Status.ACCEPTED:
            raise Refused(
                f"整改措施{rect.get_status_display()}，只有整改中的才能销号", code="state"
            )
        if not note:
            raise Refused("销号必须写明整改完成情况", code="note_missing", field="note")
        rect.status = Rectification.Status.CLOSED
        rect.closing_note, rect.closed_by, rect.closed_at = note, user, timezone.now()
        rect.save()
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=rect,
            before={"status": "accepted"},
            after={"status": "closed"},
            detail=note,
        )
    return rect


def objection_file(run: LeagueRun, *, user: User, text: str, request=None) -> Objection:
    """A platform objects to its result in a published run, within the window."""
    if getattr(user, "role", None) != User.Role.PLATFORM or user.platform_id is None:
        raise Refused("只有平台用户可以对本平台的评价结果提出异议", code="forbidden")
    if run.status != LeagueRun.Status.PUBLISHED:
        raise Refused("只能对现行的已发布结果提出异议", code="not_published")
    if not run.results.filter(platform_id=user.platform_id).exists():
        raise Refused("该批次没有本平台的结果", code="not_in_run")
    start, end = objection_window(run)
    today = timezone.localdate()
    if today > end:
        raise Refused(
            f"异议期已于 {end} 截止（通报印发之日 {start} 起 "
            f"{_follow_up().objection_working_days} 个工作日）",
            code="window_closed",
        )
    text = text.strip()
    if not text:
        raise Refused("请写明异议内容及依据", code="text_missing", field="text")
    with transaction.atomic():
        if Objection.objects.filter(
            run=run, platform_id=user.platform_id, status=Objection.Status.PENDING
        ).exists():
            raise Refused("本平台对该批次已有待处理的异议", code="duplicate")
        objection = Objection.objects.create(
            run=run, platform_id=user.platform_id, text=text[:20000], filed_by=user, window_ends=end
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=objection,
            after={"批次": run.pk, "异议期截止": end.isoformat()},
        )
    return objection


def objection_decide(
    objection: Objection, *, user: User, uphold: bool, reason: str, request=None
) -> Objection:
    """The city administrator decides an objection and records the reason. Upholding it does
    not change the published run: a corrected run is made and published to supersede it
    (docs/runs.md), which the reason should say."""
    _must_admin(user, "处理异议")
    reason = reason.strip()
    if not reason:
        raise Refused("处理异议必须写明理由", code="reason_missing", field="reason")
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        lifecycle.check_step(objection.status, lifecycle.outcome(uphold))
        objection.status = lifecycle.outcome(uphold)
        objection.decision_reason, objection.decided_by = reason, user
        objection.decided_at = timezone.now()
        objection.save()
        audit_record(
            AuditEvent.Action.APPROVE if uphold else AuditEvent.Action.RETURN,
            request=request,
            actor=user,
            obj=objection,
            before={"status": "pending"},
            after={"status": objection.status},
            detail=reason,
        )
    return objection


# --- reads (scope: a platform sees its own; city roles see all; no other role) ------------


def _scoped(qs: QuerySet, user: User, platform_field: str) -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    if user.role in (User.Role.CITY_ADMIN, User.Role.LEADER):
        return qs
    if user.role == User.Role.PLATFORM and user.platform_id:
        return qs.filter(**{platform_field: user.platform_id})
    return qs.none()


def meetings_for(user: User) -> QuerySet[InterviewMeeting]:
    return _scoped(
        InterviewMeeting.objects.select_related("platform", "run", "rectification"),
        user,
        "platform_id",
    )


def rectifications_for(user: User) -> QuerySet[Rectification]:
    return _scoped(
        Rectification.objects.select_related("meeting__platform", "meeting__run"),
        user,
        "meeting__platform_id",
    )


def objections_for(user: User) -> QuerySet[Objection]:
    return _scoped(
        Objection.objects.select_related("platform", "run", "filed_by", "decided_by"),
        user,
        "platform_id",
    )


def open_objection_runs(user: User) -> list[tuple[LeagueRun, dt.date]]:
    """Published runs a platform user may still object to, with the window's last day."""
    if getattr(user, "role", None) != User.Role.PLATFORM or not user.platform_id:
        return []
    today = timezone.localdate()
    out = []
    for run in LeagueRun.objects.filter(
        status=LeagueRun.Status.PUBLISHED, results__platform_id=user.platform_id
    ).order_by("-published_at"):
        _, end = objection_window(run)
        if today <= end:
            out.append((run, end))
    return out
