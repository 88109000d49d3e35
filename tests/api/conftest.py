"""API test helpers: token-authenticated clients for the demo users, an open quarter, and a
filled quarterly template."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client

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


def fill_quarterly(template: bytes, values: dict[str, object]) -> bytes:
    """Write one platform's values into the data sheet's first data row (row 3)."""
    columns = default_catalogue().form("platform_quarterly").columns
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["数据"]
    for code, value in values.items():
        sheet.cell(row=3, column=columns.index(code) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class ApiClient:
    """A Django test client that sends a bearer token with every request."""

    def __init__(self, token: str):
        self.client, self.token = Client(), token
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, data=None, **kwargs):
        if "files" in kwargs:
            return self.client.post(path, {**(data or {}), **kwargs["files"]}, headers=self.headers)
        return self.client.post(
            path, data or {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api_as():
    """api_as("pt_ls01") → an ApiClient holding a fresh token of that demo user."""
    from pingtai.accounts.models import User
    from pingtai.api.services import token_create

    def _client(username: str) -> ApiClient:
        _, raw = token_create(User.objects.get(username=username), "测试")
        return ApiClient(raw)

    return _client


@pytest.fixture
def quarter():
    from pingtai.accounts.models import User
    from pingtai.reporting.services import period_open

    return period_open(
        "2025Q4", user=User.objects.get(username="admin"), deadline=dt.date(2026, 1, 20)
    )
