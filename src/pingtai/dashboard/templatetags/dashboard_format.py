"""Cockpit formatting: 万/亿 with units, signed changes (同比), status badges with text."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from pingtai.core import numbers

register = template.Library()


@register.filter
def amount(value, unit: str = "万元") -> str:
    """A 万-based amount with its unit: ≥ 1 亿 shows in 亿 (10⁴ × 万)."""
    return numbers.money(value, unit)


@register.filter
def signed_pct(value, places: int = 1) -> str:
    return numbers.signed_percent(value, int(places))


@register.filter
def pct(value, places: int = 1) -> str:
    return numbers.percent(value, int(places))


@register.filter
def trend_class(value) -> str:
    if numbers.is_missing(value) or value == 0:
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
    return numbers.quantity(value, unit)


@register.filter
def against(value, target) -> str:
    """A value beside its target, in the unit the target's goal is written in."""
    return target.value_text(value)
