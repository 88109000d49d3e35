"""Cockpit formatting: 万/亿 with units, signed changes (同比), status badges with text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import format_html

register = template.Library()


def _missing(value) -> bool:
    """None, or the empty string Django substitutes for a missing variable."""
    return value is None or value == ""


def _fixed(value: Decimal | float, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:,}"


@register.filter
def amount(value, unit: str = "万元") -> str:
    """A 万-based amount with its unit: ≥ 1万 of the base unit shows in 亿 (10⁴ × 万)."""
    if _missing(value):
        return "—"
    value = Decimal(str(value))
    if abs(value) >= 10000:
        return f"{_fixed(value / 10000, 2)} 亿{unit.removeprefix('万')}"
    return f"{_fixed(value, 2)} {unit}"


@register.filter
def signed_pct(value, places: int = 1) -> str:
    if _missing(value):
        return "—"
    text = _fixed(Decimal(str(value)) * 100, int(places))
    return f"+{text}%" if not text.startswith("-") else f"{text}%"


@register.filter
def pct(value, places: int = 1) -> str:
    return "—" if _missing(value) else f"{_fixed(Decimal(str(value)) * 100, int(places))}%"


@register.filter
def trend_class(value) -> str:
    if _missing(value) or value == 0:
        return "flat"
    return "up" if value > 0 else "down"


@register.simple_tag
def status_badge(assessment) -> str:
    """Colour and a text label, never colour alone; the reason is in the title."""
    return format_html(
        '<span class="status status-{}" title="{}"><i aria-hidden="true"></i>{}</span>',
        assessment.status,
        assessment.reason,
        assessment.label,
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def measure(value, unit: str) -> str:
    """A target metric in its own unit; money in 万元 goes through 万/亿."""
    if _missing(value):
        return "—"
    if unit == "万元":
        return amount(value, unit)
    places = 0 if unit in ("亩", "个", "人") else 2
    return f"{_fixed(value, places)} {unit}" if unit != "%" else f"{_fixed(value, places)}%"
