"""The header at 1366 px, the cockpit's first screen at 1366×768 and the main pages at phone
width (390 px, Chromium's mobile emulation), with screenshots kept (test-artifacts/)."""

from __future__ import annotations

import datetime as dt

import pytest

from pingtai.accounts.models import User
from pingtai.registry.models import Enterprise
from pingtai.reporting.models import Requirement
from pingtai.reporting.services import period_open

from .conftest import SCREENSHOTS
from .test_pages_in_chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
# The upload form's quarter and the evaluation pages' published run are prepared in the test's
# transaction: the server must see them and they must be rolled back with the test, on SQLite and
# on PostgreSQL alike (tests/browser/conftest.py).
SERVER_SHARES_TEST_CONNECTION = True

STATUS_WORDS = {"绿灯", "黄灯", "红灯", "无数据", "暂无数据", "不适用"}


@pytest.mark.parametrize("username", ["admin", "pt_ls01"])
def test_the_grouped_menu_holds_one_line_at_1366(sized_page, live_url, screenshot, username):
    page = sized_page(1366, 768)
    log_in(page, live_url, username)
    header = page.locator(".topbar").bounding_box()
    assert header is not None and header["height"] <= 64, header
    # Every group opens and shows its entries.
    toggles = page.locator(".topbar nav .menu-toggle")
    for index in range(toggles.count()):
        toggles.nth(index).click()
        items = page.locator(".topbar nav .menu-toggle[aria-expanded='true'] + .menu-items a")
        assert items.count() >= 1 and items.first.is_visible()
    page.locator(".who .menu-toggle").click()
    assert page.locator(".who .menu-items a", has_text="修改密码").is_visible()
    assert page.locator(".who .menu-items a", has_text="两步验证设置").is_visible()
    screenshot(page, f"menu-1366-{username}")


def test_the_cockpit_first_screen_answers_which_platform_is_behind(
    sized_page, live_url, screenshot
):
    page = sized_page(1366, 768)
    log_in(page, live_url, "leader")
    board = page.locator("table.compact-board")
    box = board.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 768, box
    rows = board.locator("tbody tr")
    assert rows.count() == 11
    badges = board.locator("tbody .status")
    assert badges.count() >= 11
    assert {t.strip() for t in badges.all_inner_texts()} <= STATUS_WORDS
    changes = page.locator(".rank-changes")
    assert changes.is_visible()
    assert changes.locator("li").count() == 11 or "不可计算" in changes.inner_text()
    details = page.locator("h2", has_text="历年走势").bounding_box()
    assert details is not None and details["y"] > 768  # details below the fold
    screenshot(page, "cockpit-1366-full")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "cockpit-1366x768-first-screen.png"))


def _phone_pages(username: str) -> list[str]:
    uscc = (
        Enterprise.objects.filter(platform__code="LS01")
        .order_by("uscc")
        .values_list("uscc", flat=True)[0]
    )
    pages = ["/", "/dashboard/", "/dashboard/map/", "/platforms/", "/platforms/LS01/"]
    pages += ["/platforms/LS01/enterprises/", f"/enterprises/{uscc}/", "/reporting/inbox/"]
    pages += ["/reporting/"]
    return pages


