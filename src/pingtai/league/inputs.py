"""The input table of a platform evaluation run, assembled only from approved data.

- Enterprise yearly figures aggregated per platform (ratios of sums, docs/methods.md §4): land,
  tax, value added, R&D and revenue of the last year that has ended by the period's end (the
  period's own year for a year-end run, the year before for quarterly and mid-year runs).
- ``platform_quarterly`` reports, read only through their approved versions; values are
  cumulative within the year, so a period is represented by its last quarter (H1 → Q2,
  year → Q4); growth compares with the same quarter a year earlier.
- The process part: on-time submission of every reporting requirement of the platform due in
  the window, and task completion from ``supervision.selectors.task_completion_rates``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import Min, Sum
from django.utils import timezone

from pingtai.catalogue import parse_period
from pingtai.core import numbers
from pingtai.core.refusal import Refused
from pingtai.league.rules import Grouping, PlatformFacts, assign_groups
from pingtai.registry import selectors as registry_selectors
from pingtai.registry.models import EnterpriseYear, Platform
from pingtai.reporting.models import Requirement
from pingtai.reporting.services import approved_version, version_values
from pingtai.runs.snapshots import read_snapshot, write_snapshot
from pingtai.supervision.selectors import task_completion_rates

FORM = "platform_quarterly"
REPORTED = (
    "industrial_output",
    "above_scale_output",
    "above_scale_value_added",
    "hightech_value_added",
    "industrial_investment",
    "foreign_capital",
    "trade_total",
    "major_projects_signed",
    "rd_institutions",
    "innovation_complexes",
    "management_bodies",
    "management_staff",
    "developable_area",
    "above_scale_enterprises",
)
LAST_YEAR = (
    "above_scale_output",
    "industrial_investment",
    "trade_total",
    "above_scale_enterprises",
)
ENTERPRISE = ("land_mu", "ent_tax_wan", "ent_value_added_wan", "ent_rd_wan", "ent_revenue_wan")
TEXT = ("platform_code", "name", "segment", "league_group")
NUMERIC = (
    ENTERPRISE + REPORTED + tuple(f"{k}_ly" for k in LAST_YEAR) + ("ontime_rate", "task_completion")
)
SCHEMA = {**dict.fromkeys(TEXT, pl.String), **dict.fromkeys(NUMERIC, pl.Float64)}
SEGMENT = "平台"
CYCLE_KINDS = {"quarter": "quarter", "half": "half", "year": "year"}


@dataclass(frozen=True)
class CyclePeriod:
    cycle: str
    code: str  # 2024Q3 / 2024H1 / 2024
    year: int
    quarter: int  # the last quarter the period covers
    start: dt.date
    end: dt.date

    @property
    def data_period(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def data_period_last_year(self) -> str:
        return f"{self.year - 1}Q{self.quarter}"

    @property
    def enterprise_year(self) -> int:
        return self.year if self.cycle == "year" else self.year - 1


def cycle_period(cycle: str, code: str) -> CyclePeriod:
    """Check that ``code`` fits ``cycle``: quarter → 2024Q3, half → 2024H1, year → 2024."""
    if cycle not in CYCLE_KINDS:
        raise Refused(f"周期“{cycle}”无效，应为 quarter、half 或 year")
    try:
        p = parse_period(code)
    except ValueError as bad:
        raise Refused(str(bad)) from None
    if p.kind != CYCLE_KINDS[cycle]:
        raise Refused(
            f"期别 {p.code} 与周期不符（季度比评如 2024Q3，年中督查如 2024H1，年终考核如 2024）"
        )
    if cycle == "half" and p.index != 1:
        raise Refused("年中督查只针对上半年（如 2024H1）")
    quarter = {"quarter": p.index, "half": 2, "year": 4}[cycle]
    window_start = p.start if cycle == "quarter" else dt.date(p.year, 1, 1)
    return CyclePeriod(cycle, p.code, p.year, quarter, window_start, p.end)


@dataclass
class Assembled:
    frame: pl.DataFrame
    provenance: dict
    warnings: list[str] = field(default_factory=list)


def _float(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def last_complete_output_yi(year: int) -> dict[str, float]:
    """Platform code → 工业总产值 (亿元) of ``year`` from enterprise figures (for size bands)."""
    codes = dict(Platform.objects.values_list("id", "code"))
    return {
        codes[pid]: float(numbers.wan_to_yi(fig.output_wan) or 0)
        for pid, fig in registry_selectors.figures_by_platform(year).items()
        if pid in codes
    }


def platform_facts(year: int) -> list[PlatformFacts]:
    output = last_complete_output_yi(year)
    return [
        PlatformFacts(p.code, p.spatial_role, p.spatial_group, p.tier, p.level, output.get(p.code))
        for p in Platform.objects.order_by("code")
    ]


def _enterprise(year: int) -> dict[str, dict[str, float]]:
    codes = dict(Platform.objects.values_list("id", "code"))
    figures = registry_selectors.figures_by_platform(year)
    extra = (
        EnterpriseYear.objects.filter(year=year)
        .values("enterprise__platform_id")
        .annotate(s_rd=Sum("rd_wan"), s_revenue=Sum("revenue_wan"))
    )
    rd = {r["enterprise__platform_id"]: r for r in extra}
    out = {}
    for pid, fig in figures.items():
        if pid not in codes:
            continue
        row: Mapping[str, Any] = rd.get(pid, {})
        out[codes[pid]] = {
            "land_mu": float(fig.land_mu),
            "ent_tax_wan": float(fig.tax_wan),
            "ent_value_added_wan": float(fig.value_added_wan),
            "ent_rd_wan": float(round(Decimal(row.get("s_rd") or 0), 2)),
            "ent_revenue_wan": float(round(Decimal(row.get("s_revenue") or 0), 2)),
        }
    return out


def _reported(code: str, period: str) -> tuple[dict[str, Decimal], dict | None]:
    version = approved_version(FORM, period, code)
    if version is None:
        return {}, None
    values = version_values(version).get(code, {})
    return values, {
        "period": period,
        "version_id": version.pk,
        "version": version.number,
        "sha256": version.file_id,
        "approved_at": version.approved_at.isoformat() if version.approved_at else None,
    }


def ontime_rates(period: CyclePeriod) -> dict[str, float | None]:
    """Platform code → % of its requirements due in the window whose first upload came on or
    before the deadline and which have an approved version."""
    reqs = (
        Requirement.objects.filter(
            platform__isnull=False,
            period__ends_on__gte=period.start,
            period__ends_on__lte=period.end,
        )
        .select_related("platform", "submission")
        .annotate(first_upload=Min("submission__versions__uploaded_at"))
    )
    counts: dict[str, list[int]] = {}
    for req in reqs:
        tally = counts.setdefault(req.scope_code, [0, 0])  # platform requirements only
        tally[1] += 1
        first = req.first_upload
        on_time = (
            first is not None
            and timezone.localdate(first) <= req.deadline
            and req.submission.approved_version_id is not None
        )
        tally[0] += int(on_time)
    return {code: 100.0 * ok / total for code, (ok, total) in counts.items() if total}


def task_completion(period: CyclePeriod) -> dict[str, float]:
    """Platform code → % of supervision tasks due in the period completed on time (the
    mid-year run takes the second quarter, as the supervision module counts by quarter)."""
    quarter = None if period.cycle == "year" else period.quarter
    return {
        code: 100.0 * float(rate)
        for code, rate in task_completion_rates(period.year, quarter).items()
    }


def assemble(period: CyclePeriod, grouping_key: str, grouping: Grouping) -> Assembled:
    platforms = list(Platform.objects.order_by("code"))
    if not platforms:
        raise Refused("登记库中没有平台")
    warnings: list[str] = []
    ent_year = period.enterprise_year
    enterprise = _enterprise(ent_year)
    if not enterprise:
        warnings.append(f"没有 {ent_year} 年企业数据：亩均税收、亩均增加值、研发投入强度按缺失计")
    groups = assign_groups(grouping, platform_facts(period.year - 1))
    ontime = ontime_rates(period)
    tasks = task_completion(period)
    rows = []
    reported_prov, last_year_prov = {}, {}
    missing_reports = []
    for p in platforms:
        row: dict[str, object] = {
            "platform_code": p.code,
            "name": p.name,
            "segment": SEGMENT,
            "league_group": groups[p.code],
        }
        row.update({k: enterprise.get(p.code, {}).get(k) for k in ENTERPRISE})
        current, prov = _reported(p.code, period.data_period)
        if prov is None:
            missing_reports.append(p.short_name)
        else:
            reported_prov[p.code] = prov
        row.update({k: _float(current.get(k)) for k in REPORTED})
        previous, prov_ly = _reported(p.code, period.data_period_last_year)
        if prov_ly is not None:
            last_year_prov[p.code] = prov_ly
        row.update({f"{k}_ly": _float(previous.get(k)) for k in LAST_YEAR})
        row["ontime_rate"] = ontime.get(p.code)
        row["task_completion"] = tasks.get(p.code)
        rows.append(row)
    if len(missing_reports) == len(platforms):
        raise Refused(f"{period.data_period} 没有任何审核通过的平台季报，不能评价")
    if missing_reports:
        warnings.append(
            f"{period.data_period} 未审核通过季报的平台（相关指标记 0 分）：{'、'.join(missing_reports)}"
        )
    frame = pl.DataFrame(rows, schema=SCHEMA)
    provenance = {
        "form": FORM,
        "data_period": period.data_period,
        "window": [period.start.isoformat(), period.end.isoformat()],
        "reported": reported_prov,
        "reported_last_year": last_year_prov,
        "enterprise_year": ent_year,
        "grouping": grouping_key,
        "groups": groups,
        "group_output_year": period.year - 1,
        "supervision": "督查任务完成率（督查作战图中截至期末的任务完成情况）",
    }
    return Assembled(frame, provenance, warnings)


def snapshot_bytes(frame: pl.DataFrame) -> bytes:
    return write_snapshot(frame, "platform_code")


def snapshot_frame(data: bytes) -> pl.DataFrame:
    return read_snapshot(data, SCHEMA)
