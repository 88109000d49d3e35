"""Classification runs (并提撤转) and benefit-sharing agreements with their yearly settlements.

Money of settlements is kept in 元 to the cent (Decimal); figures read from the registry stay
in 万元 as stored there.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pingtai.runs.models import run_name


class ClassificationRun(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "待审定"
        APPROVED = "approved", "已审定"

    year = models.PositiveSmallIntegerField("数据年度")
    as_of = models.DateField("平台体系时点")
    rules_id = models.CharField("规则", max_length=60)
    rules_version = models.CharField("规则版本", max_length=20)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="生成人"
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审定人",
    )
    approved_at = models.DateTimeField("审定时间", null=True, blank=True)
    effective_date = models.DateField("生效日期", null=True, blank=True)
    document = models.CharField("依据文件", max_length=120, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "并提撤转分类批次"
        ordering = ["-id"]

    TITLE = "并提撤转分类"

    def __str__(self) -> str:
        return f"{self.name}（{self.get_status_display()}）"

    @property
    def name(self) -> str:
        """The run's name on screen and in messages (``runs.models.run_name``)."""
        return run_name(f"{self.year}年度{self.TITLE}", self.pk)

    @classmethod
    def name_of(cls, number: int) -> str:
        """The name of run ``number`` where no run is at hand to give its year."""
        return run_name(cls.TITLE, number)


