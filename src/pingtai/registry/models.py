"""The platform system as data: who exists, where, since when, doing what.

Areas are stored in 亩 (Decimal) and converted only for display; money in 万元.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models

from pingtai.standards import gbt4754, uscc
from pingtai.standards.units import mu_to_km2


class Source(models.Model):
    """Where a published fact comes from; generated values cite the source "GEN"."""

    id = models.CharField("编号", max_length=16, primary_key=True)
    title = models.CharField("名称", max_length=300)
    url = models.TextField("网址", blank=True)
    status = models.CharField("可信度", max_length=40)

    class Meta:
        verbose_name = verbose_name_plural = "资料来源"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} {self.title}"


class County(models.Model):
    code = models.CharField("行政区划代码（GB/T 2260）", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=40)
    kind = models.CharField("类型", max_length=20)

    class Meta:
        verbose_name = verbose_name_plural = "县（市、区）"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Chain(models.Model):
    """One of the five city-wide industry chains (plan §四(六))."""

    code = models.CharField("代码", max_length=8, primary_key=True)
    name = models.CharField("产业链", max_length=40)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "主导产业链"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class ChainLink(models.Model):
    class Stage(models.TextChoices):
        UPSTREAM = "upstream", "上游"
        MIDSTREAM = "midstream", "中游"
        DOWNSTREAM = "downstream", "下游"

    code = models.CharField("代码", max_length=20, primary_key=True)
    chain = models.ForeignKey(Chain, models.CASCADE, related_name="links", verbose_name="产业链")
    name = models.CharField("环节", max_length=60)
    stage = models.CharField("位置", max_length=12, choices=Stage.choices)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "产业链环节"
        ordering = ["chain", "order"]

    def __str__(self) -> str:
        return f"{self.chain.name}·{self.name}"


class Platform(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", "国家级"
        PROVINCIAL = "provincial", "省级"
        COUNTY = "county", "县级"

    class SpatialRole(models.TextChoices):
        CORE = "一心", "一心"
        WINGS = "两翼", "两翼"
        AREAS = "三片区", "三片区"

    code = models.CharField("平台代码", max_length=8, unique=True)
    name = models.CharField("平台名称", max_length=80)
    short_name = models.CharField("简称", max_length=20)
    level = models.CharField("级别", max_length=12, choices=Level.choices)
    spatial_role = models.CharField("一心两翼三片区", max_length=8, choices=SpatialRole.choices)
    spatial_group = models.CharField("片区", max_length=30)
    tier = models.CharField("竞争梯队", max_length=20)
    counties = models.ManyToManyField(
        County, verbose_name="覆盖县（市、区）", related_name="platforms"
    )
    approved_area_mu = models.DecimalField(
        "核准面积（亩）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    planned_area_mu = models.DecimalField(
        "规划面积（亩）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    developable_area_mu = models.DecimalField(
        "可开发面积（亩）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    management_body = models.CharField("管理机构", max_length=120)
    leadership_posts = models.PositiveSmallIntegerField("领导职数", null=True, blank=True)
    staff_count = models.PositiveIntegerField("管理人员数", null=True, blank=True)
    notes = models.TextField("说明", blank=True)
    assumed_fields = models.JSONField("非公开数据字段（假设或生成）", default=list, blank=True)
    sources = models.ManyToManyField(Source, verbose_name="资料来源", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "主体平台"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def approved_area_km2(self) -> Decimal | None:
        return mu_to_km2(self.approved_area_mu)

    @property
    def planned_area_km2(self) -> Decimal | None:
        return mu_to_km2(self.planned_area_mu)

    @property
    def developable_area_km2(self) -> Decimal | None:
        return mu_to_km2(self.developable_area_mu)

    def is_assumed(self, field_name: str) -> bool:
        return field_name in self.assumed_fields


class LeadingIndustry(models.Model):
    platform = models.ForeignKey(
        Platform, models.CASCADE, related_name="leading_industries", verbose_name="平台"
    )
    name = models.CharField("主导产业", max_length=60)
    chain = models.ForeignKey(
        Chain,
        models.PROTECT,
        null=True,
        blank=True,
        verbose_name="对应全市产业链",
        related_name="leading_industries",
    )
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "平台主导产业"
        ordering = ["platform", "order"]

    def __str__(self) -> str:
        return self.name


class SubZone(models.Model):
    """功能片区 inside a platform, e.g. 丽水经开区's 水阁片 and 腊口片."""

    code = models.CharField("代码", max_length=16, unique=True)
    platform = models.ForeignKey(
        Platform, models.CASCADE, related_name="sub_zones", verbose_name="平台"
    )
    name = models.CharField("功能片区", max_length=60)
    notes = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "功能片区"
        ordering = ["platform", "code"]

    def __str__(self) -> str:
        return self.name


