"""The enterprise loop in Chromium, at phone width for the firm: a D firm disputes its tax figure
with evidence during the 复核 公示, its platform passes the objection on, the tax department
accepts it, the city re-grades (a different person publishes), and the firm's class, its
letter and the run's diff (naming the objection) follow."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pingtai.accounts.models import User
from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.cli import main
from pingtai.core.terms import class_name
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.services import run_evaluation, run_publish
from pingtai.firm.models import Objection
from pingtai.firm.sheet import snapshot_row
from pingtai.firm.windows import open_window
from pingtai.runs.selectors import current_published

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The run, the window and the firm's account are prepared in the test's transaction, and the
# objection and the re-graded run are written from the browser: the server must see that data and
# what it writes must be rolled back with the test, on SQLite and on PostgreSQL alike
# (tests/browser/conftest.py).
SERVER_SHARES_TEST_CONNECTION = True
PHONE = {"width": 390, "height": 844}


def _session(browser, live_url: str, username: str, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 120, 40)).save(out, "PNG")
    return out.getvalue()


def test_the_enterprise_loop_in_chromium(browser, live_url, screenshot):
    admin = User.objects.get(username="admin")
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    open_window(run, "result", user=admin, days=5)
    result = run.results.filter(platform_code="LS01", klass="D").order_by("uscc").first()
    firm = result.enterprise
    account = User(username="qy_journey", role=User.Role.ENTERPRISE, enterprise=firm)
    account.set_password(DEMO_PASSWORD)
    account.save()
    claimed = round(snapshot_row(run, firm.uscc)["tax_wan"] * 40 + 2000, 2)

    # 1. The firm, on a phone: its 一企一单, then an objection with a scanned certificate.
    context, page = _session(browser, live_url, "qy_journey", PHONE)
    assert page.url.endswith("/firm/")
    page.click(f"a[href='/firm/runs/{run.pk}/']")
    assert "实缴税金（万元）" in page.inner_text("main")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"页面宽于手机屏幕：{width}px"
    form = page.locator(f"form[action='/firm/runs/{run.pk}/object/']")
    form.locator("select[name=kind]").select_option("value")
    form.locator("select[name=field]").select_option("tax_wan")
    form.locator("input[name=claimed]").fill(str(claimed))
    form.locator("textarea[name=reason]").fill("第四季度入库税款漏报，附完税证明")
    form.locator("input[name=evidence]").set_input_files(
        files=[{"name": "完税证明.png", "mimeType": "image/png", "buffer": _png()}]
    )
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    obj = Objection.objects.get(enterprise=firm)
    assert obj.number in page.inner_text("main") and "待处理" in page.inner_text("main")
    screenshot(page, "enterprise-objection-phone")

    # The platform files for another of its firms, found by part of its name.
    neighbour = run.results.filter(platform_code="LS01").exclude(uscc=firm.uscc).first()
    office, office_page = _session(browser, live_url, "pt_ls01")
    office_page.goto(f"{live_url}/firm/office/runs/{run.pk}/objections/")
    with office_page.expect_navigation():
        office_page.click("text=代企业提出异议")
    office_page.fill("input[name=q]", neighbour.name[:4])
    with office_page.expect_navigation():
        office_page.press("input[name=q]", "Enter")
    office_page.select_option("select[name=firm]", neighbour.uscc)
    with office_page.expect_navigation():
        office_page.click("form:has(select[name=firm]) button[type=submit]")
    office_page.select_option("select[name=kind]", "special")
    office_page.fill("textarea[name=reason]", "企业反映厂房去年遭受洪灾停产三个月")
    with office_page.expect_navigation():
        office_page.click("form[enctype] button[type=submit]")
    filed = Objection.objects.get(enterprise=neighbour.enterprise)
    assert office_page.url.endswith(f"/firm/office/objections/{filed.number}/")
    assert "平台代为提出" in office_page.inner_text("main")
    office.close()

    # 2. The platform passes it on; 3. the tax department accepts it.
    for username, action, reason in (
        ("pt_ls01", "receive", "材料齐全，转税务部门核实"),
        ("dept_tax", "accept", "经核对金税系统，漏报属实"),
    ):
        office, office_page = _session(browser, live_url, username)
        office_page.goto(f"{live_url}/firm/office/objections/{obj.number}/")
        office_page.select_option("select[name=action]", action)
        office_page.fill("textarea[name=reason]", reason)
        with office_page.expect_navigation():
            office_page.click("form[action$='/act/'] button[type=submit]")
        office.close()
    obj.refresh_from_db()
    assert obj.status == "upheld" and obj.decided_by.username == "dept_tax"

    # 4. The city re-grades: a different person from the decider publishes.
    reason = "采纳异议后复核"
    code = ["mujun", "run", "--year", "2024", "--supersede", str(run.pk), "--reason", reason]
    assert main([*code, "--publish", "--user", "admin"]) == 0
    new = current_published(EvaluationRun, year=2024)
    after = new.results.get(uscc=firm.uscc)
    assert after.klass != "D"
    assert main(["letters", "--run", str(new.pk), "--uscc", firm.uscc]) == 0

    # 5. The firm sees the outcome, its new class and its letter.
    page.goto(f"{live_url}/firm/")
    home = page.inner_text("main")
    assert class_name(after.klass) in home and "评价结果告知书" in home
    with page.expect_download() as download:
        page.click(f"a[href='/firm/runs/{new.pk}/letter.pdf']")
    assert download.value.path().read_bytes().startswith(b"%PDF")
    page.goto(f"{live_url}/firm/objections/{obj.number}/")
    shown = page.inner_text("main")
    assert "已采纳" in shown and f"{new.year}年度亩均效益评价第{new.pk}号批次" in shown
    context.close()

    # 6. The run page explains the change by the objection.
    city, city_page = _session(browser, live_url, "admin")
    city_page.goto(f"{live_url}/evaluation/runs/{new.pk}/")
    diff = city_page.locator("section.publication").inner_html()
    assert f"异议 {obj.number}" in diff and "实缴税金" in diff
    screenshot(city_page, "enterprise-regrade-diff")
    city.close()
