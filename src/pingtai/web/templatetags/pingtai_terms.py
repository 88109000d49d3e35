"""Template filters over ``pingtai.core.terms``: names instead of codes on every page."""

from __future__ import annotations

from django import template

from pingtai.core import terms

register = template.Library()


@register.filter
def method_name(run_or_id, version: str | None = None) -> str:
    """A run (anything with ``method_id``/``method_version``) or a method id → its title."""
    if hasattr(run_or_id, "method_id"):
        return terms.method_name(run_or_id.method_id, getattr(run_or_id, "method_version", None))
    return terms.method_name(run_or_id, version)


@register.filter
def form_name(code) -> str:
    return terms.form_name(code)


@register.filter
def source_name(code) -> str:
    return terms.source_name(code)


@register.filter
def frequency_name(code) -> str:
    return terms.frequency_name(code)


@register.filter
def rule_name(rule_id) -> str:
    return terms.rule_name(rule_id)


@register.filter
def issue_rule(rule) -> str:
    return terms.issue_rule_name(rule)


@register.filter
def chinese_only(message) -> str:
    """An error's message when it is written for people (Chinese), else nothing: Django's own
    messages ("No Platform matches the given query.") are not shown."""
    text = str(message or "")
    if not text or any("a" <= ch.lower() <= "z" for ch in text):
        return ""
    return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ""


@register.filter
def source_status(status) -> str:
    return terms.source_status_name(status)


@register.filter
def plain(text) -> str:
    return terms.plain_text(text)


@register.filter
def tier_name(code) -> str:
    return terms.tier_name(code)


@register.filter
def class_name(klass, short: str = "") -> str:
    return terms.class_name(klass, short=bool(short))


@register.filter
def platform_name(code) -> str:
    return terms.platform_name(code)


@register.filter
def county_name(code) -> str:
    return terms.county_name(code)


@register.filter
def period_name(code) -> str:
    return terms.period_name(code)


@register.filter
def industry(code) -> str:
    return terms.industry_name(code)


@register.filter
def person(user) -> str:
    return terms.person_name(user)


@register.simple_tag
def t_class_note() -> str:
    return terms.T_EXPLAINED
