"""Number formatting the users expect: 万/亿 with units, areas in 亩 and km²."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from pingtai.standards.units import mu_to_km2

register = template.Library()


def _fixed(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):,}"


@register.filter
def fixed(value, places: int = 2) -> str:
    return "—" if value is None else _fixed(Decimal(value), int(places))


@register.filter
def wan_to_yi(value, places: int = 2) -> str:
    """万元 → 亿元 text, e.g. 14051600 → 1,405.16."""
    return "—" if value is None else _fixed(Decimal(value) / 10000, int(places))


@register.filter
def mu_and_km2(value) -> str:
    if value is None:
        return "—"
    return f"{_fixed(Decimal(value), 0)} 亩（{_fixed(mu_to_km2(Decimal(value)), 2)} km²）"


@register.filter
def get(mapping, key):
    """Look a key up in a dict from a template: ``counts|get:"A"``."""
    return mapping.get(key, "") if mapping else ""
