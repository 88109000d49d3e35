"""Read-side queries on the registry: the platform system as of a date, and platform figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from pingtai.registry.models import EnterpriseYear, FormerZone, IntegrationEvent, Platform


@dataclass
class PlatformComposition:
    platform: Platform
    zones: list[FormerZone] = field(default_factory=list)


@dataclass
class PlatformSystemSnapshot:
    """What the platform system looked like on one date."""

    on: dt.date
    platforms: list[PlatformComposition]
    independent: list[FormerZone]
    revoked: list[FormerZone]
    converted: list[FormerZone]

    @property
    def integrated_count(self) -> int:
        return sum(len(comp.zones) for comp in self.platforms)

    def platform_of(self, zone_code: str) -> Platform | None:
        for comp in self.platforms:
            if any(z.code == zone_code for z in comp.zones):
                return comp.platform
        return None


def platform_system_as_of(on: dt.date) -> PlatformSystemSnapshot:
    """Replay integration events up to and including ``on``; a zone's latest event decides."""
    latest: dict[int, IntegrationEvent] = {}
    events = IntegrationEvent.objects.filter(effective_date__lte=on).order_by(
        "effective_date", "id"
    )
    for happened in events:
        latest[happened.zone_id] = happened
    by_platform = {p.id: PlatformComposition(p) for p in Platform.objects.all()}
    independent: list[FormerZone] = []
    revoked: list[FormerZone] = []
    converted: list[FormerZone] = []
    for zone in FormerZone.objects.select_related("county").order_by("kind", "code"):
        event = latest.get(zone.id)
        if event is None:
            independent.append(zone)
        elif event.kind in (IntegrationEvent.Kind.MERGED, IntegrationEvent.Kind.UPGRADED):
            assert event.platform_id is not None  # a merged or upgraded zone names its platform
            by_platform[event.platform_id].zones.append(zone)
        elif event.kind == IntegrationEvent.Kind.REVOKED:
            revoked.append(zone)
        else:
            converted.append(zone)
    return PlatformSystemSnapshot(on, list(by_platform.values()), independent, revoked, converted)


@dataclass(frozen=True)
class Figures:
    """Sums over enterprises (ratios are ratios of sums, docs/methods.md §4)."""

    enterprises: int
    above_scale: int
    land_mu: Decimal
    output_wan: Decimal
    above_scale_output_wan: Decimal
    value_added_wan: Decimal
    tax_wan: Decimal

    @property
    def tax_per_mu(self) -> Decimal | None:
        return self.tax_wan / self.land_mu if self.land_mu else None

    @property
    def output_per_mu(self) -> Decimal | None:
        return self.output_wan / self.land_mu if self.land_mu else None

    @property
    def value_added_per_mu(self) -> Decimal | None:
        return self.value_added_wan / self.land_mu if self.land_mu else None


CENT = Decimal("0.01")
_ABOVE = Q(size_class=EnterpriseYear.SizeClass.ABOVE)
# Aggregate names must differ from the field names or Django refuses the annotation.
_SUMS = {
    "n_enterprises": Count("id"),
    "n_above_scale": Count("id", filter=_ABOVE),
    "sum_land_mu": Sum("land_mu"),
    "sum_output_wan": Sum("output_wan"),
    "sum_above_scale_output_wan": Sum("output_wan", filter=_ABOVE),
    "sum_value_added_wan": Sum("value_added_wan"),
    "sum_tax_wan": Sum("tax_wan"),
}


def _exact(total) -> Decimal:
    """SQLite sums decimal columns as binary floats; the inputs have two decimals, so
    rounding the sum back to cents restores the exact total (PostgreSQL is exact already)."""
    return Decimal(total or 0).quantize(CENT)


def _figures(row: Mapping[str, Any]) -> Figures:
    return Figures(
        enterprises=row["n_enterprises"],
        above_scale=row["n_above_scale"],
        **{key.removeprefix("sum_"): _exact(row[key]) for key in _SUMS if key.startswith("sum_")},
    )


def figures(rows: QuerySet[EnterpriseYear]) -> Figures:
    return _figures(rows.aggregate(**_SUMS))


def figures_by_platform(
    year: int, rows: QuerySet[EnterpriseYear] | None = None
) -> dict[int, Figures]:
    """Platform id → figures for ``year`` (enterprises counted in their current platform)."""
    rows = EnterpriseYear.objects.all() if rows is None else rows
    grouped = rows.filter(year=year).values("enterprise__platform_id").annotate(**_SUMS)
    return {row["enterprise__platform_id"]: _figures(row) for row in grouped}


def available_years() -> list[int]:
    """The years the register holds figures for, oldest first; read from the summaries, which
    every write of the yearly figures keeps current (docs/dashboard.md, "Summaries"), so that
    no page scans the figures of every firm to learn them."""
    from pingtai.summaries.selectors import years

    return years()


def holds_synthetic_data() -> bool:
    """Whether the register holds synthetic (demo) enterprises: every export and document that
    shows enterprise-derived figures then carries the label 演示数据（合成）."""
    from pingtai.registry.models import Enterprise

    return Enterprise.objects.filter(synthetic=True).exists()
