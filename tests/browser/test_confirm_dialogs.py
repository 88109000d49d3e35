"""Irreversible actions ask for confirmation in the browser: dismissing the dialog sends
nothing, accepting it sends the form (site.js, data-confirm)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pingtai.accounts.models import User
from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.league.demo import fill_template
from pingtai.reporting.models import Requirement, Submission
from pingtai.reporting.services import period_open, requirement_template, submission_upload
from pingtai.reporting.workflow import submission_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The submission is prepared in the test's transaction: the server shares the test's connection
# to see it, on SQLite and PostgreSQL alike (tests/browser/conftest.py).
SERVER_SHARES_TEST_CONNECTION = True

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "pingtai"
VALUES = {
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
    "management_bodies": 1,
    "management_staff": 120,
    "developable_area": 15000,
}


def test_every_irreversible_action_carries_a_confirmation():
    """Approve, return, lock, close, publish, decide, settle, issue, generate an entitlement list,
    take a delivery step: each form asks first."""
    actions = {
        "reporting:transition": 3,  # submit, approve, return and lock share the URL
        "reporting:period_close": 1,
        "planning:run_approve": 1,
        "planning:settle": 1,
        "league:decide": 1,
        "league:tie_decide": 1,
        "reports:issue": 1,
        "supervision:task_confirm": 1,
        "supervision:milestone_done": 1,
        "allocation:check": 1,
        "league:objection_new": 1,
        "league:objection_decide": 1,
        "entitlements:generate": 1,
        "entitlements:advance": 1,
    }
    forms = [
        form
        for path in TEMPLATES.rglob("*.html")
        for form in re.findall(r"<form[^>]*>", path.read_text(encoding="utf-8"))
    ]
    for url_name, at_least in actions.items():
        found = [f for f in forms if f"'{url_name}'" in f]
        assert len(found) >= at_least, url_name
        assert all("data-confirm=" in f for f in found), url_name
    publish = [f for f in forms if "publish_url" in f]
    assert publish and all("data-confirm=" in f for f in publish)


@pytest.fixture
def submitted():
    admin = User.objects.get(username="admin")
    officer = User.objects.get(username="pt_ls01")
    period = period_open("2031Q4", user=admin, deadline=dt.date(2032, 1, 20))
    requirement = Requirement.objects.get(
        period=period, form_code="platform_quarterly", platform__code="LS01"
    )
    data = fill_template(requirement_template(requirement), VALUES)
    attempt = submission_upload(requirement, user=officer, data=data, filename="季报.xlsx")
    assert attempt.outcome == "accepted", attempt.message
    sub = Submission.objects.get(requirement=requirement)
    submission_transition(sub.pk, "submit", user=officer, seen_revision=sub.revision)
    return requirement


def test_approve_asks_first_and_dismissing_sends_nothing(watched_page, live_url, submitted):
    page, watch = watched_page
    page.goto(f"{live_url}/accounts/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/reporting/requirements/{submitted.pk}/")

    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('审核通过')")
    page.wait_for_timeout(300)
    assert questions and "确认审核通过" in questions[0]
    assert Submission.objects.get(requirement=submitted).status == "submitted"

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        page.click("button:has-text('审核通过')")
    assert Submission.objects.get(requirement=submitted).status == "approved"

    page.once("dialog", dismiss)
    page.click("button:has-text('锁定')")
    page.wait_for_timeout(300)
    assert "确认锁定" in questions[-1]
    assert Submission.objects.get(requirement=submitted).status == "approved"
    watch.assert_clean()
