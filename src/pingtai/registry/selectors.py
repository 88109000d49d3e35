"""Read-side queries on the registry: the platform system as of a date, and platform figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

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
    events = IntegrationEvent.objects.filter(effective_date__lte=on).order_by("effective_date", "id")
    for event in events:
        latest[event.zone_id] = event
    by_platform = {p.id: PlatformComposition(p) for p in Platform.objects.all()}
    independent, revoked, converted = [], [], []
    for zone in FormerZone.objects.select_related("county").order_by("kind", "code"):
        event = latest.get(zone.id)
        if event is None:
            independent.append(zone)
        elif event.kind in (IntegrationEvent.Kind.MERGED, IntegrationEvent.Kind.UPGRADED):
            by_platform[event.platform_id].zones.append(zone)
        elif event.kind == IntegrationEvent.Kind.REVOKED:
            revoked.append(zone)
        else:
            converted.append(zone)
    return PlatformSystemSnapshot(on, list(by_platform.values()), independent, revoked, converted)


@dataclass(frozen=True)
class Figures:
    """Sums over enterprises (ratios are ratios of sums, methods.md §4)."""

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


ZERO = Decimal(0)
_ABOVE = Q(size_class=EnterpriseYear.SizeClass.ABOVE)
_SUMS = {
    "enterprises": Count("id"),
    "above_scale": Count("id", filter=_ABOVE),
    "land_mu": Sum("land_mu"),
    "output_wan": Sum("output_wan"),
    "above_scale_output_wan": Sum("output_wan", filter=_ABOVE),
    "value_added_wan": Sum("value_added_wan"),
    "tax_wan": Sum("tax_wan"),
}


def _figures(row: dict) -> Figures:
    return Figures(
        enterprises=row["enterprises"],
        above_scale=row["above_scale"],
        **{k: row[k] or ZERO for k in _SUMS if k not in ("enterprises", "above_scale")},
    )


def figures(rows: QuerySet[EnterpriseYear]) -> Figures:
    return _figures(rows.aggregate(**_SUMS))


def figures_by_platform(year: int, rows: QuerySet[EnterpriseYear] | None = None) -> dict[int, Figures]:
    """Platform id → figures for ``year`` (enterprises counted in their current platform)."""
    rows = EnterpriseYear.objects.all() if rows is None else rows
    grouped = rows.filter(year=year).values("enterprise__platform_id").annotate(**_SUMS)
    return {row["enterprise__platform_id"]: _figures(row) for row in grouped}


def available_years() -> list[int]:
    return list(EnterpriseYear.objects.order_by("year").values_list("year", flat=True).distinct())
