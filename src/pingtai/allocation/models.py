"""Quota pools and their allocation runs; project proposals, admission results, 标准地
commitments and post-evaluations. Amounts are Decimal in the pool's unit (亩, 吨标煤, 吨, 万元)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from pingtai.allocation.rules import POOLS
from pingtai.core.terms import rule_name
from pingtai.runs.models import FrozenRun


class PoolKind(models.TextChoices):
    LAND = "land", "新增建设用地指标（亩）"
    ENERGY = "energy", "用能指标（吨标煤）"
    EMISSION = "emission", "排污权指标（吨）"
    FUNDS = "funds", "财政扶持资金（万元）"


class QuotaPool(models.Model):
    kind = models.CharField("指标类型", max_length=12, choices=PoolKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    total = models.DecimalField("年度总量", max_digits=16, decimal_places=2)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度要素指标池"
        ordering = ["-year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_pool_per_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}年度{POOLS[self.kind][0]} {self.total}{self.unit_name}"

    @property
    def unit_name(self) -> str:
        return POOLS[self.kind][1]

    @property
    def unit(self) -> Decimal:
        return POOLS[self.kind][2]


class PoolDemand(models.Model):
    """What a platform asks for from a pool (its own platform only)."""

    pool = models.ForeignKey(
        QuotaPool, models.CASCADE, related_name="demands", verbose_name="指标池"
    )
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="+", verbose_name="平台"
    )
    demand = models.DecimalField("申报需求", max_digits=16, decimal_places=2)
    major_demand = models.DecimalField(
        "其中重大产业项目需求", default=0, max_digits=16, decimal_places=2
    )
    note = models.CharField("说明", max_length=200, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="申报人"
    )
    submitted_at = models.DateTimeField("申报时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "平台指标需求"
        ordering = ["pool", "platform__code"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "platform"], name="one_demand_per_platform")
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.demand}"


class AllocationRun(FrozenRun):
    """One allocation of a pool, frozen like every run: its inputs (amount, recipients with
    their scores, bounds and demands, the rule file) and its lines are stored as files, so the
    allocation can be recomputed and checked at any time (docs/runs.md)."""

    CURRENT_KEY = ("pool", "level", "platform")
    LATEST_ORDER = ("-pool__year",)
    TITLE = "指标配置"

    class Level(models.TextChoices):
        PLATFORM = "platform", "平台间"
        PROJECT = "project", "平台内项目间"

    pool = models.ForeignKey(QuotaPool, models.PROTECT, related_name="runs", verbose_name="指标池")
    level = models.CharField("配置层级", max_length=10, choices=Level.choices)
    platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="平台（项目间配置）",
    )
    amount = models.DecimalField("参与分配量", max_digits=16, decimal_places=2)
    rules_id = models.CharField("规则", max_length=64)
    rules_version = models.CharField("规则版本", max_length=20)
    rules_hash = models.CharField("规则文件哈希", max_length=64)
    rules_text = models.TextField("规则文件全文")
    score_basis = models.CharField("得分依据", max_length=300)
    reserve = models.DecimalField("重大产业项目预留", max_digits=16, decimal_places=2)
    reserve_used = models.DecimalField("预留实际使用", max_digits=16, decimal_places=2)
    allocated = models.DecimalField("已分配", max_digits=16, decimal_places=2)
    surplus = models.DecimalField("结余", max_digits=16, decimal_places=2)
    solver = models.CharField("求解方式", max_length=80)
    notes = models.JSONField("说明", default=list)
    # Runs made before allocations were frozen have no snapshot and no result file; reproduce
    # reports them as unverifiable rather than pretending to check them.
    input_hash = models.CharField("输入哈希", max_length=64, blank=True, default="")
    result_hash = models.CharField("结果哈希", max_length=64, blank=True, default="")
    # Nullable here only; the kernel's reproduce() reports a run without them (runs/kernel.py).
    input_snapshot = models.ForeignKey(  # type: ignore[assignment]
        "reporting.StoredFile",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="输入快照",
    )
    result = models.ForeignKey(  # type: ignore[assignment]  # nullable, as input_snapshot
        "reporting.StoredFile",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="结果文件",
    )

    class Meta:
        verbose_name = verbose_name_plural = "要素配置方案"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "level"],
                condition=models.Q(status="published", platform__isnull=True),
                name="allocation_one_current_platform_level",
            ),
            models.UniqueConstraint(
                fields=["pool", "level", "platform"],
                condition=models.Q(status="published", platform__isnull=False),
                name="allocation_one_current_project_level",
            ),
        ]

    def __str__(self) -> str:
        scope = f"·{self.platform.short_name}" if self.platform is not None else ""
        return (
            f"{self.pool.year}年度{POOLS[self.pool.kind][0]}{scope}（{self.get_level_display()}，"
            f"{rule_name(self.rules_id)}第 {self.rules_version} 版，{self.get_status_display()}）"
        )


class AllocationLine(models.Model):
    """One recipient's amount and the rule-by-rule explanation of it."""

    run = models.ForeignKey(
        AllocationRun, models.CASCADE, related_name="lines", verbose_name="方案"
    )
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="+", verbose_name="平台"
    )
    proposal = models.ForeignKey(
        "allocation.ProjectProposal",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="allocation_lines",
        verbose_name="项目",
    )
    code = models.CharField("代码", max_length=32)
    name = models.CharField("名称", max_length=120)
    score = models.DecimalField("得分", max_digits=14, decimal_places=4)
    multiplier = models.DecimalField("系数", max_digits=8, decimal_places=4)
    floor = models.DecimalField("保底", max_digits=16, decimal_places=2)
    cap = models.DecimalField(
        "上限（含需求）", null=True, blank=True, max_digits=16, decimal_places=2
    )
    demand = models.DecimalField("申报需求", null=True, blank=True, max_digits=16, decimal_places=2)
    ideal = models.DecimalField("规则理想份额", max_digits=18, decimal_places=4)
    amount = models.DecimalField("配置量", max_digits=16, decimal_places=2)
    binding = models.CharField("生效约束", max_length=40, blank=True)
    explanation = models.JSONField("逐项说明", default=list)

    class Meta:
        verbose_name = verbose_name_plural = "要素配置明细"
        ordering = ["run", "code"]

    def __str__(self) -> str:
        return f"{self.name} {self.amount}"

    @property
    def steps(self) -> list[tuple[str, str]]:
        """The explanation as (label, amount) pairs for the run page."""
        return [(step["label"], step["amount"]) for step in self.explanation]


