"""The enterprise side's records: dated windows on a run (一企一单 confirmation, land 公示,
result 公示) — docs/enterprise.md."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from pingtai.objection import lifecycle
from pingtai.objection.records import ObjectionRecord


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
        return f"{self.get_kind_display()}（{self.run.name}）"

    def is_open(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    def state(self, today: dt.date | None = None) -> str:
        today = today or timezone.localdate()
        if today < self.opens_on:
            return "未开始"
        return "进行中" if today <= self.closes_on else "已截止"


class Confirmation(models.Model):
    """A firm's answer to its 一企一单: confirmed, disputed (an objection was filed), or
    confirmed by default when the window closed without an answer (applied by the daily job)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "已确认"
        DISPUTED = "disputed", "有异议"
        DEEMED = "deemed", "逾期未答复，视为确认"

    run = models.ForeignKey(
        "evaluation.EvaluationRun",
        models.PROTECT,
        related_name="confirmations",
        verbose_name="评价批次",
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", models.PROTECT, related_name="confirmations", verbose_name="企业"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认人",
    )
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "一企一单确认"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "enterprise"], name="one_answer_per_firm_and_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_status_display()}"


class Objection(ObjectionRecord):
    """An objection (异议) of one firm to one run, routed platform → data-owning department →
    city administrator, each step with a deadline in working days (docs/enterprise.md); its
    status follows the shared life cycle (docs/objections.md)."""

    class Kind(models.TextChoices):
        VALUE = "value", "评价数值错误"
        SPECIAL = "special", "特殊情况"

    Status = lifecycle.Status

    class Stage(models.TextChoices):
        PLATFORM = "platform", "平台初核"
        DEPARTMENT = "department", "数据主管部门核实"
        CITY = "city", "市级管理员处理"
        DONE = "done", "已办结"

    number = models.CharField("异议编号", max_length=20, unique=True)
    run = models.ForeignKey(
        "evaluation.EvaluationRun",
        models.PROTECT,
        related_name="objections",
        verbose_name="评价批次",
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", models.PROTECT, related_name="objections", verbose_name="企业"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    field = models.CharField("异议数据项", max_length=40, blank=True)
    parcel = models.CharField("地块编号", max_length=40, blank=True)
    current_value = models.DecimalField(
        "批次中的数值", max_digits=20, decimal_places=6, null=True, blank=True
    )
    claimed_value = models.DecimalField(
        "企业主张的数值", max_digits=20, decimal_places=6, null=True, blank=True
    )
    reason = models.TextField("理由")
    department = models.CharField("数据主管部门", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    stage = models.CharField("环节", max_length=10, choices=Stage.choices, default=Stage.PLATFORM)
    due_on = models.DateField("本环节办理期限", null=True, blank=True)
    corrected_value = models.DecimalField(
        "采纳的更正数值", max_digits=20, decimal_places=6, null=True, blank=True
    )
    applied_in = models.ForeignKey(
        "evaluation.EvaluationRun",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="applied_objections",
        verbose_name="采纳后重新评价的批次",
    )

    class Meta:
        verbose_name = verbose_name_plural = "异议"
        ordering = ["-filed_at", "-pk"]
        indexes = [models.Index(fields=["run", "enterprise"])]

    def __str__(self) -> str:
        return f"异议 {self.number}"

    @property
    def is_open(self) -> bool:
        return self.stage != self.Stage.DONE

    @property
    def department_text(self) -> str:
        from pingtai.firm.sheet import department_label

        return department_label(self.department)


class ObjectionStep(models.Model):
    """One step of an objection's handling, as shown to the firm and the officials."""

    objection = models.ForeignKey(
        Objection, models.CASCADE, related_name="steps", verbose_name="异议"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="办理人"
    )
    action = models.CharField("办理事项", max_length=40)
    status = models.CharField("办理后状态", max_length=10, choices=Objection.Status.choices)
    stage = models.CharField("办理后环节", max_length=10, choices=Objection.Stage.choices)
    due_on = models.DateField("下一环节期限", null=True, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "异议办理记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.objection} {self.action}"


class ObjectionEvidence(models.Model):
    """An evidence file, checked by content and stored under its SHA-256."""

    objection = models.ForeignKey(
        Objection, models.PROTECT, related_name="evidence", verbose_name="异议"
    )
    file = models.ForeignKey(
        "reporting.StoredFile", models.PROTECT, related_name="+", verbose_name="文件"
    )
    filename = models.CharField("文件名", max_length=120)
    content_type = models.CharField("文件类型", max_length=80)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("字节数")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "异议证明材料"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.objection} {self.filename}"


class Reminder(models.Model):
    """An in-application reminder of a deadline or an outcome, made by the daily job
    (``pingtai reminders``); ``key`` makes the job safe to run more than once a day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminders", verbose_name="提醒对象"
    )
    key = models.CharField("去重键", max_length=120)
    text = models.CharField("内容", max_length=500)
    url = models.CharField("链接", max_length=200, blank=True)
    due_on = models.DateField("期限", null=True, blank=True)
    created_at = models.DateTimeField("提醒时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "提醒"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_reminder_per_user_and_key")
        ]

    def __str__(self) -> str:
        return self.text


class HolidayYear(models.Model):
    """One year's State Council holiday schedule, loaded by the city administrator after
    deployment (``pingtai calendar load``); the years shipped with the code are in
    pingtai/data/holidays.toml (docs/enterprise.md, "Working days")."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    source = models.CharField("依据", max_length=200)
    # {"year", "source", "off": [{"name", "from", "to"}], "work": [...]}, dates as YYYY-MM-DD
    data = models.JSONField("放假与调休安排")
    filename = models.CharField("录入文件", max_length=120)
    sha256 = models.CharField("文件 SHA-256", max_length=64)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="录入人"
    )
    loaded_at = models.DateTimeField("录入时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "节假日安排"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年节假日安排"
