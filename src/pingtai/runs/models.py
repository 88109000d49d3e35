"""The abstract frozen run: what every published result of the system stores about itself."""

from __future__ import annotations

from typing import ClassVar, cast

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone


class RunStatus(models.TextChoices):
    """A run's life: preview → (公示) → published → superseded (docs/runs.md)."""

    PREVIEW = "preview", "预览"
    PUBLICIZED = "publicized", "公示中"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已更正（被取代）"


def run_name(what: str, number: int) -> str:
    """What officials call a run: what it is in words and its number, e.g.
    “2024年度亩均效益评价第12号批次” (docs/glossary.md). The number is the run's record number,
    unique among the runs of its kind, so ``what`` always names the kind."""
    return f"{what}第{number}号批次"


class FrozenRun(models.Model):
    """Fields and rules shared by every kind of run.

    ``CURRENT_KEY`` names the fields that identify one result (e.g. the year of a 亩均
    evaluation); at most one run per key is ``published`` — the current one — and a database
    constraint on each concrete model enforces it.
    """

    Status = RunStatus
    CURRENT_KEY: ClassVar[tuple[str, ...]] = ()
    #: newest key first, for "the current run of the latest year"
    LATEST_ORDER: ClassVar[tuple[str, ...]] = ()
    #: what a run of this kind is, in words, e.g. "亩均效益评价" (``run_name`` of a number that
    #: names no run)
    TITLE: ClassVar[str] = ""

    engine_version = models.CharField("计算程序版本", max_length=20, blank=True)
    schema_version = models.PositiveSmallIntegerField("输入快照格式版本", default=1)
    input_snapshot = models.ForeignKey(
        "reporting.StoredFile", models.PROTECT, related_name="+", verbose_name="输入快照"
    )
    input_hash = models.CharField("输入哈希", max_length=64)
    result = models.ForeignKey(
        "reporting.StoredFile", models.PROTECT, related_name="+", verbose_name="结果文件"
    )
    result_hash = models.CharField("结果哈希", max_length=64)
    provenance = models.JSONField("数据来源", default=dict)
    warnings = models.JSONField("提示", default=list)
    status = models.CharField(
        "状态", max_length=12, choices=RunStatus.choices, default=RunStatus.PREVIEW
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="运行人"
    )
    created_at = models.DateTimeField("运行时间", default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    rows_digest = models.CharField("发布时结果行摘要", max_length=64, blank=True)
    override_reason = models.TextField("报送未齐仍发布的理由", blank=True)
    supersedes = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="取代的批次",
    )
    supersede_reason = models.TextField("更正理由", blank=True)
    supersede_diff = models.JSONField("与被取代批次的差异", default=list, blank=True)
    superseded_at = models.DateTimeField("被取代时间", null=True, blank=True)
    supersedes_id: int | None

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        """The run's name on screen and in messages (``run_name``)."""
        from pingtai.runs.kernel import kind_of

        return run_name(kind_of(self).key_label(self), self.pk)

    @classmethod
    def name_of(cls, number: int) -> str:
        """The name of run ``number`` of this kind where no run is at hand to give its key."""
        return run_name(cls.TITLE, number)

    @property
    def is_published(self) -> bool:
        return self.status == RunStatus.PUBLISHED

    @property
    def is_superseded(self) -> bool:
        return self.status == RunStatus.SUPERSEDED

    @property
    def can_publish(self) -> bool:
        return self.status in (RunStatus.PREVIEW, RunStatus.PUBLICIZED)

    def current_key(self) -> dict[str, object]:
        """The key's field values, foreign keys as ids."""
        names = [cast(models.Field, self._meta.get_field(n)).attname for n in self.CURRENT_KEY]
        return {name: getattr(self, name) for name in names}


class EngineRun(FrozenRun):
    """A frozen run of the evaluation engine: method, draws and seed are part of its inputs."""

    method_id = models.CharField("评价方法", max_length=64)
    method_version = models.CharField("方法版本", max_length=20)
    method_hash = models.CharField("方法哈希", max_length=64)
    robustness_draws = models.PositiveIntegerField("稳健性抽样次数", default=0)
    seed = models.PositiveIntegerField("随机种子", default=0)

    class Meta:
        abstract = True


class DerivedFlag(models.Model):
    """Something derived from a run that has since been superseded: an allocation, a pay pool,
    a tier proposal, an entitlement list. Nothing downstream is recomputed silently; the city
    administrator sees the flag, the affected recipients, and records what was done."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        RESOLVED = "resolved", "已处理"

    source_type = models.CharField("被更正的批次类型", max_length=60)
    source_id = models.PositiveIntegerField("被更正的批次")
    superseding_id = models.PositiveIntegerField("更正后的批次")
    object_type = models.CharField("依据它的对象类型", max_length=60)
    object_id = models.CharField("依据它的对象", max_length=64)
    object_repr = models.CharField("对象名称", max_length=300)
    affected = models.JSONField("受影响的对象", default=list)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField("标记时间", default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="处理人",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.TextField("处理说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "依据已更正提示"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.object_repr}：依据已更正（{self.get_status_display()}）"

    def _run_name(self, pk: int) -> str:
        return cast(FrozenRun, apps.get_model(self.source_type)._default_manager.get(pk=pk)).name

    @property
    def source_name(self) -> str:
        """The superseded run's name (``run_name``)."""
        return self._run_name(self.source_id)

    @property
    def superseding_name(self) -> str:
        """The name of the run that superseded it."""
        return self._run_name(self.superseding_id)
