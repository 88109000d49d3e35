"""Unit conversion at the edges (docs/standards.md §4): 1 亩 = 10000/15 m² exactly, 1 km² = 1500 亩."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

MU_PER_KM2 = Decimal(1500)
MU_PER_HECTARE = Decimal(15)
WAN_PER_YI = Decimal(10000)


@overload
def mu_to_km2(mu: Decimal) -> Decimal: ...
@overload
def mu_to_km2(mu: None) -> None: ...
def mu_to_km2(mu: Decimal | None) -> Decimal | None:
    return None if mu is None else mu / MU_PER_KM2


def km2_to_mu(km2: Decimal) -> Decimal:
    return km2 * MU_PER_KM2


def wan_to_yi(wan: Decimal | None) -> Decimal | None:
    return None if wan is None else wan / WAN_PER_YI
