"""The life cycle of an objection (docs/objections.md): its statuses, the steps allowed from
each, the refusal when a step is asked of an objection past it, and the deadlines of the
routed steps in working days (the calendar of firm/calendar.py).

    待处理 ──受理──▶ 已受理 ──采纳/不予采纳──▶ 已采纳 / 未采纳
       │ ──退回──▶ 已退回
       └──采纳/不予采纳──▶ 已采纳 / 未采纳

A firm's objection goes through every step (platform → department → city); a platform's
objection to a league result is decided directly by the city, so it uses only 待处理,
已采纳 and 未采纳."""

from __future__ import annotations

import datetime as dt

from django.db import models

from pingtai.core.refusal import Refused
from pingtai.firm.calendar import calendar


class Status(models.TextChoices):
    PENDING = "pending", "待处理"
    RECEIVED = "received", "已受理"
    RETURNED = "returned", "已退回"
    UPHELD = "upheld", "已采纳"
    REJECTED = "rejected", "未采纳"


# The steps allowed from each status; a status not listed here is final.
NEXT: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.RECEIVED, Status.RETURNED, Status.UPHELD, Status.REJECTED}),
    Status.RECEIVED: frozenset({Status.UPHELD, Status.REJECTED}),
}


def choices(*statuses: Status) -> list[tuple[str, str]]:
    """The choices of a status field that uses only some of the statuses."""
    return [(s.value, s.label) for s in statuses]


def is_open(status: str) -> bool:
    return status in NEXT


def outcome(uphold: bool) -> Status:
    return Status.UPHELD if uphold else Status.REJECTED


def check_step(status: str, to: Status, *, number: str = "") -> None:
    """Refuse the step to ``to`` unless the life cycle allows it from ``status``. A firm's
    objection is named by its number and told in terms of its handling (平台初核, 办结); a
    league objection has no number and is told its status."""
    if to in NEXT.get(status, ()):
        return
    label = Status(status).label
    if not number:
        raise Refused(f"该异议已办结（{label}）", code="state")
    if to in (Status.RECEIVED, Status.RETURNED):
        tail = "，不能退回" if to == Status.RETURNED else ""
        raise Refused(f"异议 {number} 已过平台初核环节{tail}", code="wrong_stage")
    raise Refused(f"异议 {number} 已办结（{label}）", code="decided")


def check_open(status: str, *, number: str, doing: str) -> None:
    """Refuse ``doing`` (e.g. 补充证明材料) on an objection that is no longer open."""
    if not is_open(status):
        label = Status(status).label
        raise Refused(f"异议 {number} 已办结（{label}），不能再{doing}", code="decided")


def step_due(start: dt.date, working_days: int) -> dt.date:
    """The last day of a step of ``working_days`` working days opening on ``start``, by the
    working-day calendar the firms' windows use (State Council holidays as data; a year not
    entered is refused, not guessed — firm/calendar.py)."""
    return calendar().closing_day(start, working_days)