@pytest.mark.parametrize("username", ["leader", "pt_ls01"])
def test_main_pages_are_usable_at_phone_width(sized_page, live_url, screenshot, username):
    page = sized_page(390, 844, mobile=True)
    log_in(page, live_url, username)
    for path in _phone_pages(username):
        response = page.goto(live_url + path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
        # No sideways scrolling of the page itself; wide tables scroll inside their own box.
        # Measured against the phone's 390 px, not the layout's own width: mobile emulation
        # widens the layout viewport to fit overflowing content, so clientWidth grows with it.
        width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 390, (path, width)
        assert page.locator("h1").first.is_visible(), path
        screenshot(page, f"phone-{username}{path.replace('/', '_')}")
    # The menu is one button that opens the groups.
    page.goto(live_url + "/", wait_until="networkidle")
    assert page.locator(".menu-button").is_visible()
    assert not page.locator(".topbar nav").is_visible()
    page.locator(".menu-button").click()
    assert page.locator(".topbar nav").is_visible()


# Every visible control in the page's main part, with its box; wide tables are measured apart.
READ_CONTROLS = """
() => {
  const visible = (e) => e.offsetParent !== null && getComputedStyle(e).visibility !== "hidden";
  const controls = [...document.querySelectorAll(
    "main input:not([type=hidden]), main button, main select, main textarea, main a.button"
  )].filter(visible).map((e) => {
    const r = e.getBoundingClientRect();
    return { what: e.name || e.innerText.trim() || e.type, left: r.left, right: r.right,
             width: r.width, height: r.height };
  });
  const cells = [...document.querySelectorAll("main table.data th, main table.data td")]
    .filter(visible).map((c) => ({ text: c.innerText.trim(), width: c.getBoundingClientRect().width }));
  return { scroll: document.scrollingElement.scrollWidth, inner: innerWidth, controls, cells };
}
"""


def test_the_upload_form_and_the_inbox_are_usable_at_phone_width(sized_page, live_url, screenshot):
    """The platform user's quarterly upload page and its inbox at 390 px: the page never scrolls
    sideways, every field and button lies inside the screen and is finger-sized, and a table
    too wide for the screen scrolls inside its own box instead of squeezing its columns."""
    # The test dataset opens no quarter: one is opened here, in the test's transaction.
    period = period_open(
        "2024Q4",
        user=User.objects.get(username="admin"),
        deadline=dt.date.today() + dt.timedelta(days=20),
    )
    requirement = Requirement.objects.get(
        period=period, platform__code="LS01", form_code="platform_quarterly"
    )
    page = sized_page(390, 844, mobile=True)
    log_in(page, live_url, "pt_ls01")
    for path, name in (
        (f"/reporting/requirements/{requirement.pk}/", "upload"),
        ("/reporting/inbox/", "inbox"),
    ):
        response = page.goto(live_url + path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
        read = page.evaluate(READ_CONTROLS)
        # Against the phone's 390 px (mobile emulation widens innerWidth to fit the content).
        assert read["scroll"] <= 390, (path, read["scroll"])
        for control in read["controls"]:
            assert control["left"] >= 0 and control["right"] <= 390, (path, control)
            assert control["height"] >= 40 and control["width"] >= 44, (path, control)
        for cell in read["cells"]:
            # Two characters a line at least: a column is never squeezed to one.
            assert cell["width"] >= 40 or not cell["text"], (path, cell)
        screenshot(page, f"phone-pt_ls01-{name}")
        if name == "upload":
            names = {c["what"] for c in read["controls"]}
            assert {"file", "上传并校验", "下载填报模板"} <= names, names
            page.locator("input[type=file]").set_input_files(
                files=[
                    {"name": "季报.xlsx", "mimeType": "application/octet-stream", "buffer": b"x"}
                ]
            )
            assert page.locator("button", has_text="上传并校验").is_visible()


# The box of a chart's legend and of its x axis (line, ticks and labels), in chart pixels.
READ_LEGEND_AND_AXIS = """
(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const model = chart.getModel();
  const box = (kind) => {
    const group = chart.getViewOfComponentModel(model.getComponent(kind)).group;
    const r = group.getBoundingRect().clone();
    r.applyTransform(group.getComputedTransform());
    return [r.x, r.y, r.width, r.height];
  };
  return { legend: box('legend'), axis: box('xAxis') };
}
"""


def test_evaluation_pages_fit_the_phone_and_the_cockpit_details_read_at_1366(
    sized_page, live_url, screenshot
):
    """With a published evaluation: the evaluation list and the filing-on-behalf page never
    scroll sideways at 390 px; at 1366 px the cockpit's detailed target table keeps each
    platform name on one line and no chart's x-axis labels run into its legend."""
    from pingtai.evaluation.services import run_evaluation, run_publish

    admin = User.objects.get(username="admin")
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    # The firm with the longest name, chosen: its name and code fill the chooser.
    firm = max(
        run.results.filter(enterprise__platform__code="LS01").values_list("uscc", "name"),
        key=lambda r: len(r[1]),
    )
    for username, path in (
        ("admin", "/evaluation/"),
        ("pt_ls01", f"/firm/office/runs/{run.pk}/file/?firm={firm[0]}"),
    ):
        page = sized_page(390, 844, mobile=True)
        log_in(page, live_url, username)
        response = page.goto(live_url + path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
        read = page.evaluate(READ_CONTROLS)
        # Against the phone's 390 px, not innerWidth: mobile emulation widens the layout
        # viewport to whatever the content needs.
        assert read["scroll"] <= 390, (path, read["scroll"])
        for control in read["controls"]:
            assert control["left"] >= 0 and control["right"] <= 390, (path, control)
        screenshot(page, f"phone-{username}{path.split('?')[0].replace('/', '_')}")

    page = sized_page(1366, 768)
    log_in(page, live_url, "leader")
    page.goto(live_url + "/dashboard/", wait_until="networkidle")
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.target-board:not(.compact-board) tbody th a')]
             .map((a) => [a.textContent, a.getClientRects().length])"""
    )
    assert len(lines) == 11 and all(n == 1 for _, n in lines), lines
    for chart in ("chart-platforms", "chart-classes"):
        read = page.evaluate(READ_LEGEND_AND_AXIS, chart)
        lx, ly, lw, lh = read["legend"]
        ax, ay, aw, ah = read["axis"]
        overlap = lx < ax + aw and ax < lx + lw and ly < ay + ah and ay < ly + lh
        assert not overlap, (chart, read)
    screenshot(page, "cockpit-1366-details")
