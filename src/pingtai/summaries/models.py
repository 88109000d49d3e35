"""The aggregates that the cockpit, the map and the platform pages show, stored so that a page
costs the same at 10³ and at 10⁵ firms (docs/dashboard.md, "Summaries").

Nothing here is entered by hand: every row is computed by ``pingtai.summaries.services`` from
the register and the published 亩均 runs, in the transaction of the write that changed them.
"""

from __future__ import annotations

from django.db import models


def _total(label: str) -> models.DecimalField:
    """A sum of a register column (two decimals; room for a province's totals)."""
    return models.DecimalField(label, max_digits=20, decimal_places=2)


class FigureSummary(models.Model):
    """Sums of the register's yearly figures (``registry.EnterpriseYear``) of the firms that
    are currently in one platform and one county, for one year. Platform, county and city
    figures are sums of these rows; ratios are ratios of those sums (docs/methods.md §4)."""

    year = models.PositiveSmallIntegerField("年度")
    platform = models.ForeignKey(
        "registry.Platform", models.CASCADE, related_name="+", verbose_name="平台"
    )
    county = models.ForeignKey(
        "registry.County", models.CASCADE, related_name="+", verbose_name="县（市、区）"
    )
    enterprises = models.PositiveIntegerField("企业数（家）")
    above_scale = models.PositiveIntegerField("规上企业数（家）")
    land_mu = _total("用地面积（亩）")
    output_wan = _total("工业总产值（万元）")
    above_scale_output_wan = _total("规上工业总产值（万元）")
    value_added_wan = _total("工业增加值（万元）")
    revenue_wan = _total("营业收入（万元）")
    tax_wan = _total("实缴税金（万元）")
    rd_wan = _total("研发经费（万元）")
    energy_tce = _total("综合能耗（吨标煤）")
    emission_t = _total("主要污染物排放（当量吨）")
    electricity_wan_kwh = _total("用电量（万千瓦时）")
    employees = models.BigIntegerField("从业人员（人）")

    class Meta:
        verbose_name = verbose_name_plural = "年度数据汇总"
        ordering = ["year", "platform", "county"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "platform", "county"], name="one_summary_per_year_platform_county"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.platform_id} {self.county_id}"


class PlatformCentre(models.Model):
    """The mean position of a platform's firms that have coordinates (the map's platform
    point), over the register as it is now."""

    platform = models.OneToOneField(
        "registry.Platform", models.CASCADE, primary_key=True, related_name="+", verbose_name="平台"
    )
    located = models.PositiveIntegerField("有坐标的企业数（家）")
    lon = models.FloatField("经度")
    lat = models.FloatField("纬度")

    class Meta:
        verbose_name = verbose_name_plural = "平台中心点"

    def __str__(self) -> str:
        return f"{self.platform_id} {self.lon:.5f},{self.lat:.5f}"


class ClassSummary(models.Model):
    """How many firms of one platform a published (or since superseded) 亩均 run put in one
    class. A run's results never change once it is published, so these rows are computed once,
    when it is published."""

    run = models.ForeignKey(
        "evaluation.EvaluationRun", models.CASCADE, related_name="+", verbose_name="批次"
    )
    platform_code = models.CharField("平台", max_length=8)
    klass = models.CharField("类别", max_length=2)
    count = models.PositiveIntegerField("企业数（家）")

    class Meta:
        verbose_name = verbose_name_plural = "评价类别汇总"
        ordering = ["run", "platform_code", "klass"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "platform_code", "klass"], name="one_count_per_run_platform_class"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.run_id} {self.platform_code} {self.klass} {self.count}"
