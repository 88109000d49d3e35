"""Reading the summaries: what the cockpit, the map and the platform pages aggregate, at a
cost that does not grow with the number of firms (docs/dashboard.md, "Summaries")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pingtai.registry.selectors import Figures
from pingtai.summaries.models import ClassSummary, FigureSummary, PlatformCentre

ZERO = Decimal(0)


@dataclass(frozen=True)
class Sums:
    """Figures plus the sums the shared ``Figures`` does not carry (R&D and revenue)."""

    figures: Figures
    rd_wan: Decimal
    revenue_wan: Decimal


def _sums(rows: Iterable[FigureSummary]) -> Sums:
    rows = list(rows)
    return Sums(
        Figures(
            enterprises=sum(r.enterprises for r in rows),
            above_scale=sum(r.above_scale for r in rows),
            land_mu=sum((r.land_mu for r in rows), ZERO),
            output_wan=sum((r.output_wan for r in rows), ZERO),
            above_scale_output_wan=sum((r.above_scale_output_wan for r in rows), ZERO),
            value_added_wan=sum((r.value_added_wan for r in rows), ZERO),
            tax_wan=sum((r.tax_wan for r in rows), ZERO),
        ),
        rd_wan=sum((r.rd_wan for r in rows), ZERO),
        revenue_wan=sum((r.revenue_wan for r in rows), ZERO),
    )


def years() -> list[int]:
    """The years the register holds figures for, oldest first."""
    return list(FigureSummary.objects.order_by("year").values_list("year", flat=True).distinct())


def by_year_and_platform() -> dict[int, dict[int, Sums]]:
    """Year → platform id → sums, for every year and every platform with figures."""
    grouped: dict[int, dict[int, list[FigureSummary]]] = defaultdict(lambda: defaultdict(list))
    for row in FigureSummary.objects.order_by():
        grouped[row.year][row.platform_id].append(row)
    return {
        year: {platform: _sums(rows) for platform, rows in by_platform.items()}
        for year, by_platform in sorted(grouped.items())
    }


def figures_by_platform(year: int) -> dict[int, Figures]:
    """Platform id → figures for ``year`` (firms counted in their current platform)."""
    grouped: dict[int, list[FigureSummary]] = defaultdict(list)
    for row in FigureSummary.objects.filter(year=year):
        grouped[row.platform_id].append(row)
    return {platform: _sums(rows).figures for platform, rows in grouped.items()}


def figures_by_county(year: int) -> dict[str, Figures]:
    """County code → figures for ``year`` of the firms located there (counties without any
    firm left out)."""
    grouped: dict[str, list[FigureSummary]] = defaultdict(list)
    for row in FigureSummary.objects.filter(year=year):
        grouped[row.county_id].append(row)
    return {county: _sums(rows).figures for county, rows in grouped.items()}


def city_figures(year: int) -> Figures:
    return _sums(FigureSummary.objects.filter(year=year)).figures


def platform_figures(platform_id: int, year: int) -> Figures:
    """One platform's figures for ``year`` (zero sums in a year without its firms)."""
    return _sums(FigureSummary.objects.filter(year=year, platform_id=platform_id)).figures


def platform_yearly(platform_id: int) -> list[tuple[int, Figures]]:
    """Every year's figures of one platform (zero sums in a year without its firms)."""
    grouped: dict[int, list[FigureSummary]] = {year: [] for year in years()}
    for row in FigureSummary.objects.filter(platform_id=platform_id):
        grouped[row.year].append(row)
    return [(year, _sums(rows).figures) for year, rows in grouped.items()]


def platform_centres() -> dict[int, tuple[float, float]]:
    """Platform id → (longitude, latitude): the mean position of its firms with coordinates."""
    return {c.platform_id: (c.lon, c.lat) for c in PlatformCentre.objects.all()}


def class_counts(run_id: int, platform_code: str | None = None) -> dict[str, dict[str, int]]:
    """Platform code → class → number of firms, of a published (or superseded) 亩均 run."""
    rows = ClassSummary.objects.filter(run_id=run_id)
    if platform_code is not None:
        rows = rows.filter(platform_code=platform_code)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for code, klass, n in rows.values_list("platform_code", "klass", "count"):
        counts[code][klass] = n
    return dict(counts)
