"""Template filters over ``pingtai.core.numbers`` (the one number formatter): amounts with
their unit (万元 / 亿元), areas in 亩 and km², percentages and percentage points."""

from __future__ import annotations

from django import template

from pingtai.core import numbers
from pingtai.core.dates import day_text

register = template.Library()


@register.filter
def day(value) -> str:
    """A date as 2026年12月12日 (``pingtai.core.dates``)."""
    return day_text(value)


@register.filter
def fixed(value, places: int = 2) -> str:
    return numbers.fixed(value, int(places))


@register.filter
def in_unit(value, unit: str = "") -> str:
    """The number alone with the decimals its unit calls for (counts whole): 119 个 → 119."""
    return numbers.number_in(value, unit)


@register.filter
def quantity(value, unit: str) -> str:
    """A number with its unit, decimals decided by the unit: 119 个, 56.65%."""
    return numbers.quantity(value, unit)


@register.filter
def wan_to_yi(value, places: int = 2) -> str:
    """万元 → 亿元 number without unit, for a column headed （亿元）: 14051600 → 1,405.16."""
    return numbers.fixed(numbers.wan_to_yi(value), int(places))


@register.filter
def money(value, base_unit: str = "万元") -> str:
    """An amount with its unit, 亿 from 1 亿 upwards: 14051600 → 1,405.16 亿元."""
    return numbers.money(value, base_unit)


@register.filter
def in_yi(value) -> str:
    """A 万元 amount written in 亿元 whatever its size (both sides of a comparison)."""
    return numbers.money(value, "万元", unit="亿元")


@register.filter
def mu_and_km2(value) -> str:
    return numbers.area_mu(value)


@register.filter
def count(value, unit: str = "家") -> str:
    return numbers.count(value, unit)


@register.filter
def percent(value, places: int = 1) -> str:
    return numbers.percent(value, int(places))


@register.filter
def points(value, places: int = 1) -> str:
    """A gap between two percentages (a share, 0.03) as “3.0 个百分点”."""
    return numbers.percentage_points(value, int(places))


@register.filter
def get(mapping, key):
    """Look a key up in a dict from a template: ``counts|get:"A"``."""
    return mapping.get(key, "") if mapping else ""
