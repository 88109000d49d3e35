"""Use cases of the battle map: tasks, milestones, progress reports and the demo battle map.

Who may do what: the city administrator and the platform's own users create tasks and
milestones; only the platform's own users report progress (they are the ones accountable);
leaders and departments read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.datafiles import load_toml
from pingtai.core.refusal import Refused
from pingtai.registry.models import Platform
from pingtai.supervision.models import Milestone, ProgressUpdate, Task
from pingtai.supervision.rules import load_rules

DEMO_FILE = Path(__file__).with_name("demo_tasks.toml")
DEMO_LABEL = "演示"


def can_edit_tasks(user: User, platform: Platform) -> bool:
    return user.is_city_admin or (
        user.role == User.Role.PLATFORM and user.platform_id == platform.pk
    )


def can_report(user: User, task: Task) -> bool:
    return user.role == User.Role.PLATFORM and user.platform_id == task.platform_id


def _snapshot(task: Task) -> dict:
    return {
        "status": task.status,
        "progress": task.progress,
        "completed_on": task.completed_on.isoformat() if task.completed_on else None,
    }


def task_create(
    *,
    platform: Platform,
    title: str,
    owner: str,
    start_date: dt.date,
    deadline: dt.date,
    user: User,
    category: str = "",
    description: str = "",
    request=None,
) -> Task:
    if not can_edit_tasks(user, platform):
        raise Refused("只有市级管理员或本平台用户可以新增本平台的作战图任务")
    if start_date > deadline:
        raise Refused("开始日期不能晚于截止日期")
    with transaction.atomic():
        by_city = user.is_city_admin
        task = Task.objects.create(
            platform=platform,
            title=title,
            owner=owner,
            category=category,
            description=description,
            start_date=start_date,
            deadline=deadline,
            created_by=user,
            confirmed_by=user if by_city else None,
            confirmed_at=timezone.now() if by_city else None,
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=task,
            after={
                "platform": platform.code,
                "title": title,
                "owner": owner,
                "start_date": start_date.isoformat(),
                "deadline": deadline.isoformat(),
            },
        )
    return task


def task_confirm(task: Task, *, user: User, request=None) -> Task:
    """The city office accepts a task a platform added, so that it counts in the on-time rate."""
    if not user.is_city_admin:
        raise Refused("只有市级管理员可以确认任务计入考核")
    if task.confirmed:
        raise Refused("该任务已确认")
    with transaction.atomic():
        task.confirmed_by, task.confirmed_at = user, timezone.now()
        task.save(update_fields=["confirmed_by", "confirmed_at", "updated_at"])
        audit_record(
            AuditEvent.Action.APPROVE,
            request=request,
            actor=user,
            obj=task,
            detail="确认计入按期完成率",
        )
    return task


def _apply_progress(task: Task, progress: int, as_of: dt.date) -> None:
    task.progress = progress
    if progress >= 100:
        task.status = Task.Status.COMPLETED
        task.completed_on = task.completed_on or as_of
    else:
        task.status = Task.Status.IN_PROGRESS if progress > 0 else Task.Status.NOT_STARTED
        task.completed_on = None


def task_report_progress(
    task: Task, *, user: User, progress: int, note: str, as_of: dt.date | None = None, request=None
) -> ProgressUpdate:
    if not can_report(user, task):
        raise Refused("只有本平台用户可以报告本平台任务的进度")
    if not 0 <= progress <= 100:
        raise Refused("进度应在 0 到 100 之间")
    if not note.strip():
        raise Refused("请填写进展说明")
    today = timezone.localdate()
    as_of = as_of or today
    rules = load_rules()
    if as_of > today:
        raise Refused("进度日期不能晚于今天")
    if as_of < today - dt.timedelta(days=rules.backdate_days):
        raise Refused(f"进度日期最多只能补报 {rules.backdate_days} 天前的情况（防止倒签完成日期）")
    if as_of < task.start_date:
        raise Refused("进度日期不能早于任务开始日期")
    last = task.updates.order_by("-as_of").values_list("as_of", flat=True).first()
    if last is not None and as_of < last:
        raise Refused(f"进度日期不能早于上一次报告的日期（{last}）")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        before = _snapshot(task)
        _apply_progress(task, progress, as_of)
        task.save()
        update = ProgressUpdate.objects.create(
            task=task, reported_by=user, as_of=as_of, progress=progress, note=note.strip()
        )
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=task,
            before=before,
            after=_snapshot(task),
            detail=f"进度报告：{note.strip()[:200]}",
        )
    return update


def milestone_add(
    task: Task, *, title: str, due_date: dt.date, user: User, request=None
) -> Milestone:
    if not can_edit_tasks(user, task.platform):
        raise Refused("只有市级管理员或本平台用户可以设置任务节点")
    with transaction.atomic():
        milestone = Milestone.objects.create(task=task, title=title, due_date=due_date)
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=milestone,
            after={"task": task.pk, "title": title, "due_date": due_date.isoformat()},
        )
    return milestone


def milestone_complete(
    milestone: Milestone, *, done_on: dt.date, user: User, request=None
) -> Milestone:
    if not can_report(user, milestone.task):
        raise Refused("只有本平台用户可以确认本平台任务节点的完成")
    if milestone.done_on is not None:
        raise Refused("该节点已确认完成")
    with transaction.atomic():
        milestone.done_on = done_on
        milestone.save(update_fields=["done_on"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=milestone,
            before={"done_on": None},
            after={"done_on": done_on.isoformat()},
        )
    return milestone


class _DemoMilestone(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    due: dt.date
    at: int = Field(ge=0, le=100)


class _DemoTask(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    title: str
    category: str
    owner: str
    start: dt.date
    deadline: dt.date
    progress: int = Field(ge=0, le=100)
    progress_by_platform: dict[str, int] = Field(default_factory=dict)
    completed_offset_days: int = 0
    late_days: dict[str, int] = Field(default_factory=dict)
    milestones: tuple[_DemoMilestone, ...] = ()

    @model_validator(mode="after")
    def _dates(self):
        if self.start > self.deadline:
            raise ValueError(f"{self.key}：开始日期晚于截止日期")
        return self


class _DemoFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    as_of: dt.date
    tasks: tuple[_DemoTask, ...]


@dataclass(frozen=True)
class DemoReport:
    created: int
    updated: int
    platforms: int


def _read_demo(path: Path) -> _DemoFile:
    return load_toml(Path(path), _DemoFile, what="演示作战图文件")


def demo_load(path: Path | str = DEMO_FILE) -> DemoReport:
    """Create or refresh the demo battle map of every platform (keyed by platform and task key,
    so running it again changes nothing)."""
    demo = _read_demo(Path(path))
    platforms = list(Platform.objects.order_by("code"))
    if not platforms:
        raise Refused("平台名录为空，请先加载平台数据")
    created = updated = 0
    confirmed_at = timezone.now()  # the demo map stands for a battle map the city office agreed
    with transaction.atomic():
        for platform in platforms:
            for spec in demo.tasks:
                progress = spec.progress_by_platform.get(platform.code, spec.progress)
                completed_on = None
                if progress >= 100:
                    offset = spec.late_days.get(platform.code, spec.completed_offset_days)
                    completed_on = spec.deadline + dt.timedelta(days=offset)
                status = (
                    Task.Status.COMPLETED
                    if completed_on
                    else Task.Status.IN_PROGRESS
                    if progress > 0
                    else Task.Status.NOT_STARTED
                )
                values = {
                    "title": f"【{DEMO_LABEL}】{spec.title}",
                    "category": spec.category,
                    "owner": f"{platform.short_name}{spec.owner}",
                    "start_date": spec.start,
                    "deadline": spec.deadline,
                    "progress": progress,
                    "status": status,
                    "completed_on": completed_on,
                    "demo": True,
                }
                task, made = Task.objects.update_or_create(
                    platform=platform,
                    demo_key=spec.key,
                    defaults=values,
                    create_defaults={**values, "confirmed_at": confirmed_at},
                )
                if task.confirmed_at is None:  # demo rows loaded before confirmation existed
                    task.confirmed_at = confirmed_at
                    task.save(update_fields=["confirmed_at"])
                created += made
                updated += not made
                for m in spec.milestones:
                    Milestone.objects.update_or_create(
                        task=task,
                        title=m.title,
                        defaults={
                            "due_date": m.due,
                            "done_on": m.due if progress >= m.at else None,
                        },
                    )
        audit_record(
            AuditEvent.Action.CREATE,
            username="system",
            detail=f"载入演示作战图（{DEMO_LABEL}，版本 {demo.version}）：新建 {created}，更新 {updated}",
        )
    return DemoReport(created, updated, len(platforms))