class FormerZone(models.Model):
    """A zone that existed before integration: the 12 provincial-or-higher and 68 township zones."""

    class Kind(models.TextChoices):
        PROVINCIAL = "provincial_or_higher", "省级以上开发区（园区）"
        TOWNSHIP = "township", "乡镇工业功能区"

    code = models.CharField("代码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=24, choices=Kind.choices)
    county = models.ForeignKey(County, models.PROTECT, verbose_name="所在县（市、区）")
    area_mu = models.DecimalField(
        "面积（亩）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    name_generated = models.BooleanField("名称为生成（真实名称未公开）", default=False)
    notes = models.TextField("说明", blank=True)
    sources = models.ManyToManyField(Source, verbose_name="资料来源", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "整合前园区"
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class IntegrationEvent(models.Model):
    """A dated change of a former zone; the registry's history is the sequence of these."""

    class Kind(models.TextChoices):
        MERGED = "merged", "整合并入"
        UPGRADED = "upgraded", "提升"
        REVOKED = "revoked", "撤销"
        CONVERTED = "converted", "转型"

    zone = models.ForeignKey(FormerZone, models.CASCADE, related_name="events", verbose_name="园区")
    kind = models.CharField("方式", max_length=12, choices=Kind.choices)
    platform = models.ForeignKey(
        Platform,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_events",
        verbose_name="并入平台",
    )
    effective_date = models.DateField("生效日期")
    document = models.CharField("依据文件", max_length=120, blank=True)
    assumed = models.BooleanField("日期或去向为假设", default=False)
    notes = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "整合事件"
        ordering = ["effective_date", "zone__code"]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.zone} {self.get_kind_display()}"

    def clean(self) -> None:
        needs_platform = self.kind in {self.Kind.MERGED, self.Kind.UPGRADED}
        if needs_platform and self.platform_id is None:
            raise ValidationError({"platform": "整合并入或提升必须指定平台"})


class Enterprise(models.Model):
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=120)
    county = models.ForeignKey(County, models.PROTECT, verbose_name="所在县（市、区）")
    platform = models.ForeignKey(
        Platform, models.PROTECT, related_name="enterprises", verbose_name="所在平台"
    )
    former_zone = models.ForeignKey(
        FormerZone,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name="整合前所在园区",
    )
    industry_code = models.CharField("行业代码（GB/T 4754-2017）", max_length=5)
    chain_link = models.ForeignKey(
        ChainLink,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name="产业链环节",
    )
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    uscc_override_reason = models.TextField(
        "校验码不符的确认理由",
        blank=True,
        help_text="早期试点地区的合法代码可能不符合校验规则，须由市级管理员注明理由后方可登记",
    )
    synthetic = models.BooleanField("演示数据（合成）", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "企业"
        ordering = ["platform", "uscc"]
        indexes = [
            models.Index(fields=["name"]),
            # The map counts a scope's firms and those with coordinates from this index alone,
            # without reading the firms' rows (docs/benchmarks.md, Province scale).
            models.Index(fields=["platform", "lat", "lon"], name="registry_ent_located"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        result = uscc.check(self.uscc)
        self.uscc = result.code
        if not result.valid and not self.uscc_override_reason.strip():
            raise ValidationError(
                {"uscc": f"{result.problem}。如确为合法的早期代码，请填写确认理由。"}
            )
        try:
            self.industry_code = "".join(gbt4754.normalise(self.industry_code))
        except ValueError as bad_code:
            raise ValidationError({"industry_code": str(bad_code)}) from bad_code
        if (
            self.platform_id
            and self.county_id
            and not self.platform.counties.filter(code=self.county_id).exists()
        ):
            raise ValidationError({"county": "企业所在县（市、区）不在该平台覆盖范围内"})


class LandParcel(models.Model):
    class Tenure(models.TextChoices):
        OWNED = "owned", "自有"
        LEASED = "leased", "租用"

    parcel_id = models.CharField("地块编号", max_length=40, unique=True)
    holder = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="parcels_held", verbose_name="土地使用权人"
    )
    user = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="parcels_used", verbose_name="实际使用企业"
    )
    tenure = models.CharField("权属", max_length=8, choices=Tenure.choices)
    area_mu = models.DecimalField("面积（亩）", max_digits=12, decimal_places=2)
    synthetic = models.BooleanField("演示数据（合成）", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "用地地块"
        ordering = ["parcel_id"]

    def __str__(self) -> str:
        return self.parcel_id


class EnterpriseYear(models.Model):
    """An enterprise's annual figures (money in 万元), one row per enterprise and year."""

    class SizeClass(models.TextChoices):
        ABOVE = "规上", "规上"
        BELOW = "规下", "规下"

    enterprise = models.ForeignKey(
        Enterprise, models.CASCADE, related_name="years", verbose_name="企业"
    )
    year = models.PositiveSmallIntegerField("年度")
    size_class = models.CharField("规模", max_length=4, choices=SizeClass.choices)
    land_mu = models.DecimalField("用地面积（亩）", max_digits=12, decimal_places=2)
    output_wan = models.DecimalField("工业总产值（万元）", max_digits=16, decimal_places=2)
    value_added_wan = models.DecimalField("工业增加值（万元）", max_digits=16, decimal_places=2)
    revenue_wan = models.DecimalField("营业收入（万元）", max_digits=16, decimal_places=2)
    tax_wan = models.DecimalField("实缴税金（万元）", max_digits=16, decimal_places=2)
    energy_tce = models.DecimalField("综合能耗（吨标煤）", max_digits=16, decimal_places=2)
    emission_t = models.DecimalField("主要污染物排放（当量吨）", max_digits=16, decimal_places=2)
    electricity_wan_kwh = models.DecimalField("用电量（万千瓦时）", max_digits=16, decimal_places=2)
    employees = models.PositiveIntegerField("从业人员（人）")
    rd_wan = models.DecimalField("研发经费（万元）", max_digits=16, decimal_places=2)
    synthetic = models.BooleanField("演示数据（合成）", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "企业年度数据"
        ordering = ["enterprise", "year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_figure_row_per_year")
        ]
        indexes = [
            models.Index(fields=["year", "enterprise"]),
            # The map shows the largest taxpayers of a year first (dashboard.services).
            models.Index(fields=["year", "-tax_wan"], name="registry_ey_year_tax"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"

    @property
    def tax_per_mu(self) -> Decimal | None:
        return self.tax_wan / self.land_mu if self.land_mu else None
