"""What waits for whom: the reporting inbox of each role (docs/reporting.md, "Inbox").

Four boxes, each a list of requirements the user may see (``requirements_for``):

- 待审核: uploaded and submitted, waiting for the city administrator's review;
- 已退回: returned by the reviewer, waiting for the reporting unit to correct and resubmit
  (the reason is shown with it);
- 即将逾期: in an open period, not yet submitted, deadline within ``DUE_SOON_DAYS`` days;
- 已逾期: in an open period, not yet submitted, deadline passed.

The menu count is what the user must act on: the city administrator reviews (待审核), a
reporting unit corrects and submits (已退回, 即将逾期, 已逾期); a leader acts on nothing here.
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
    if user.role in (User.Role.CITY_ADMIN, User.Role.LEADER):
        boxes.append(Box("plan", "待领导小组审定", [], True, _planning_decisions()))
    return boxes


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
                    f"并提撤转分类建议 #{run.pk}（{run.year}年数据）",
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
