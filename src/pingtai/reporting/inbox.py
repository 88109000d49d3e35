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

from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.accounts.scope import requirements_for
from pingtai.reporting.models import ReportingPeriod, Requirement, Submission

DUE_SOON_DAYS = 7
S = Submission.Status
NOT_SUBMITTED = (S.DRAFT, S.RETURNED)


@dataclass(frozen=True)
class Box:
    code: str
    label: str
    requirements: list[Requirement]
    actionable: bool

    @property
    def count(self) -> int:
        return len(self.requirements)


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
    return [
        Box("pending", "待审核", pending, reviewer),
        Box("returned", "已退回", returned, unit),
        Box("due_soon", "即将逾期", soon, unit),
        Box("overdue", "已逾期", overdue, unit),
    ]


def action_count(user: User) -> int:
    """The number shown beside 待办 in the menu: requirements the user must act on."""
    seen: set[int] = set()
    for box in inbox(user):
        if box.actionable:
            seen.update(r.pk for r in box.requirements)
    return len(seen)
