"""Query-string parameters shared by several pages."""

from __future__ import annotations

from django.http import HttpRequest


def year_param(request: HttpRequest, years: list[int]) -> int | None:
    """The ``year`` asked for if the data has it, else the latest year (None without data)."""
    if not years:
        return None
    try:
        asked = int(request.GET.get("year", years[-1]))
    except ValueError:
        return years[-1]
    return asked if asked in years else years[-1]
