"""The store of issued documents and the 文号 register (docs/notices.md, "Issued documents").

Every document the system issues — notices, entitlement lists (one per receiving agency);
公示 lists and result letters later — is one ``IssuedDocument``: its files (in ``reporting.StoredFile``, by SHA-256),
its 文号 where it has one, who issued it and when, the run it comes from, and the 已更正 marker
when that run is superseded. A 文号 is unique per issuing office and year (database
constraint); the register's counter only moves forward, so a number is never given twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NumberSequence(models.Model):
    """The last serial the register gave for one office and year."""

    office = models.CharField("发文代字", max_length=20)
    year = models.PositiveSmallIntegerField("年度")
    last = models.PositiveIntegerField("已用到的顺序号", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "文号登记簿"
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="one_sequence_per_office_year")
        ]

    def __str__(self) -> str:
        return f"{self.office}〔{self.year}〕已用至{self.last}号"


class IssuedDocument(models.Model):
    class Kind(models.TextChoices):
        NOTICE = "notice", "通报"
        PUBLICITY = "publicity", "公示名单"
        ENTITLEMENT = "entitlement", "政策兑现名单"
        LETTER = "letter", "结果告知书"

    class NumberSource(models.TextChoices):
        REGISTER = "register", "登记簿编号"
        EXTERNAL = "external", "系统外编号（已登记）"
        NONE = "none", "无文号"

    kind = models.CharField("文件类别", max_length=16, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    issuer = models.CharField("发文机关", max_length=100)
    office = models.CharField("发文代字", max_length=20, blank=True)
    year = models.PositiveSmallIntegerField("文号年度", null=True, blank=True)
    serial = models.PositiveIntegerField("文号顺序号", null=True, blank=True)
    number = models.CharField("文号", max_length=40, blank=True)
    number_source = models.CharField(
        "文号来源", max_length=10, choices=NumberSource.choices, default=NumberSource.NONE
    )
    # The run the document comes from: 亩均 runs and league runs are different tables.
    run_type = models.CharField("依据批次类型", max_length=60)
    run_id = models.PositiveBigIntegerField("依据批次编号")
    # What the document is addressed to or about, where a run issues several of one kind:
    # the receiving agency of an entitlement list (policies/agencies.toml). Empty otherwise.
    subject = models.CharField("发送对象", max_length=40, blank=True, default="")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="印发人"
    )
    issued_at = models.DateTimeField("印发时间", default=timezone.now)
    issued_on = models.DateField("成文日期")
    provenance = models.JSONField("来源信息（方法、哈希、审计链）", default=dict)
    # A document issued from a run that is later superseded stays as issued and is marked
    # 已更正, with the run that replaced it (docs/notices.md).
    corrected_at = models.DateTimeField("更正标记时间", null=True, blank=True)
    corrected_by_type = models.CharField("更正后批次类型", max_length=60, blank=True)
    corrected_by_id = models.PositiveBigIntegerField("更正后批次编号", null=True, blank=True)
    correction_note = models.TextField("更正说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "已印发文件"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "serial"],
                condition=Q(serial__isnull=False),
                name="one_document_per_number",
            ),
            models.CheckConstraint(
                condition=(Q(serial__isnull=True) & Q(number=""))
                | (Q(serial__isnull=False) & ~Q(number="") & Q(year__isnull=False)),
                name="number_has_office_year_serial",
            ),
        ]
        indexes = [models.Index(fields=["run_type", "run_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.number or self.get_kind_display()} {self.title}"

    @property
    def is_corrected(self) -> bool:
        return self.corrected_at is not None


class IssuedFile(models.Model):
    """One format of an issued document (the Word, PDF and Excel files of one notice carry the
    same 文号)."""

    document = models.ForeignKey(
        IssuedDocument, models.PROTECT, related_name="files", verbose_name="文件"
    )
    format = models.CharField("格式", max_length=8)
    file = models.ForeignKey(
        "reporting.StoredFile", models.PROTECT, related_name="+", verbose_name="文件内容"
    )
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("字节数")

    class Meta:
        verbose_name = verbose_name_plural = "已印发文件的格式"
        constraints = [
            models.UniqueConstraint(fields=["document", "format"], name="one_file_per_format")
        ]

    def __str__(self) -> str:
        return f"{self.document}（{self.format}）"
