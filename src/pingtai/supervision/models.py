"""Battle-map tasks (作战图), their milestones and the progress reports on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Task(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "未开始"
        IN_PROGRESS = "in_progress", "推进中"
        COMPLETED = "completed", "已完成"

    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="battle_tasks", verbose_name="平台"
    )
    title = models.CharField("任务", max_length=200)
    category = models.CharField("方向", max_length=40, blank=True)
    owner = models.CharField("责任人（单位）", max_length=80)
    description = models.TextField("目标与举措", blank=True)
    start_date = models.DateField("开始日期")
    deadline = models.DateField("截止日期")
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    completed_on = models.DateField("完成日期", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认人（市级）",
    )
    # A task counts towards its platform's on-time rate once confirmed. Tasks the city assigns (or
    # that are loaded as data) are confirmed on creation; task_create leaves a platform's self-set
    # task unconfirmed until the city office accepts it, or a platform could set and complete easy
    # tasks of its own.
    confirmed_at = models.DateTimeField(
        "确认时间（计入按期完成率）", null=True, blank=True, default=timezone.now
    )
    demo = models.BooleanField("演示数据", default=False)
    demo_key = models.CharField("演示任务编号", max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "作战图任务"
        ordering = ["platform__code", "deadline", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "demo_key"],
                condition=~Q(demo_key=""),
                name="one_demo_task_per_key",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="task_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("deadline")),
                name="task_starts_before_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform.short_name}：{self.title}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class Milestone(models.Model):
    task = models.ForeignKey(Task, models.CASCADE, related_name="milestones", verbose_name="任务")
    title = models.CharField("节点", max_length=200)
    due_date = models.DateField("节点日期")
    done_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "任务节点"
        ordering = ["task", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.task.title}·{self.title}"


class ProgressUpdate(models.Model):
    task = models.ForeignKey(Task, models.CASCADE, related_name="updates", verbose_name="任务")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="报告人"
    )
    reported_at = models.DateTimeField("报告时间", auto_now_add=True)
    as_of = models.DateField("进度日期")
    progress = models.PositiveSmallIntegerField("进度（%）")
    note = models.TextField("进展说明")

    class Meta:
        verbose_name = verbose_name_plural = "进度报告"
        ordering = ["task", "-as_of", "-id"]

    def __str__(self) -> str:
        return f"{self.task.title} {self.as_of} {self.progress}%"