class ProjectProposal(models.Model):
    class LandSource(models.TextChoices):
        NEW = "new", "新增建设用地"
        STOCK_INDUSTRIAL = "stock_industrial", "存量工业用地盘活"
        NONE = "none", "不新增用地"

    class LandUse(models.TextChoices):
        INDUSTRIAL = "industrial", "工业"
        OTHER = "other", "非工业"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交"
        PASSED = "passed", "准入通过"
        FAILED = "failed", "准入未通过"

    code = models.CharField("项目编号", max_length=32, unique=True)
    name = models.CharField("项目名称", max_length=120)
    applicant = models.CharField("投资主体", max_length=120)
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="proposals", verbose_name="所在平台"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name="实施企业（达产复核用）",
    )
    year = models.PositiveSmallIntegerField("申报年度")
    proposal_date = models.DateField("申报日期")
    location_zone = models.ForeignKey(
        "registry.FormerZone",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="地块所在原园区",
        help_text="留空表示地块位于本平台现有范围内",
    )
    land_source = models.CharField("用地来源", max_length=20, choices=LandSource.choices)
    land_use = models.CharField("用地性质", max_length=12, choices=LandUse.choices)
    land_mu = models.DecimalField("用地面积（亩）", max_digits=16, decimal_places=2)
    floor_area_ratio = models.DecimalField("容积率", max_digits=6, decimal_places=2)
    investment_wan = models.DecimalField("固定资产投资（万元）", max_digits=16, decimal_places=2)
    expected_output_wan = models.DecimalField("达产年产值（万元）", max_digits=16, decimal_places=2)
    expected_value_added_wan = models.DecimalField(
        "达产年增加值（万元）", max_digits=16, decimal_places=2
    )
    expected_tax_wan = models.DecimalField("达产年税收（万元）", max_digits=16, decimal_places=2)
    energy_tce = models.DecimalField("年综合能耗（吨标煤）", max_digits=16, decimal_places=2)
    emission_t = models.DecimalField("年主要污染物排放（吨）", max_digits=16, decimal_places=2)
    funds_wan = models.DecimalField(
        "申请扶持资金（万元）", default=0, max_digits=16, decimal_places=2
    )
    industry_code = models.CharField("行业代码（GB/T 4754-2017）", max_length=5)
    major = models.BooleanField("重大产业项目", default=False)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    check_result = models.JSONField("准入审查结果", default=list, blank=True)
    thresholds_id = models.CharField("控制指标文件", max_length=64, blank=True)
    thresholds_version = models.CharField("控制指标版本", max_length=20, blank=True)
    checked_at = models.DateTimeField("审查时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="申报人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目准入申报"
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def request_for(self, pool_kind: str) -> Decimal:
        """What the project asks from a pool of this kind."""
        return {
            "land": self.land_mu if self.land_source == self.LandSource.NEW else Decimal(0),
            "energy": self.energy_tce,
            "emission": self.emission_t,
            "funds": self.funds_wan,
        }[pool_kind]


class StandardLandCommitment(models.Model):
    """标准地 agreement: the control indicators the investor commits to at full production."""

    proposal = models.OneToOneField(
        ProjectProposal, models.PROTECT, related_name="commitment", verbose_name="项目"
    )
    agreement_no = models.CharField("协议编号", max_length=60, unique=True)
    signed_on = models.DateField("签订日期")
    due_on = models.DateField("约定达产复核日期")
    investment_intensity = models.DecimalField(
        "固定资产投资强度（万元/亩）", max_digits=12, decimal_places=2
    )
    floor_area_ratio = models.DecimalField("容积率", max_digits=6, decimal_places=2)
    tax_per_mu = models.DecimalField("亩均税收（万元/亩）", max_digits=12, decimal_places=2)
    energy_per_value_added = models.DecimalField(
        "单位增加值能耗（吨标煤/万元）", max_digits=12, decimal_places=4
    )
    emission_per_value_added = models.DecimalField(
        "单位增加值排放（吨/万元）", max_digits=12, decimal_places=4
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "标准地承诺"
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"{self.agreement_no}（{self.proposal.name}）"


class PostEvaluation(models.Model):
    """达产复核: the commitments against the enterprise's reported figures of one year."""

    commitment = models.ForeignKey(
        StandardLandCommitment,
        models.PROTECT,
        related_name="evaluations",
        verbose_name="标准地承诺",
    )
    data_year = models.PositiveSmallIntegerField("实际数据年度")
    actual_investment_wan = models.DecimalField(
        "核实固定资产投资（万元）", null=True, blank=True, max_digits=16, decimal_places=2
    )
    actual_floor_area_ratio = models.DecimalField(
        "核实容积率", max_digits=6, decimal_places=2, null=True, blank=True
    )
    items = models.JSONField("逐项比较", default=list)
    met = models.BooleanField("全部达标")
    rules_id = models.CharField("处理规则", max_length=64)
    rules_version = models.CharField("处理规则版本", max_length=20)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="复核人"
    )
    created_at = models.DateTimeField("复核时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "达产复核（后评估）"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.commitment} {self.data_year}年度复核"
