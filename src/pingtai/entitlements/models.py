"""One entitlement list: what one receiving agency is to apply to which firms under one
published 亩均 result, frozen when it is generated, and how far its delivery has got."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EntitlementList(models.Model):
    """Delivery runs 生成 → 已发送 → 已确认 → 已执行, each step once, with who and when.

    ``lines`` holds the list as issued (one entry per firm and instrument, amounts as text in
    万元), so the API, the pages and the issued spreadsheet read the same lines even if the
    history that decides escalation (earlier years' results) is corrected later."""

    class Status(models.TextChoices):
        GENERATED = "generated", "已生成"
        SENT = "sent", "已发送"
        CONFIRMED = "confirmed", "已确认接收"
        EXECUTED = "executed", "已执行"

    run = models.ForeignKey(
        "evaluation.EvaluationRun",
        models.PROTECT,
        related_name="entitlement_lists",
        verbose_name="依据的评价批次",
    )
    agency = models.CharField("执行单位代码", max_length=40)
    agency_name = models.CharField("执行单位", max_length=60)
    document = models.OneToOneField(
        "reports.IssuedDocument", models.PROTECT, related_name="+", verbose_name="印发的名单文件"
    )
    policy_table = models.CharField("政策表", max_length=200)
    firms = models.PositiveIntegerField("企业数")
    line_count = models.PositiveIntegerField("条目数")
    obligations_wan = models.DecimalField("企业应缴合计（万元）", max_digits=18, decimal_places=4)
    entitlements_wan = models.DecimalField("企业应享合计（万元）", max_digits=18, decimal_places=4)
    uncomputed = models.PositiveIntegerField("金额待执行单位核定的条目数")
    lines = models.JSONField("名单条目", default=list)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.GENERATED
    )
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="生成人"
    )
    generated_at = models.DateTimeField("生成时间", default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发送人",
    )
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    sent_note = models.CharField("发送说明", max_length=300, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认接收人",
    )
    confirmed_at = models.DateTimeField("确认接收时间", null=True, blank=True)
    confirmed_note = models.CharField("接收说明", max_length=300, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="执行登记人",
    )
    executed_at = models.DateTimeField("执行时间", null=True, blank=True)
    executed_note = models.CharField("执行说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "免申即享名单"
        ordering = ["-run__year", "run_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "agency"], name="one_list_per_run_and_agency")
        ]

    def __str__(self) -> str:
        return f"{self.run.year}年度免申即享名单（{self.agency_name}）"
