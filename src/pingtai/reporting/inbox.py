"""What waits for whom: the reporting inbox of each role (docs/reporting.md, "Inbox").

Four boxes, each a list of requirements the user may see (``requirements_for``):

- 待审核: uploaded and submitted, waiting for the city administrator's review;
- 已退回: returned by the reviewer, waiting for the reporting unit to correct and resubmit
  (the reason is shown with it);
- 即将逾期: in an open period, not yet submitted, deadline within ``DUE_SOON_DAYS`` days;
- 已逾期: in an open period, not yet submitted, deadline passed.

The menu count is what the user must act on: the city administrator reviews (待审核), a
reporting unit corrects and submits (已退回, 即将逾期, 已逾期); a leader acts on nothing here.
Objections (异议) waiting for the user's step are one more box, 待办异议.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.accounts.scope import requirements_for
from pingtai.reporting.models import ReportingPeriod, Requirement, Submission

DUE_SOON_DAYS = 7
S = Submission.Status
NOT_SUBMITTED = (S.DRAFT, S.RETURNED)


@dataclass(frozen=True)
class Link:
    text: str
    note: str
    url: str


@dataclass(frozen=True)
class Box:
    code: str
    label: str
    requirements: list[Requirement]
    actionable: bool
    links: tuple[Link, ...] = ()

    @property
    def count(self) -> int:
        return len(self.requirements) + len(self.links)


def inbox(user: User, today: dt.date | None = None) -> list[Box]:
    today = today or timezone.localdate()
    rows = requirements_for(user).select_related("submission", "period", "platform")
    pending = list(rows.filter(submission__status=S.SUBMITTED).order_by("deadline", "pk"))
    returned = list(rows.filter(submission__status=S.RETURNED).order_by("deadline", "pk"))
    open_unsent = rows.filter(
        period__status=ReportingPeriod.Status.OPEN, submission__status__in=NOT_SUBMITTED
    ).order_by("deadline", "pk")
    overdue = [r for r in open_unsent if r.deadline < today]
    soon = [
        r for r in open_unsent if today <= r.deadline <= today + dt.timedelta(days=DUE_SOON_DAYS)
    ]
    reviewer = user.role == User.Role.CITY_ADMIN
    unit = user.role in (User.Role.PLATFORM, User.Role.DEPARTMENT)
    boxes = [
        Box("pending", "待审核", pending, reviewer),
        Box("returned", "已退回", returned, unit),
        Box("due_soon", "即将逾期", soon, unit),
        Box("overdue", "已逾期", overdue, unit),
    ]
    if user.role in (User.Role.CITY_ADMIN, User.Role.PLATFORM, User.Role.DEPARTMENT):
        boxes.append(Box("objections", "待办异议", [], True, _objections(user, today)))
    if user.role in (User.Role.CITY_ADMIN, User.Role.LEADER):
        boxes.append(Box("plan", "待领导小组审定", [], True, _planning_decisions()))
    return boxes


def _objections(user: User, today: dt.date) -> tuple[Link, ...]:
    """Objections whose current step is this user's (docs/enterprise.md, "Objections"): the
    platform's first review (平台初核) — not of one the user filed on a firm's behalf, which
    another user must review (four eyes) — the department's check of the data it owns, and for
    the city administrator its own step, the first review of objections a platform filed (which
    it may do instead of the platform), and department steps past their deadline (which it may
    decide instead)."""
    from django.db.models import Q

    from pingtai.firm.calendar import calendar, date_text
    from pingtai.firm.models import Objection
    from pingtai.firm.objections import due_note, objections_for

    stage = Objection.Stage
    rows = objections_for(user).exclude(stage=stage.DONE)
    if user.role == User.Role.PLATFORM:
        rows = rows.filter(stage=stage.PLATFORM).exclude(filed_by=user)
    elif user.role == User.Role.DEPARTMENT:
        rows = rows.filter(stage=stage.DEPARTMENT)
    else:
        rows = rows.filter(
            Q(stage=stage.CITY)
            | Q(stage=stage.PLATFORM, filed_by__role=User.Role.PLATFORM)
            | Q(stage=stage.DEPARTMENT, due_on__lt=today)
        )
    # 即将逾期 as in the daily reminders: due today or on the next working day.
    soon = calendar().closing_day(today, 2)
    links = []
    for obj in rows.order_by("due_on", "pk"):
        note = obj.get_stage_display()
        if obj.due_on is not None:
            state = "，已逾期" if obj.due_on < today else "，即将逾期" if obj.due_on <= soon else ""
            note += f"，本环节期限 {date_text(obj.due_on)}{due_note(obj)}{state}"
        if obj.filed_by.role == User.Role.PLATFORM:
            note += "；平台代为提出，由提出人以外的平台用户或市级管理员初核"
        links.append(
            Link(
                f"异议 {obj.number}（{obj.enterprise.name}，{obj.get_kind_display()}）",
                note,
                reverse("publicity:objection", args=[obj.number]),
            )
        )
    return tuple(links)


def _planning_decisions() -> tuple[Link, ...]:
    """并提撤转 batches awaiting approval whose proposals depart from the plan: the 领导小组
    decides them (docs/planning.md, "Conflicts with the plan")."""
    from pingtai.planning.models import ClassificationRun

    links = []
    for run in ClassificationRun.objects.filter(status=ClassificationRun.Status.DRAFT).order_by(
        "pk"
    ):
        flagged = [
            i
            for i in run.items.select_related("current_platform", "target_platform")
            if i.conflicts
        ]
        if flagged:
            links.append(
                Link(
                    f"并提撤转分类建议（{run.name}）",
                    f"{len(flagged)} 项与《总体方案》不一致或去向未定，如：{flagged[0].conflicts[0]}",
                    reverse("planning:run", args=[run.pk]),
                )
            )
    return tuple(links)


def action_count(user: User) -> int:
    """The number shown beside 待办 in the menu: requirements the user must act on."""
    seen: set[int] = set()
    links = 0
    for box in inbox(user):
        if box.actionable:
            seen.update(r.pk for r in box.requirements)
            links += len(box.links)
    return len(seen) + links
