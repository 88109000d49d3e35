"""The database holds the plan's published 2019 totals exactly after loading (plan §一)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pingtai.registry import selectors
from pingtai.registry.models import EnterpriseYear, Platform

pytestmark = pytest.mark.django_db


def test_2019_totals_equal_the_published_figures():
    totals = selectors.figures(EnterpriseYear.objects.filter(year=2019))
    assert totals.enterprises == 3897
    assert totals.land_mu == Decimal("133900.00")  # 13.39万亩
    assert totals.tax_wan == Decimal("670500.00")  # 67.05亿元
    assert totals.above_scale_output_wan == Decimal("14051600.00")  # 规上工业总产值 1,405.16亿元


def test_database_sums_agree_with_the_generated_records_to_the_cent(demo_dataset):
    from collections import defaultdict

    expected = defaultdict(Decimal)
    for row in demo_dataset.enterprise_years:
        expected[row.year] += row.tax_wan
    for year, tax in expected.items():
        assert selectors.figures(EnterpriseYear.objects.filter(year=year)).tax_wan == tax


def test_2019_output_sizes_match_the_plan():
    by_platform = selectors.figures_by_platform(2019)
    output_yi = {p.code: by_platform[p.id].output_wan / 10000 for p in Platform.objects.all()}
    assert output_yi["LS01"] > 200 and output_yi["LS04"] > 200
    small = {code for code, value in output_yi.items() if value < 100}
    assert len(small) == 6
    assert {"LS02", "LS03", "LS06"} <= small


def test_every_year_2019_to_2024_is_present_and_grows():
    years = selectors.available_years()
    assert years == [2019, 2020, 2021, 2022, 2023, 2024]
    out = [selectors.figures(EnterpriseYear.objects.filter(year=y)).output_wan for y in years]
    assert out[-1] > out[0]