class ClassificationItem(models.Model):
    class Subject(models.TextChoices):
        ZONE = "zone", "乡镇工业功能区"
        PLATFORM = "platform", "主体平台"

    class Action(models.TextChoices):
        MERGE = "merge", "并"
        UPGRADE = "upgrade", "提"
        REVOKE = "revoke", "撤"
        CONVERT = "convert", "转"
        KEEP = "keep", "保留"

    run = models.ForeignKey(
        ClassificationRun, models.CASCADE, related_name="items", verbose_name="批次"
    )
    subject = models.CharField("对象类型", max_length=10, choices=Subject.choices)
    zone = models.ForeignKey(
        "registry.FormerZone",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="园区",
    )
    platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="平台",
    )
    code = models.CharField("代码", max_length=16)
    name = models.CharField("名称", max_length=80)
    county = models.ForeignKey(
        "registry.County", models.PROTECT, related_name="+", verbose_name="所在县"
    )
    current_platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="现属平台",
    )
    area_mu = models.DecimalField(
        "面积（亩）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    enterprises = models.PositiveIntegerField("入园企业数")
    land_mu = models.DecimalField("企业用地（亩）", max_digits=14, decimal_places=2)
    output_wan = models.DecimalField("工业总产值（万元）", max_digits=16, decimal_places=2)
    tax_wan = models.DecimalField("实缴税金（万元）", max_digits=16, decimal_places=2)
    fit = models.DecimalField(
        "主导产业契合度", max_digits=6, decimal_places=4, null=True, blank=True
    )
    action = models.CharField("建议方式", max_length=10, choices=Action.choices)
    target_platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="去向平台",
    )
    reasons = models.JSONField("理由", default=list)
    event_ids = models.JSONField("生成的整合事件", default=list, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "并提撤转分类结果"
        ordering = ["run", "subject", "code"]

    def __str__(self) -> str:
        return f"{self.name}：{self.get_action_display()}"

    @property
    def tax_per_mu(self):
        return self.tax_wan / self.land_mu if self.land_mu else None

    @property
    def conflicts(self) -> list[str]:
        """Where this proposal departs from the plan (丽政办发〔2021〕46号 and its annex of 11
        platforms) or leaves a decision open. Derived from the item as it stands, so an
        adjustment that removes the departure removes the flag (docs/planning.md)."""
        out = []
        A = self.Action
        if self.subject == self.Subject.PLATFORM and self.action in (A.MERGE, A.REVOKE, A.CONVERT):
            out.append(
                f"{self.name}是《总体方案》附件确定的11个平台之一，建议“{self.get_action_display()}”"
                "与方案不一致，须报领导小组审定"
            )
        registered = self.current_platform
        # 撤 or 转 of a township zone is the plan's own tool (§四(二)); moving it to another
        # platform than the one it is registered to is not.
        if (
            self.subject == self.Subject.ZONE
            and registered is not None
            and self.action in (A.MERGE, A.UPGRADE)
            and self.target_platform is not None
            and self.target_platform.pk != registered.pk
        ):
            out.append(
                f"方案确定该园区归属{registered.short_name}，建议改属"
                f"{self.target_platform.short_name}，与方案不一致，须报领导小组审定"
            )
        if self.action in (A.MERGE, A.UPGRADE) and self.target_platform_id is None:
            out.append("去向并列未定，须先调整指定去向平台")
        return out


class Agreement(models.Model):
    class Kind(models.TextChoices):
        CO_DEVELOPMENT = "co_development", "跨区域合作开发"
        ENCLAVE = "enclave", "飞地经济"
        ZONE_TOWNSHIP = "zone_township", "开发区与乡镇（街道）共建"

    code = models.CharField("协议编号", max_length=30, unique=True)
    title = models.CharField("协议名称", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("终止年度")
    document = models.CharField("依据文件", max_length=120, blank=True)
    investment = models.TextField("投入约定", blank=True)
    zones = models.ManyToManyField(
        "registry.FormerZone",
        blank=True,
        related_name="+",
        verbose_name="覆盖园区（其全部入园企业）",
    )
    enterprises = models.ManyToManyField(
        "registry.Enterprise", blank=True, related_name="+", verbose_name="覆盖企业"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "利益共享协议"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class AgreementParty(models.Model):
    class Kind(models.TextChoices):
        PLATFORM = "platform", "主体平台"
        SUB_ZONE = "sub_zone", "功能片区"
        COUNTY = "county", "县（市、区）"
        TOWNSHIP = "township", "乡镇工业功能区（所在乡镇）"

    agreement = models.ForeignKey(
        Agreement, models.CASCADE, related_name="parties", verbose_name="协议"
    )
    order = models.PositiveSmallIntegerField("顺序")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="平台",
    )
    sub_zone = models.ForeignKey(
        "registry.SubZone",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="功能片区",
    )
    county = models.ForeignKey(
        "registry.County",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="县（市、区）",
    )
    zone = models.ForeignKey(
        "registry.FormerZone",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="乡镇工业功能区",
    )
    tax_share = models.DecimalField("税收分成（%）", max_digits=5, decimal_places=2)
    stats_share = models.DecimalField("统计归属（%）", max_digits=5, decimal_places=2)
    cost_share = models.DecimalField("成本分担（%）", max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "协议参与方"
        ordering = ["agreement", "order"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "order"], name="party_order_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ref(self):
        return self.platform or self.sub_zone or self.county or self.zone

    @property
    def name(self) -> str:
        return str(self.ref)

    @property
    def ref_code(self) -> str:
        ref = self.ref
        return ref.code if hasattr(ref, "code") else str(ref.pk)


class Settlement(models.Model):
    agreement = models.ForeignKey(
        Agreement, models.PROTECT, related_name="settlements", verbose_name="协议"
    )
    year = models.PositiveSmallIntegerField("结算年度")
    enterprise_count = models.PositiveIntegerField("覆盖企业数")
    tax_yuan = models.DecimalField("覆盖企业实缴税金（元）", max_digits=18, decimal_places=2)
    output_yuan = models.DecimalField("覆盖企业工业总产值（元）", max_digits=18, decimal_places=2)
    cost_yuan = models.DecimalField("开发投入（元）", max_digits=18, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="结算人"
    )
    created_at = models.DateTimeField("结算时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度结算"
        ordering = ["agreement", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "year"], name="one_settlement_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.agreement.code} {self.year}年度结算"


class SettlementLine(models.Model):
    settlement = models.ForeignKey(
        Settlement, models.CASCADE, related_name="lines", verbose_name="结算"
    )
    party = models.ForeignKey(
        AgreementParty, models.PROTECT, related_name="+", verbose_name="参与方"
    )
    tax_share = models.DecimalField("税收分成（%）", max_digits=5, decimal_places=2)
    tax_yuan = models.DecimalField("分得税收（元）", max_digits=18, decimal_places=2)
    stats_share = models.DecimalField("统计归属（%）", max_digits=5, decimal_places=2)
    output_yuan = models.DecimalField("归属产值（元）", max_digits=18, decimal_places=2)
    cost_share = models.DecimalField("成本分担（%）", max_digits=5, decimal_places=2)
    cost_yuan = models.DecimalField("分担投入（元）", max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "结算明细"
        ordering = ["settlement", "party__order"]

    def __str__(self) -> str:
        return f"{self.settlement} · {self.party}"
