"""Reporting deadlines on the working-day calendar: a deadline that falls on a day off ends on
the next working day (docs/reporting.md, "Deadlines"), and pages write it as people do."""

from __future__ import annotations

import datetime as dt

import pytest

from pingtai.audit.models import AuditEvent
from pingtai.reporting.models import ReportingPeriod
from pingtai.reporting.services import reporting_deadline

pytestmark = pytest.mark.django_db


def test_a_weekend_deadline_moves_to_monday_and_pages_write_it_in_chinese(login):
    admin = login("admin")
    saturday = dt.date(2026, 12, 12)
    assert saturday.weekday() == 5
    response = admin.post("/reporting/periods/open/", {"code": "2026Q3", "deadline": "2026-12-12"})
    assert response.status_code == 302
    period = ReportingPeriod.objects.get(code="2026Q3")
    deadlines = set(period.requirements.values_list("deadline", flat=True))
    assert deadlines == {dt.date(2026, 12, 14)}
    event = AuditEvent.objects.filter(action=AuditEvent.Action.OPEN_PERIOD).latest("pk")
    assert event.after["deadline"] == "2026-12-14" and event.after["deadline_asked"] == "2026-12-12"
    page = admin.get(response.url).content.decode()
    assert "2026年12月12日为休息日，截止日期顺延至2026年12月14日" in page
    assert page.count("2026年12月14日") > 1 and "2026-12-14" not in page  # the table too


def test_a_deadline_on_a_provisional_holiday_moves_past_it():
    # 2027 has no State Council schedule yet: its days off are the statutory ones (春节
    # 2月5日—10日 by the lunar dates in the holiday file), and deadlines follow them.
    assert reporting_deadline(dt.date(2027, 2, 8)) == dt.date(2027, 2, 11)  # a Monday off
    assert reporting_deadline(dt.date(2027, 10, 1)) == dt.date(2027, 10, 6)  # 国庆
    assert reporting_deadline(dt.date(2026, 12, 11)) == dt.date(2026, 12, 11)  # a working day
    # A year the calendar does not know moves past the weekend only.
    assert reporting_deadline(dt.date(2099, 10, 17)) == dt.date(2099, 10, 19)
