"""Reads of the battle map: scoped task lists, alerts, completion rates for the evaluation.

``task_completion_rates`` and ``overdue_tasks`` are the interface the platform evaluation
(process score) and the quarterly notice call; keep their signatures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404

from pingtai.accounts.models import User
from pingtai.accounts.scope import platforms_for
from pingtai.registry.models import Platform
from pingtai.supervision import rules as schedule
from pingtai.supervision.models import Task


def tasks_for(user: User) -> QuerySet[Task]:
    return Task.objects.filter(platform__in=platforms_for(user)).select_related("platform")


def scoped_task(user: User, pk: int) -> Task:
    try:
        return tasks_for(user).get(pk=pk)
    except ObjectDoesNotExist as missing:
        raise Http404("没有找到该任务，或您无权查看") from missing


@dataclass(frozen=True)
class Alert:
    task: Task
    kind: str  # "overdue" or "slow"
    expected: Decimal
    days_overdue: int

    @property
    def label(self) -> str:
        return "逾期未完成" if self.kind == "overdue" else "进度滞后"


def alerts(tasks: QuerySet[Task], on: dt.date, rules: schedule.SupervisionRules) -> list[Alert]:
    """Overdue tasks first (longest overdue first), then slow ones (furthest behind first)."""
    overdue, slow = [], []
    for task in tasks.select_related("platform"):
        expected = schedule.expected_progress(task.start_date, task.deadline, on)
        if schedule.is_overdue(task.deadline, task.completed_on, on):
            overdue.append(Alert(task, "overdue", expected, (on - task.deadline).days))
        elif schedule.is_slow(
            task.start_date,
            task.deadline,
            task.progress,
            task.completed_on,
            on,
            rules.slow_margin_pct,
        ):
            slow.append(Alert(task, "slow", expected, 0))
    overdue.sort(key=lambda a: (-a.days_overdue, a.task.platform.code))
    slow.sort(key=lambda a: (a.task.progress - a.expected, a.task.platform.code))
    return overdue + slow


def task_completion_rates(year: int, quarter: int | None = None) -> dict[str, float]:
    """Platform code → share (0..1) of its tasks due in the year or quarter that were completed
    on or before their deadline; a platform with no task due in the period maps to 1.0. Only
    tasks confirmed by the city office count (see Task.confirmed_at)."""
    first, last = schedule.period_bounds(year, quarter)
    due: dict[str, list[schedule.Due]] = {
        code: [] for code in Platform.objects.values_list("code", flat=True)
    }
    rows = Task.objects.filter(
        deadline__gte=first, deadline__lte=last, confirmed_at__isnull=False
    ).values_list("platform__code", "deadline", "completed_on")
    for code, deadline, completed_on in rows:
        due[code].append(schedule.Due(deadline, completed_on))
    return {code: schedule.completion_rate(items) for code, items in sorted(due.items())}


def overdue_tasks(on: dt.date) -> list[Task]:
    """Tasks past their deadline on ``on`` and not completed by then, by platform and deadline."""
    rows = (
        Task.objects.filter(deadline__lt=on)
        .select_related("platform")
        .order_by("platform__code", "deadline", "id")
    )
    return [t for t in rows if schedule.is_overdue(t.deadline, t.completed_on, on)]


@dataclass(frozen=True)
class PlatformOverview:
    platform: Platform
    tasks: int
    completed: int
    overdue: int
    slow: int
    rate: float


def overview(user: User, on: dt.date, rules: schedule.SupervisionRules) -> list[PlatformOverview]:
    rate = task_completion_rates(on.year)
    rows = []
    for platform in platforms_for(user).order_by("code"):
        tasks = Task.objects.filter(platform=platform)
        found = alerts(tasks, on, rules)
        rows.append(
            PlatformOverview(
                platform,
                tasks.count(),
                tasks.filter(completed_on__isnull=False, completed_on__lte=on).count(),
                sum(a.kind == "overdue" for a in found),
                sum(a.kind == "slow" for a in found),
                rate.get(platform.code, 1.0),
            )
        )
    return rows
