"""Review with the numbers in front of the reviewer, and the inbox, through the Django client."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pingtai.audit.models import AuditEvent
from pingtai.reporting.models import ReportingPeriod, Requirement, Submission, UploadAttempt

from .conftest import QUARTERLY, fill

pytestmark = pytest.mark.django_db


def _requirement(code: str, platform: str = "LS01") -> Requirement:
    return Requirement.objects.get(
        period__code=code, form_code="platform_quarterly", platform__code=platform
    )


def _open(login, code: str, deadline: str = "2026-12-31") -> None:
    response = login("admin").post("/reporting/periods/open/", {"code": code, "deadline": deadline})
    assert response.status_code == 302 and ReportingPeriod.objects.filter(code=code).exists()


def _upload(officer, requirement, values: dict) -> UploadAttempt:
    template = officer.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    content = fill(template, {3: values}, "platform_quarterly")
    officer.post(
        f"/reporting/requirements/{requirement.pk}/upload/",
        {"file": SimpleUploadedFile("季报.xlsx", content)},
    )
    return UploadAttempt.objects.filter(requirement=requirement).latest("id")


def _act(client, requirement, action: str, **extra):
    submission = Submission.objects.get(requirement=requirement)
    return client.post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": action, "revision": submission.revision, **extra},
        follow=True,
    )


def _submitted(login, requirement, values: dict, *, confirm: bool = True) -> UploadAttempt:
    officer = login(f"pt_{requirement.platform.code.lower()}")
    attempt = _upload(officer, requirement, values)
    if attempt.outcome == UploadAttempt.Outcome.NEEDS_CONFIRMATION and confirm:
        officer.post(
            f"/reporting/attempts/{attempt.pk}/",
            {"confirm": [c["id"] for c in attempt.confirmations]},
        )
        attempt = UploadAttempt.objects.filter(requirement=requirement).latest("id")
    assert attempt.outcome == UploadAttempt.Outcome.ACCEPTED, attempt.message
    assert _act(officer, requirement, "submit").status_code == 200
    return attempt


@pytest.fixture
def last_year(login):
    """2024Q4 approved for LS01: the same period last year of 2025Q4."""
    _open(login, "2024Q4")
    requirement = _requirement("2024Q4")
    _submitted(login, requirement, QUARTERLY)
    _act(login("admin"), requirement, "approve")
    assert Submission.objects.get(requirement=requirement).status == "approved"
    return requirement


def test_review_page_shows_values_beside_references_and_flags_slips(login, last_year):
    _open(login, "2025Q4")
    requirement = _requirement("2025Q4")
    slipped = {**QUARTERLY, "tax_revenue": 610000, "developable_area": 225000}
    attempt = _submitted(login, requirement, slipped)
    assert len(attempt.confirmations) >= 2  # the uploader was asked and confirmed
    # The upload that waited for those answers is in the audit log, not only the accepted one.
    waited = AuditEvent.objects.filter(
        action="upload",
        object_type="reporting.UploadAttempt",
        detail__startswith="待确认疑似单位错误",
    )
    assert waited.exists()

    page = login("admin").get(f"/reporting/requirements/{requirement.pk}/").content.decode()
    # Every value in the form's unit beside the same period last year, formatted.
    assert "610,000 万元" in page and "61,000 万元" in page
    assert "225,000 亩" in page and "15,000 亩" in page
    assert "610000.000000" not in page and "61000.000000" not in page
    assert "上年同期（2024年第四季度）" in page and "上期（2025年第三季度）" in page
    assert page.count('class="suspected"') == 2
    assert "疑似" in page and "公顷" in page
    assert "填报人确认" in page and "未确认" not in page  # the uploader's confirmations shown

    admin = login("admin")
    refused = _act(admin, requirement, "approve", reason="先写的说明").content.decode()
    assert "疑似单位错误" in refused
    # The refusal stands beside the checkbox it is about, and what was typed is kept.
    assert re.search(
        r'name="slips_checked"[^>]*>[^<]*</label><span class="field-error">第', refused
    )
    assert "先写的说明</textarea>" in refused
    assert Submission.objects.get(requirement=requirement).status == "submitted"
    refused = _act(admin, requirement, "approve", slips_checked="1").content.decode()
    assert "核实说明" in refused
    assert Submission.objects.get(requirement=requirement).status == "submitted"

    _act(admin, requirement, "approve", slips_checked="1", reason="已电话核实：税收为万元无误")
    submission = Submission.objects.get(requirement=requirement)
    assert submission.status == "approved"
    assert submission.approved_version.review_note == "已电话核实：税收为万元无误"


def test_a_large_file_lists_only_its_suspected_values_but_checks_every_one(
    login, last_year, monkeypatch
):
    """Above SHOW_ALL_UP_TO cells only the suspected values become rows; every cell is still
    compared and counted, and the approval still asks about each suspected one."""
    from pingtai.reporting import review

    _open(login, "2025Q4")
    requirement = _requirement("2025Q4")
    _submitted(login, requirement, {**QUARTERLY, "tax_revenue": 610000, "developable_area": 225000})
    everything = review.review_of(requirement)
    monkeypatch.setattr(review, "SHOW_ALL_UP_TO", 3)
    large = review.review_of(requirement)
    assert large.total == everything.total > 3
    assert large.rows == everything.suspected == large.shown
    assert sorted(r.indicator for r in large.shown) == ["developable_area", "tax_revenue"]
    assert large.hidden == everything.total - 2
    assert large.rows[0].value_text == everything.suspected[0].value_text
    refused = _act(login("admin"), requirement, "approve").content.decode()
    assert "疑似单位错误" in refused
    assert Submission.objects.get(requirement=requirement).status == "submitted"


def test_a_clean_version_is_approved_without_questions(login, last_year):
    _open(login, "2025Q4")
    requirement = _requirement("2025Q4")
    _submitted(login, requirement, {**QUARTERLY, "tax_revenue": 65000})
    page = login("admin").get(f"/reporting/requirements/{requirement.pk}/").content.decode()
    assert "未发现疑似单位错误" in page and 'name="slips_checked"' not in page
    _act(login("admin"), requirement, "approve")
    assert Submission.objects.get(requirement=requirement).status == "approved"


def test_first_quarter_is_compared_with_last_years_first_quarter_not_the_fourth(login, last_year):
    # Year-to-date Q1 values are about a quarter of the previous Q4's: no question is asked.
    _open(login, "2025Q1")
    requirement = _requirement("2025Q1")
    q1 = {
        **QUARTERLY,
        **{
            k: QUARTERLY[k] // 4
            for k in (
                "industrial_output",
                "above_scale_output",
                "above_scale_value_added",
                "tax_revenue",
                "industrial_investment",
                "foreign_capital",
                "trade_total",
                "hightech_value_added",
                "rd_expenditure",
            )
        },
        "major_projects_signed": 1,
    }
    attempt = _submitted(login, requirement, q1, confirm=False)
    assert attempt.confirmations == []
    page = login("admin").get(f"/reporting/requirements/{requirement.pk}/").content.decode()
    assert "上期（2024年第四季度）" in page and "未发现疑似单位错误" in page


def test_inbox_per_role_with_counts_and_the_return_reason(login, last_year):
    _open(login, "2025Q4", deadline="2099-12-31")
    requirement = _requirement("2025Q4")
    _submitted(login, requirement, QUARTERLY)

    admin = login("admin")
    inbox = admin.get("/reporting/inbox/").content.decode()
    assert "待审核（1）" in inbox and "2025年第四季度" in inbox
    assert "待办（1）" in inbox  # the count in the menu

    _act(admin, requirement, "return", reason="税收收入与税务部门数据不符，请核实")
    officer = login("pt_ls01")
    inbox = officer.get("/reporting/inbox/").content.decode()
    assert "已退回（1）" in inbox and "税收收入与税务部门数据不符，请核实" in inbox
    assert "待办（1）" in inbox
    page = officer.get(f"/reporting/requirements/{requirement.pk}/").content.decode()
    assert "税收收入与税务部门数据不符，请核实" in page
    assert "待审核（0）" in admin.get("/reporting/inbox/").content.decode()


def test_overdue_and_due_soon_boxes(login):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    _open(login, "2025Q4", deadline="2099-12-31")
    soon, late = _requirement("2025Q4", "LS02"), _requirement("2025Q4", "LS03")
    Requirement.objects.filter(pk=soon.pk).update(deadline=today + dt.timedelta(days=3))
    Requirement.objects.filter(pk=late.pk).update(deadline=today - dt.timedelta(days=1))
    page = login("pt_ls02").get("/reporting/inbox/").content.decode()
    assert "即将逾期（1）" in page and "已逾期（0）" in page
    page = login("pt_ls03").get("/reporting/inbox/").content.decode()
    assert "已逾期（1）" in page and "即将逾期（0）" in page
    page = login("admin").get("/reporting/inbox/").content.decode()
    assert "即将逾期（1）" in page and "已逾期（1）" in page
