"""The enterprise side's records: dated windows on a run (一企一单 confirmation, land 公示,
result 公示) — docs/enterprise.md."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class PublicityWindow(models.Model):
    """A dated window on one run, its length in working days (pingtai.firm.calendar)."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "一企一单确认"
        LAND = "land", "用地面积公示"
        RESULT = "result", "评价结果公示"

    run = models.ForeignKey(
        "evaluation.EvaluationRun", models.PROTECT, related_name="windows", verbose_name="评价批次"
    )
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    working_days = models.PositiveSmallIntegerField("期限（工作日）")
    opens_on = models.DateField("起始日")
    closes_on = models.DateField("截止日")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="开启人"
    )
    opened_at = models.DateTimeField("开启时间", default=timezone.now)
    # When the daily job applied "no answer counts as confirmed" after the closing day.
    settled_at = models.DateTimeField("逾期处理时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "公示与确认期"
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "kind"], name="one_window_per_run_and_kind"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="window_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run.year}年度{self.get_kind_display()}（批次 #{self.run_id}）"

    def is_open(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    def state(self, today: dt.date | None = None) -> str:
        today = today or timezone.localdate()
        if today < self.opens_on:
            return "未开始"
        return "进行中" if today <= self.closes_on else "已截止"
