"""Evaluation runs are frozen once published: their input snapshot and result are stored as
bytes with their hashes, so re-running the same method on the snapshot must give the same hash."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from pingtai.core.refusal import Refused
from pingtai.runs.models import EngineRun


class EnterpriseFlag(models.Model):
    """Lists kept by the office that the method reads: vetoes, exemptions, bonus items."""

    class Flag(models.TextChoices):
        VETO_MAJOR_INCIDENT = "veto_major_incident", "重大安全生产或环境污染事件（一票否决）"
        EXEMPT = "exempt", "豁免评价（T 类：公用事业、新设不满两年、在建等）"
        HIGHTECH = "hightech", "高新技术企业"
        SPECIALISED = "specialised", "专精特新企业"
        LISTED = "listed", "上市企业"

    enterprise = models.ForeignKey(
        "registry.Enterprise", models.PROTECT, related_name="flags", verbose_name="企业"
    )
    year = models.PositiveSmallIntegerField("年度")
    flag = models.CharField("事项", max_length=24, choices=Flag.choices)
    note = models.CharField("说明（文号、事由）", max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人"
    )
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "企业评价事项"
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "flag"], name="one_flag_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year} {self.get_flag_display()}"


def validate_regrade_class(value: str) -> None:
    """A class that the enterprise methods grade into (A–D in the shipped methods)."""
    from pingtai.evaluation.regrades import regrade_classes

    if value not in regrade_classes():
        raise ValidationError(
            f"类别“{value}”无效，只能调整为：{'、'.join(regrade_classes())}",
            code="invalid_class",
        )


class RegradeQuerySet(models.QuerySet):
    """Bulk writes cannot reach approved regrades either."""

    def update(self, **kwargs):
        _refuse_if_approved(self.filter(approved_by__isnull=False).exists())
        return super().update(**kwargs)

    def delete(self):
        _refuse_if_approved(self.filter(approved_by__isnull=False).exists())
        return super().delete()


def _refuse_if_approved(approved: bool) -> None:
    if approved:
        raise Refused(
            "已批准的调整不能修改或删除；如需变更，请提出新的调整申请，由另一名市级管理员批准",
            code="regrade_approved",
        )


class Regrade(models.Model):
    """A manual change of class, applied by every later run of that year once approved by a
    second city administrator (four eyes). Approved regrades never change: a different class
    is a new request, and the latest approved one of an enterprise and year is in force
    (pingtai.evaluation.regrades)."""

    enterprise = models.ForeignKey(
        "registry.Enterprise", models.PROTECT, related_name="regrades", verbose_name="企业"
    )
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    to_class = models.CharField("调整为", max_length=2, validators=[validate_regrade_class])
    reason = models.TextField("理由")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="申请人"
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="批准人",
    )
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)

    objects = RegradeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "人工调整类别"
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="regrade_approved_by_a_second_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year} → {self.to_class}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            _refuse_if_approved(
                type(self).objects.filter(pk=self.pk, approved_by__isnull=False).exists()
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_if_approved(
            self.is_approved
            or type(self).objects.filter(pk=self.pk, approved_by__isnull=False).exists()
        )
        return super().delete(*args, **kwargs)

    @property
    def is_approved(self) -> bool:
        return self.approved_by_id is not None


class EvaluationRun(EngineRun):
    """One 亩均 evaluation of a year; the city has one current (published) result per year
    whatever the method — other runs are previews for comparison (docs/runs.md)."""

    CURRENT_KEY = ("year",)
    LATEST_ORDER = ("-year",)
    TITLE = "亩均效益评价"

    year = models.PositiveSmallIntegerField("数据年度")
    class_counts = models.JSONField("各类企业数", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "评价批次"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(status="published"),
                name="mujun_one_current_per_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_status_display()}）"


class EnterpriseResult(models.Model):
    """One enterprise in one run, denormalised for search, lists and exports."""

    run = models.ForeignKey(
        EvaluationRun, models.CASCADE, related_name="results", verbose_name="批次"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", models.PROTECT, related_name="results", verbose_name="企业"
    )
    uscc = models.CharField("统一社会信用代码", max_length=18)
    name = models.CharField("企业名称", max_length=120)
    county_code = models.CharField("县（市、区）", max_length=6)
    platform_code = models.CharField("平台", max_length=8)
    segment = models.CharField("类别组", max_length=20)
    score = models.FloatField("综合得分", null=True, blank=True)
    klass = models.CharField("类别", max_length=2)
    rank = models.PositiveIntegerField("组内排名", null=True, blank=True)
    group = models.CharField("排名分组", max_length=40, blank=True)
    group_size = models.PositiveIntegerField("组内企业数", null=True, blank=True)
    note = models.CharField("说明（否决、豁免、调整理由）", max_length=300, blank=True)
    values = models.JSONField("指标值与单项得分", default=dict)
    # Written once with the run, from the same engine result as the row, so that a portrait
    # is a query and never re-runs the evaluation (docs/engine.md, "Explanations").
    explanation = models.JSONField("得分构成与升档路径", default=dict, blank=True)
    rank_p05 = models.FloatField("排名5%分位", null=True, blank=True)
    rank_median = models.FloatField("排名中位数", null=True, blank=True)
    rank_p95 = models.FloatField("排名95%分位", null=True, blank=True)
    robust = models.BooleanField("类别稳健", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业评价结果"
        ordering = ["run", "county_code", "segment", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise"], name="one_result_per_run")
        ]
        indexes = [models.Index(fields=["run", "klass"]), models.Index(fields=["uscc"])]

    def __str__(self) -> str:
        return f"{self.name} {self.klass}"
