"""Reporting records. Nothing here is overwritten: every upload is a new immutable version,
and downstream readers see only a submission's approved version."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportingPeriod(models.Model):
    class Kind(models.TextChoices):
        QUARTER = "quarter", "季度"
        HALF = "half", "半年"
        YEAR = "year", "年度"

    class Status(models.TextChoices):
        OPEN = "open", "填报中"
        CLOSED = "closed", "已关闭"

    code = models.CharField("期别代码", max_length=8, unique=True)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    year = models.PositiveSmallIntegerField("年度")
    index = models.PositiveSmallIntegerField("序号", default=1)
    starts_on = models.DateField("起始日")
    ends_on = models.DateField("截止日（统计期末）")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="开启人"
    )
    opened_at = models.DateTimeField("开启时间", default=timezone.now)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "填报期"
        ordering = ["-ends_on", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == self.Kind.QUARTER:
            return f"{self.year}年第{'一二三四'[self.index - 1]}季度"
        if self.kind == self.Kind.HALF:
            return f"{self.year}年{'上下'[self.index - 1]}半年"
        return f"{self.year}年度"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Requirement(models.Model):
    """One form that one platform or one department must submit for a period, by a deadline."""

    period = models.ForeignKey(
        ReportingPeriod, models.PROTECT, related_name="requirements", verbose_name="填报期"
    )
    form_code = models.CharField("报表代码", max_length=32)
    platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="requirements",
        verbose_name="填报平台",
    )
    department = models.CharField("填报部门", max_length=20, blank=True)
    deadline = models.DateField("报送截止日期")

    class Meta:
        verbose_name = verbose_name_plural = "报送任务"
        ordering = ["period", "form_code", "platform__code", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "form_code", "platform", "department"],
                name="one_requirement_per_scope",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(platform__isnull=False, department="")
                    | models.Q(platform__isnull=True) & ~models.Q(department="")
                ),
                name="requirement_has_exactly_one_scope",
            ),
        ]

    def __str__(self) -> str:
        from pingtai.core.terms import form_name

        return f"{self.period.label} {form_name(self.form_code)} {self.scope_name}"

    @property
    def scope_code(self) -> str:
        return self.platform.code if self.platform is not None else self.department

    @property
    def scope_name(self) -> str:
        from pingtai.accounts.models import User

        if self.platform is not None:
            return self.platform.name
        return f"{User.Department(self.department).label}部门"

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        submitted = hasattr(self, "submission") and self.submission.status not in (
            Submission.Status.DRAFT,
            Submission.Status.RETURNED,
        )
        return not submitted and today > self.deadline


class StoredFile(models.Model):
    """Original uploaded bytes, kept in the database so a backup and a transaction cover them."""

    sha256 = models.CharField("SHA-256", max_length=64, primary_key=True)
    content = models.BinaryField("文件内容")
    size = models.PositiveIntegerField("字节数")
    created_at = models.DateTimeField("保存时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "原始文件"

    def __str__(self) -> str:
        return self.sha256


class Submission(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        RETURNED = "returned", "已退回"
        APPROVED = "approved", "审核通过"
        LOCKED = "locked", "已锁定"

    requirement = models.OneToOneField(
        Requirement, models.PROTECT, related_name="submission", verbose_name="报送任务"
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    latest_version = models.ForeignKey(
        "SubmissionVersion",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="最新版本",
    )
    approved_version = models.ForeignKey(
        "SubmissionVersion",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="生效版本（下游只读此版本）",
    )
    # Incremented on every state change; a change based on a stale page is refused.
    revision = models.PositiveIntegerField("修订号", default=0)
    return_reason = models.TextField("退回理由", blank=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "报送"
        ordering = ["requirement"]

    def __str__(self) -> str:
        return str(self.requirement)


class SubmissionVersion(models.Model):
    """One upload, immutable once written."""

    submission = models.ForeignKey(
        Submission, models.PROTECT, related_name="versions", verbose_name="报送"
    )
    number = models.PositiveIntegerField("版本号")
    file = models.ForeignKey(StoredFile, models.PROTECT, verbose_name="原始文件")
    filename = models.CharField("文件名", max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    row_count = models.PositiveIntegerField("数据行数")
    confirmations = models.JSONField("已确认的疑似单位错误", default=list, blank=True)
    is_correction = models.BooleanField("锁定后更正", default=False)
    reason = models.TextField("更正理由", blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    # The reviewer's word on values the review flagged as suspected unit slips (review.py).
    review_note = models.TextField("审核人对疑似单位错误的核实说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "报送版本"
        ordering = ["submission", "number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="version_numbers_unique")
        ]

    def __str__(self) -> str:
        return f"{self.submission} 第{self.number}版"


class Fact(models.Model):
    """One reported value: (entity key, indicator) in one version. Units are the catalogue's."""

    version = models.ForeignKey(
        SubmissionVersion, models.PROTECT, related_name="facts", verbose_name="版本"
    )
    row_number = models.PositiveIntegerField("行号")
    key = models.CharField("主体标识", max_length=40)  # platform code, USCC or parcel id
    indicator = models.CharField("指标代码", max_length=40)
    value = models.DecimalField("数值", max_digits=24, decimal_places=6, null=True, blank=True)
    text = models.CharField("文本值", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "报送数据"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key", "indicator"], name="one_fact_per_cell"
            )
        ]
        indexes = [models.Index(fields=["indicator", "key"])]

    def __str__(self) -> str:
        return f"{self.key} {self.indicator}={self.value if self.value is not None else self.text}"


class UploadAttempt(models.Model):
    """Every upload, accepted or not: refused files are kept so that the uploader can download
    a copy with the bad cells marked, and pending unit-slip confirmations can be answered."""

    class Outcome(models.TextChoices):
        REFUSED = "refused", "被拒绝"
        NEEDS_CONFIRMATION = "confirm", "待确认"
        ACCEPTED = "accepted", "已接收"

    requirement = models.ForeignKey(
        Requirement, models.PROTECT, related_name="attempts", verbose_name="报送任务"
    )
    file = models.ForeignKey(StoredFile, models.PROTECT, null=True, blank=True, verbose_name="文件")
    filename = models.CharField("文件名", max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="上传人"
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    message = models.TextField("说明", blank=True)
    errors = models.JSONField("错误", default=list, blank=True)
    confirmations = models.JSONField("待确认事项", default=list, blank=True)
    reason = models.TextField("更正理由", blank=True)
    version = models.OneToOneField(
        SubmissionVersion,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="attempt",
        verbose_name="生成的版本",
    )

    class Meta:
        verbose_name = verbose_name_plural = "上传记录"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.requirement} {self.filename} {self.get_outcome_display()}"
