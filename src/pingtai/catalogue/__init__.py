"""Indicator catalogue, form definitions and reporting periods (data in TOML, no Django)."""

from pingtai.catalogue.catalogue import (
    Catalogue,
    CatalogueError,
    Comparison,
    Form,
    Indicator,
    Rule,
    default_catalogue,
    load_catalogue,
)
from pingtai.catalogue.periods import Period, PeriodError, parse_period

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Comparison",
    "Form",
    "Indicator",
    "Period",
    "PeriodError",
    "Rule",
    "default_catalogue",
    "load_catalogue",
    "parse_period",
]
