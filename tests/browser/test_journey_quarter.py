"""The quarter's journey in Chromium, as the officials walk it: a platform downloads its
quarterly template and fills it with its tax in 元 instead of 万元 (×10,000: refused at the
indicator's bound), then with its developable area in 公顷 instead of 亩 (1/15 of its history),
is asked about the suspected slip and confirms it anyway, submits; the city office sees the
value marked against the previous quarter and last year's same quarter, cannot approve without saying
it was checked, returns it with a reason; the platform reads the reason, uploads the corrected
file, submits; the office approves. A league run of the quarter is created and published from
the browser, and the platform's score and rank are the same on the run page and in the Word
notice, the corrected value is what the platform page, the map and the API show, and no
platform is both on the 末位 list and the 前列 list.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from docx import Document

from pingtai.accounts.models import User
from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.api.services import token_create
from pingtai.league import selectors as league_selectors

# _totals: the demo's own per-platform year totals, which its quarterly values scale.
from pingtai.league.demo import _totals, fill_template, load_demo, quarterly_values
from pingtai.league.models import LeagueRun
from pingtai.registry.models import Platform
from pingtai.reporting.models import Requirement, Submission, UploadAttempt
from pingtai.reporting.review import review_of
from pingtai.reporting.services import (
    attempt_confirm,
    period_open,
    requirement_template,
    submission_upload,
)
from pingtai.reporting.workflow import submission_transition

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The journey prepares its data in the test's transaction and publishes from the browser: the
# server must see that data and what it writes must be rolled back with the test, on SQLite and
# on PostgreSQL alike (tests/browser/conftest.py).
SERVER_SHARES_TEST_CONNECTION = True

QUARTER = "2024Q4"  # history: 2024Q3 (previous quarter) and 2023Q4 (same quarter last year)
HISTORY = ["2023Q4", "2024Q3"]
CODE = "LS01"
SLIPPED = "developable_area"  # 亩: a figure typed in 公顷 is 15 times too small
FORM = "platform_quarterly"


def _login(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _logout(page, live_url: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_url}/accounts/login/")


def _upload(page, data: bytes, name: str) -> None:
    page.set_input_files(
        "input[type=file][name=file]",
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}],
    )
    with page.expect_navigation():
        page.click("button:has-text('上传并校验')")


def _accepting(page, questions: list[str]):
    page.once("dialog", lambda d: (questions.append(d.message), d.accept()))


def _others_report(period, admin: User, skip: Platform) -> None:
    """Every other platform reports its demo values for the quarter and is approved (the
    league reads approved reports only; the peers also give the review its median)."""
    year, quarter = period.year, period.index
    users = {u.platform_id: u for u in User.objects.filter(role=User.Role.PLATFORM)}
    by_year = {y: _totals(y) for y in (year - 1, year)}
    for platform in Platform.objects.exclude(pk=skip.pk).order_by("code"):
        requirement = Requirement.objects.get(period=period, form_code=FORM, platform=platform)
        values = quarterly_values(
            platform, year, quarter, by_year[year][platform.pk], by_year[year - 1].get(platform.pk)
        )
        user = users[platform.pk]
        data = fill_template(requirement_template(requirement), values)
        attempt = submission_upload(requirement, user=user, data=data, filename="季报.xlsx")
        if attempt.outcome == UploadAttempt.Outcome.NEEDS_CONFIRMATION:
            attempt = attempt_confirm(
                attempt, user=user, confirmed=[c["id"] for c in attempt.confirmations]
            )
        assert attempt.outcome == UploadAttempt.Outcome.ACCEPTED, attempt.message
        sub = Submission.objects.get(requirement=requirement)
        submission_transition(sub.pk, "submit", user=user, seen_revision=sub.revision)
        sub.refresh_from_db()
        checked = bool(review_of(requirement).suspected)
        submission_transition(
            sub.pk,
            "approve",
            user=admin,
            seen_revision=sub.revision,
            slips_checked=checked,
            reason="合成数据的波动，已按生成规则核对" if checked else "",
        )


def _docx_rows(data: bytes) -> list[list[str]]:
    document = Document(io.BytesIO(data))
    return [[c.text.strip() for c in row.cells] for t in document.tables for row in t.rows]


def test_a_quarter_from_the_platform_upload_to_the_published_league(
    watched_page, live_url, screenshot
):
    page, watch = watched_page
    admin = User.objects.get(username="admin")
    platform = Platform.objects.get(code=CODE)
    officer = User.objects.get(username="pt_ls01")
    assert officer.platform_id == platform.pk

    # Set-up: the platform's history (every platform, through the reporting path), then the
    # city office opens the quarter; the other platforms report theirs.
    load_demo(admin=admin, quarters=HISTORY)
    period = period_open(QUARTER, user=admin, deadline=dt.date.today() + dt.timedelta(days=20))
    _others_report(period, admin, platform)
    requirement = Requirement.objects.get(period=period, form_code=FORM, platform=platform)
    year, quarter = period.year, period.index
    correct = quarterly_values(
        platform, year, quarter, _totals(year)[platform.pk], _totals(year - 1).get(platform.pk)
    )
    assert review_of(requirement).version is None  # nothing uploaded yet

    # 1. The platform downloads its template in the browser session and fills it, with the
    # tax in 元 first, then the area in 公顷.
    _login(page, live_url, "pt_ls01")
    page.goto(f"{live_url}/reporting/requirements/{requirement.pk}/")
    assert "状态：草稿" in page.inner_text("main")
    template = page.request.get(f"{live_url}/reporting/requirements/{requirement.pk}/template.xlsx")
    assert template.ok, template.status
    # A tax figure in 元 (×10,000) is beyond the indicator's bound for this platform: refused
    # outright, with the unit named, and nothing imported.
    tenfold = dict(correct, tax_revenue=Decimal(correct["tax_revenue"]) * 10000)
    _upload(page, fill_template(template.body(), tenfold), "2024年第四季度季报.xlsx")
    assert "被拒绝" in page.inner_text("h1")
    assert "请确认单位为万元" in page.inner_text("main")
    assert Submission.objects.get(requirement=requirement).latest_version_id is None

    # The area in 公顷 instead of 亩 (1/15) passes every bound: the check stops and asks.
    page.goto(f"{live_url}/reporting/requirements/{requirement.pk}/")
    area = Decimal(correct[SLIPPED])
    assert area > 0
    slipped = dict(correct, **{SLIPPED: (area / 15).quantize(Decimal("0.0001"))})
    _upload(page, fill_template(template.body(), slipped), "2024年第四季度季报（二）.xlsx")
    assert re.search(r"/reporting/attempts/\d+/$", page.url), page.url
    attempt_text = page.inner_text("main")
    assert page.inner_text("h1") == "上传结果：待确认", attempt_text
    assert "疑似单位" in attempt_text, attempt_text
    boxes = page.locator("input[type=checkbox][name=confirm]")
    assert boxes.count() >= 1
    assert "可开发面积" in page.locator("table.data").inner_text()
    screenshot(page, "journey-quarter-1-slip-asked")
    # Confirming nothing imports nothing.
    sub = Submission.objects.get(requirement=requirement)
    assert sub.latest_version_id is None
    for i in range(boxes.count()):
        boxes.nth(i).check()
    with page.expect_navigation():
        page.click("button:has-text('确认并导入')")
    sub.refresh_from_db()
    assert sub.latest_version_id is not None and sub.status == "draft"
    first_version = sub.latest_version
    page.goto(f"{live_url}/reporting/requirements/{requirement.pk}/")
    questions: list[str] = []
    _accepting(page, questions)
    with page.expect_navigation():
        page.click("button:has-text('提交审核')")
    assert questions and "确认提交审核" in questions[-1]
    sub.refresh_from_db()
    assert sub.status == "submitted"

    # 3. The city office sees the area marked next to the previous quarter and last year.
    _logout(page, live_url)
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/reporting/requirements/{requirement.pk}/")
    review = page.locator("table.review")
    heads = review.locator("thead").inner_text()
    assert "上期（2024年第三季度）" in heads and "上年同期（2023年第四季度）" in heads, heads
    flagged = review.locator("tr.suspected")
    assert flagged.count() >= 1
    area_row = flagged.filter(has_text="可开发面积")
    assert area_row.count() == 1, flagged.all_inner_texts()
    # A period-end stock: marked against the previous quarter and last year's same quarter.
    assert area_row.locator("td.flag").count() >= 2
    seen = area_row.inner_text()
    assert "与上期（2024年第三季度）比" in seen and "与上年同期（2023年第四季度）比" in seen
    assert "公顷" in seen
    # ... and what the uploader confirmed stands beside it.
    assert "本期约为上期的1/15" in area_row.locator("td").last.inner_text()
    assert "已标红" in page.inner_text("main")
    screenshot(page, "journey-quarter-2-review-flagged")

    # Approving without the explicit check: the browser stops at the checkbox (no dialog, no
    # request), and the server refuses too when the page's own guard is bypassed.
    approve = page.locator("form:has(input[name=action][value=approve])")
    checkbox = approve.locator("input[name=slips_checked]")
    assert checkbox.count() == 1
    approve.locator("textarea[name=reason]").fill("已核实")
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    approve.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    page.remove_listener("dialog", dismiss)
    assert asked == []  # the form never got to submit
    assert checkbox.evaluate("e => e.validationMessage") != ""
    sub.refresh_from_db()
    assert sub.status == "submitted"
    checkbox.evaluate("e => e.removeAttribute('required')")
    _accepting(page, asked)
    with page.expect_navigation():
        approve.locator("button[type=submit]").click()
    sub.refresh_from_db()
    assert sub.status == "submitted" and sub.approved_version_id is None
    refused = page.locator("ul.messages li.error").inner_text()
    assert "第1版有疑似单位错误：丽水经济技术开发区 可开发面积" in refused, refused
    assert "勾选“已核实疑似单位错误”并填写核实说明" in refused

    # Return with a reason (the browser asks first).
    reason = "可开发面积疑似按公顷填报（约为上期的十五分之一），请按亩更正后重新上传"
    back = page.locator("form:has(input[name=action][value=return])")
    back.locator("input[name=reason]").fill(reason)
    asked.clear()
    _accepting(page, asked)
    with page.expect_navigation():
        back.locator("button[type=submit]").click()
    assert asked and "确认退回" in asked[0]
    sub.refresh_from_db()
    assert sub.status == "returned" and sub.return_reason == reason

    # 4. The platform reads the reason in its inbox and on the requirement page.
    _logout(page, live_url)
    _login(page, live_url, "pt_ls01")
    page.goto(f"{live_url}/reporting/inbox/")
    assert reason in page.inner_text("main")
    with page.expect_navigation():
        page.locator("tr", has_text=reason).locator("a:has-text('办理')").click()
    assert f"/reporting/requirements/{requirement.pk}/" in page.url
    assert f"退回理由：{reason}" in page.inner_text("main")
    screenshot(page, "journey-quarter-3-returned")
    right = fill_template(template.body(), correct)
    _upload(page, right, "2024年第四季度季报（更正）.xlsx")
    assert page.inner_text("h1") == "上传结果：已接收"
    sub.refresh_from_db()
    assert sub.latest_version_id != first_version.pk and sub.status == "draft"
    page.goto(f"{live_url}/reporting/requirements/{requirement.pk}/")
    _accepting(page, questions)
    with page.expect_navigation():
        page.click("button:has-text('提交审核')")
    sub.refresh_from_db()
    assert sub.status == "submitted"

    _logout(page, live_url)
    _login(page, live_url, "admin")
    page.goto(f"{live_url}/reporting/requirements/{requirement.pk}/")
    review = page.locator("table.review")
    assert review.locator("tr.suspected", has_text="可开发面积").count() == 0
    approve = page.locator("form:has(input[name=action][value=approve])")
    _accepting(page, asked)
    with page.expect_navigation():
        approve.locator("button[type=submit]").click()
    assert "确认审核通过" in asked[-1]
    sub.refresh_from_db()
    assert sub.status == "approved" and sub.approved_version_id == sub.latest_version_id

    # 5. The league run of the quarter, created and published from the browser.
    page.goto(f"{live_url}/league/")
    form = page.locator("form[action$='/league/runs/new/']")
    form.locator("select[name=cycle]").select_option("quarter")
    form.locator("select[name=period]").select_option(QUARTER)
    form.locator("input[name=robustness]").fill("0")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    run = LeagueRun.objects.order_by("-pk").first()
    assert run is not None and run.period_code == QUARTER and run.status == "preview"
    assert re.search(rf"/league/runs/{run.pk}/$", page.url), page.url
    assert run.provenance["reported"][CODE]["version_id"] == sub.approved_version_id

    publish = page.locator("form.publish-form")
    # Every platform's quarterly report is approved: the gate has nothing to ask.
    assert "尚未审核通过" not in publish.inner_text()
    assert publish.locator("[name=override_reason]").count() == 0
    publish.locator("input[name=confirm]").check()
    asked.clear()
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    publish.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert asked and "确认发布" in asked[0]
    run.refresh_from_db()
    assert run.status == "preview"
    _accepting(page, asked)
    with page.expect_navigation():
        publish.locator("button[type=submit]").click()
    run.refresh_from_db()
    assert run.status == "published", page.inner_text("main")
    screenshot(page, "journey-quarter-4-league-published")

    # 6. One platform's score and rank, read everywhere.
    result = run.results.get(platform_code=CODE)
    score = f"{result.score:.2f}"
    rank = f"{result.rank}/{result.group_size}"
    row = page.locator("table.data tr", has=page.locator(f"a[href$='/platforms/{CODE}/']"))
    cells = row.first.locator("td").all_inner_texts()
    assert cells[0] == rank and cells[1] == platform.short_name and cells[2] == score, cells

    docx = page.request.get(f"{live_url}/reports/league/{run.pk}/notice.docx")
    assert docx.ok, docx.status
    # The group table's row: 名次, 平台, 综合得分, …
    rows = [r for r in _docx_rows(docx.body()) if r[1:2] == [platform.short_name]]
    assert len(rows) == 1, rows
    assert rows[0][0] == str(result.rank) and rows[0][2] == score, (rows, rank, score)

    # No platform both on the 末位/约谈 list and the 前列 list — in the data and on the page.
    bottom = {e.result.platform_code for e in league_selectors.interview_list(run)[0]}
    top = {e.result.platform_code for e in league_selectors.top_list(run)}
    assert bottom and top and not bottom & top, (bottom, top)
    page.goto(f"{live_url}/league/runs/{run.pk}/")
    listed = {}
    for title in ("末位预警", "前列名单"):
        table = page.locator(f"h2:has-text('{title}') + table tbody")
        column = 0 if title == "末位预警" else 1
        listed[title] = {r.split("\t")[column] for r in table.locator("tr").all_inner_texts()}
    names = set(Platform.objects.values_list("short_name", flat=True))
    assert listed["末位预警"] and listed["前列名单"] and set().union(*listed.values()) <= names
    assert not listed["末位预警"] & listed["前列名单"], listed

    # The approved (corrected) area is what the platform page, the map and the API show.
    area = Decimal(correct[SLIPPED])
    page.goto(f"{live_url}/platforms/{CODE}/")
    shown = page.inner_text("main")
    assert "2024年第四季度" in shown
    assert f"{area:,.2f}".rstrip("0").rstrip(".") in shown.replace(" ", ""), shown
    map_json = page.request.get(f"{live_url}/dashboard/map/data.json")
    assert map_json.ok
    on_map = next(p for p in map_json.json()["platforms"] if p["code"] == CODE)
    assert on_map["report"]["period"] == "2024年第四季度"
    assert Decimal(str(on_map["report"]["values"][SLIPPED])) == area
    _, raw = token_create(admin, "季度核对")
    api = page.request.get(
        f"{live_url}/api/platforms/{CODE}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert api.ok, api.status
    latest = api.json()["latest_report"]
    assert latest["period"] == QUARTER
    assert Decimal(str(latest["values"][SLIPPED])) == area

    # The cockpit reads each platform's staff from its approved fourth-quarter report: the
    # staff-reduction warning for this platform follows the corrected report's figure.
    page.goto(f"{live_url}/dashboard/?year={year}")
    staff = int(correct["management_staff"])
    limit = platform.staff_count * 0.7  # the plan's −30 % (targets file, [organisation])
    warned = f"{platform.short_name}{year}年末管理人员 {staff} 人" in page.inner_text("main")
    assert warned == (staff > limit), (staff, limit)
    watch.assert_clean()
