"""The year's journey in Chromium, as the city office walks it: a 亩均 run is created and
published from the browser (the publish gate asks for a reason, the browser asks to confirm),
then the same firm's score and the same class counts are read from every place an official or
a script reads them — the portrait page, the Word and Excel notices, the class-list export and
the API — and must agree digit for digit; the year has one current publication.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from docx import Document

from pingtai.accounts.models import User
from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.api.services import token_create
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.evaluation.services import run_evaluation
from pingtai.reporting.services import period_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The journey prepares its data in the test's transaction and publishes from the browser: the
# server must see that data and what it writes must be rolled back with the test, on SQLite and
# on PostgreSQL alike (tests/browser/conftest.py).
SERVER_SHARES_TEST_CONNECTION = True

YEAR = 2024


def _login(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _docx_rows(data: bytes) -> list[list[str]]:
    document = Document(io.BytesIO(data))
    return [[c.text.strip() for c in row.cells] for t in document.tables for row in t.rows]


def _xlsx_rows(data: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_a_published_year_shows_the_same_numbers_everywhere(watched_page, live_url, screenshot):
    page, watch = watched_page
    admin = User.objects.get(username="admin")
    # The year's reporting is open and nothing is approved yet: the publish gate must speak.
    period_open(str(YEAR), user=admin, deadline=dt.date(YEAR + 1, 3, 31))
    _login(page, live_url, "admin")

    # 1. A preview run from the browser (robustness draws off: the journey is about outputs).
    page.goto(f"{live_url}/evaluation/")
    form = page.locator("form[action$='/evaluation/runs/new/']")
    form.locator("input[name=year]").fill(str(YEAR))
    form.locator("input[name=robustness]").fill("0")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    run = EvaluationRun.objects.order_by("-pk").first()
    assert run is not None and run.year == YEAR and run.status == "preview"
    assert re.search(rf"/evaluation/runs/{run.pk}/$", page.url)

    # 2. Publishing: reports of the year are not all approved, so the gate asks for a reason;
    # the browser asks to confirm; dismissing publishes nothing.
    publish = page.locator("form.publish-form")
    assert "尚未审核通过" in publish.inner_text()
    publish.locator("textarea[name=override_reason], input[name=override_reason]").fill(
        "演示：部门数据以登记库年度数据代替，已经领导小组办公室同意"
    )
    publish.locator("input[name=confirm]").check()
    questions: list[str] = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    publish.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert questions and "确认发布" in questions[0]
    run.refresh_from_db()
    assert run.status == "preview"
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        publish.locator("button[type=submit]").click()
    run.refresh_from_db()
    assert run.status == "published" and run.override_reason
    screenshot(page, "journey-year-published")

    # 3. One firm's score, read everywhere. A D-class firm is listed by name in the notice.
    firm = EnterpriseResult.objects.filter(run=run, klass="D").order_by("-score", "uscc").first()
    assert firm is not None and firm.score  # a non-zero score, so that digits are compared
    shown = f"{firm.score:.2f}"

    page.goto(f"{live_url}/evaluation/runs/{run.pk}/enterprises/{firm.uscc}/")
    portrait = page.inner_text("main")
    assert firm.name in portrait and shown in portrait

    docx = page.request.get(f"{live_url}/reports/mujun/{run.pk}/notice.docx")
    assert docx.ok, docx.status
    row = next(r for r in _docx_rows(docx.body()) if firm.uscc in r)
    assert shown in row, row

    notice_xlsx = page.request.get(f"{live_url}/reports/mujun/{run.pk}/notice.xlsx")
    assert notice_xlsx.ok, notice_xlsx.status
    row_x = next(r for r in _xlsx_rows(notice_xlsx.body()) if firm.uscc in r)
    assert any(isinstance(v, int | float) and f"{v:.2f}" == shown for v in row_x), row_x

    export = page.request.get(f"{live_url}/evaluation/runs/{run.pk}/export.xlsx")
    assert export.ok, export.status
    row_e = next(r for r in _xlsx_rows(export.body()) if firm.uscc in r)
    assert any(isinstance(v, int | float) and f"{v:.2f}" == shown for v in row_e), row_e

    _, raw = token_create(admin, "年度核对")
    bearer = {"Authorization": f"Bearer {raw}"}
    api = page.request.get(f"{live_url}/api/runs/{run.pk}/results/{firm.uscc}", headers=bearer)
    assert api.ok and f"{api.json()['score']:.2f}" == shown and api.json()["klass"] == "D"

    # 4. The class counts: the API's, the notice's overview and the run page's agree.
    current = page.request.get(f"{live_url}/api/runs/current?year={YEAR}", headers=bearer)
    assert current.ok and current.json()["id"] == run.pk
    counts = current.json()["class_counts"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.body())).paragraphs)
    for klass in "ABCD":
        assert f"{klass}类" in text
        assert re.search(rf"{klass}类（[^）]+）{counts[klass]:,}家", text), (klass, counts)
    page.goto(f"{live_url}/evaluation/")
    listed = page.locator("tr", has=page.locator(f"a[href$='/evaluation/runs/{run.pk}/']"))
    for klass in "ABCD":
        assert f"{klass} 类 {counts[klass]:,} 家" in listed.inner_text()

    # 5. One current publication: a second 2024 run can only replace it explicitly.
    second, _ = run_evaluation(YEAR, run.method_id, user=admin)
    page.goto(f"{live_url}/evaluation/runs/{second.pk}/")
    assert f"已有现行结果：{YEAR}年度亩均效益评价第{run.pk}号批次" in page.inner_text("main")
    assert (
        page.locator("form.publish-form button[type=submit]").inner_text().startswith("发布并取代")
    )
    assert EvaluationRun.objects.filter(year=YEAR, status="published").count() == 1
    watch.assert_clean()
