"""Text a user typed is safe in the exports the pages serve: the audit log, the battle map and
the project proposals answer with control characters escaped and formulas kept as text. The
writers themselves are tested without Django in tests/xlsx/test_hostile_text_in_every_file.py."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

HOSTILE = "任务\x00\x07\x1b[31m\x0b\x0c\ufffe标题"
# What the database can hold (PostgreSQL text cannot hold NUL; pages refuse it with 400).
STORED = HOSTILE.replace("\x00", "")
FORMULA = '=HYPERLINK("http://evil.example","点击")'


def _sheet_values(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _formula_cells(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        cell.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


@pytest.mark.django_db
def test_the_exports_users_named_in_the_finding_answer_with_the_text_escaped(client):
    """Audit log (a failed login's user name), battle map (a task title), project proposals
    (a proposal name) — each once made the export answer 500."""
    from pingtai.accounts.models import User
    from pingtai.allocation.services import proposal_create
    from pingtai.registry.models import Enterprise, Platform
    from pingtai.supervision.models import Task

    platform = Platform.objects.get(code="LS02")
    admin = User.objects.get(username="admin")
    client.post("/accounts/login/", {"username": "坏\x07人\x1b", "password": "Wrong-Guess-1"})
    Task.objects.create(
        platform=platform,
        title=STORED,
        owner=FORMULA,
        start_date=dt.date(2025, 1, 1),
        deadline=dt.date(2025, 12, 31),
    )
    proposal_create(
        {
            "name": STORED,
            "applicant": FORMULA,
            "enterprise": Enterprise.objects.filter(platform=platform).first(),
            "year": 2025,
            "proposal_date": "2025-02-01",
            "location_zone": None,
            "land_source": "new",
            "land_use": "industrial",
            "land_mu": Decimal(50),
            "floor_area_ratio": Decimal("1.5"),
            "investment_wan": Decimal(20000),
            "expected_output_wan": Decimal(40000),
            "expected_value_added_wan": Decimal(10000),
            "expected_tax_wan": Decimal(2000),
            "energy_tce": Decimal(2000),
            "emission_t": Decimal(50),
            "funds_wan": Decimal(0),
            "industry_code": "3484",
            "major": True,
        },
        platform=platform,
        user=admin,
    )
    client.force_login(admin)
    for url in (
        "/audit/export/?format=xlsx",
        "/supervision/platforms/LS02/export.xlsx",
        "/allocation/proposals/?format=xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        data = b"".join(response.streaming_content) if response.streaming else response.content
        assert _formula_cells(data) == [], url
        cells = {v for row in _sheet_values(data) for v in row if isinstance(v, str)}
        assert not any("\x07" in v or "\x00" in v for v in cells), url
    assert client.get("/audit/export/?format=csv").status_code == 200
