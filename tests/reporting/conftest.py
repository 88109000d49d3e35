"""Helpers for reporting tests: fill a downloaded template the way a platform officer would."""

from __future__ import annotations

import io

import openpyxl
import pytest

from pingtai.catalogue import default_catalogue

QUARTERLY = {
    "industrial_output": 1250000,
    "above_scale_output": 1100000,
    "above_scale_value_added": 260000,
    "above_scale_enterprises": 180,
    "tax_revenue": 61000,
    "industrial_investment": 95000,
    "foreign_capital": 3200,
    "trade_total": 210000,
    "major_projects_signed": 6,
    "hightech_value_added": 150000,
    "rd_expenditure": 38000,
    "rd_institutions": 41,
    "innovation_complexes": 2,
    "management_bodies": 3,
    "management_staff": 120,
    "developable_area": 15000,
}


def fill(template: bytes, values_by_row: dict[int, dict[str, object]], form_code: str) -> bytes:
    """Write values into the data sheet (row 3 is the first data row), keyed by column code."""
    columns = default_catalogue().form(form_code).columns
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["数据"]
    for row, values in values_by_row.items():
        for code, value in values.items():
            sheet.cell(row=row, column=columns.index(code) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def quarter(login):
    """Open 2025Q4 as the city administrator through the web page."""
    from pingtai.reporting.models import ReportingPeriod

    response = login("admin").post(
        "/reporting/periods/open/", {"code": "2025q4", "deadline": "2026-01-20"}
    )
    assert response.status_code == 302
    return ReportingPeriod.objects.get(code="2025Q4")


@pytest.fixture
def requirement_of():
    from pingtai.reporting.models import Requirement

    def _get(period, platform_code: str, form_code: str = "platform_quarterly") -> Requirement:
        return Requirement.objects.get(
            period=period, form_code=form_code, platform__code=platform_code
        )

    return _get
