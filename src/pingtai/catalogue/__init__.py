"""Indicator catalogue, form definitions and reporting periods (data in TOML, no Django)."""

from pingtai.catalogue.catalogue import (
    Catalogue,
    Comparison,
    Form,
    Indicator,
    Rule,
    default_catalogue,
    load_catalogue,
)
from pingtai.catalogue.periods import Period, parse_period

__all__ = [
    "Catalogue",
    "Comparison",
    "Form",
    "Indicator",
    "Period",
    "Rule",
    "default_catalogue",
    "load_catalogue",
    "parse_period",
]
