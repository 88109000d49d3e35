"""Reporting-period codes, labels, bounds and navigation."""

from __future__ import annotations

from datetime import date

import pytest

from pingtai.catalogue import Period, parse_period
from pingtai.core.refusal import Refused


@pytest.mark.parametrize(
    "code, kind, index, label, start, end",
    [
        ("2025Q4", "quarter", 4, "2025年第四季度", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025Q1", "quarter", 1, "2025年第一季度", date(2025, 1, 1), date(2025, 3, 31)),
        ("2024Q1", "quarter", 1, "2024年第一季度", date(2024, 1, 1), date(2024, 3, 31)),
        ("2025H1", "half", 1, "2025年上半年", date(2025, 1, 1), date(2025, 6, 30)),
        ("2025H2", "half", 2, "2025年下半年", date(2025, 7, 1), date(2025, 12, 31)),
        ("2025", "year", 1, "2025年度", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_parse(code, kind, index, label, start, end):
    period = parse_period(code)
    assert (period.kind, period.year, period.index) == (kind, int(code[:4]), index)
    assert (period.code, period.label, period.start, period.end) == (code, label, start, end)
    assert str(period) == code and parse_period(period.code) == period


def test_tolerates_case_full_width_and_spaces():
    assert parse_period(" ２０２５ｑ３\u3000").code == "2025Q3"
    assert parse_period("2025h2").code == "2025H2"


@pytest.mark.parametrize(
    "code", ["2025Q5", "2025Q0", "2025H3", "25Q1", "2025-Q1", "Q1", "", "2025年"]
)
def test_invalid_codes_are_refused_in_chinese(code):
    with pytest.raises(Refused, match="报告期"):
        parse_period(code)


def test_previous_and_same_period_last_year():
    assert parse_period("2025Q1").previous() == parse_period("2024Q4")
    assert parse_period("2025Q3").previous() == parse_period("2025Q2")
    assert parse_period("2025H1").previous() == parse_period("2024H2")
    assert parse_period("2025").previous() == parse_period("2024")
    assert parse_period("2025Q2").same_period_last_year() == parse_period("2024Q2")
    assert parse_period("2025H2").same_period_last_year().code == "2024H2"


def test_periods_are_frozen_ordered_and_checked():
    period = parse_period("2025Q2")
    with pytest.raises(AttributeError):
        period.year = 2026  # type: ignore[misc]
    assert parse_period("2024Q4") < parse_period("2025Q1")
    assert period.contains(date(2025, 5, 20)) and not period.contains(date(2025, 7, 1))
    with pytest.raises(Refused):
        Period(2025, "quarter", 5)
    with pytest.raises(Refused):
        Period(2025, "month", 1)  # type: ignore[arg-type]
