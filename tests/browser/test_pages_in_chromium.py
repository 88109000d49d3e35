"""Every page loads in real Chromium with no JavaScript error, no failed request and no
request to any host other than the test server (such requests are aborted and counted)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.registry.models import Enterprise

# django_db (not transactional): pytest-django only creates the test database when a collected
# test asks for it, and a flush-free transaction is what keeps the demo data intact.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def log_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/")


def menu_item(page, group: str, label: str) -> None:
    """Open a group of the top menu and choose one of its entries, as a person would."""
    page.click(f".topbar nav .menu-toggle:text-is('{group}')")
    page.click(f".topbar nav .menu-items a:text-is('{label}')")


def test_leader_walks_through_home_platform_cockpit_and_map(watched_page, live_url, screenshot):
    page, watch = watched_page
    log_in(page, live_url, "leader")
    assert "一心两翼三片区" in page.content()
    screenshot(page, "home-leader")

    page.goto(f"{live_url}/platforms/LS01/", wait_until="networkidle")
    assert page.locator("h1").inner_text() == "丽水经济技术开发区"
    screenshot(page, "platform-LS01")

    menu_item(page, "驾驶舱", "驾驶舱")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_url}/dashboard/"
    for chart in ("#chart-trend", "#chart-per-mu", "#chart-platforms"):
        assert page.locator(f"{chart} canvas").count() == 1, chart
    assert page.locator(".status").count() > 0
    assert page.locator(
        ".status-green, .status-yellow, .status-red"
    ).first.inner_text().strip() in {"绿灯", "黄灯", "红灯"}
    screenshot(page, "cockpit-leader")

    page.select_option("select[name=group]", "role")
    page.wait_for_url("**/dashboard/?*group=role*")
    page.wait_for_load_state("networkidle")
    assert page.locator("h3.group-title", has_text="三片区").count() == 1

    menu_item(page, "驾驶舱", "地图")
    page.wait_for_selector("#map[data-ready='1']")
    assert page.locator("#map canvas").count() >= 1
    assert page.locator("#county-list li").count() == 9
    assert "有坐标" in page.locator("#enterprise-note").inner_text()
    screenshot(page, "map-leader")

    page.select_option("select[name=indicator]", "output")
    page.locator("#map-title", has_text="工业总产值").wait_for()
    page.wait_for_selector("#map[data-ready='1']")
    screenshot(page, "map-leader-output")
    watch.assert_clean()


def test_clicking_a_platform_marker_opens_the_platform_page(watched_page, live_url):
    page, watch = watched_page
    log_in(page, live_url, "leader")
    page.goto(f"{live_url}/dashboard/map/")
    page.wait_for_selector("#map[data-ready='1']")
    page.uncheck("input[name=enterprises]")
    page.locator("#enterprise-note", has_text="已隐藏").wait_for()
    page.wait_for_selector("#map[data-ready='1']")
    x, y = page.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.getElementById('map'));
            const platform = chart.getOption().series[1].data.find(p => p.url.endsWith('/LS03/'));
            return chart.convertToPixel({geoIndex: 0}, platform.value.slice(0, 2));
        }"""
    )
    box = page.locator("#map").bounding_box()
    # The pin's symbol box is centred on the point; a little above the centre is its round head.
    page.mouse.move(box["x"] + x, box["y"] + y - 6)
    page.locator("#map", has_text="点击进入平台页面").wait_for()  # the marker's tooltip: it is hit
    page.mouse.down()
    page.mouse.up()
    page.wait_for_url(f"{live_url}/platforms/LS03/")
    assert page.locator("h1").inner_text() == "浙江龙泉经济开发区"
    watch.assert_clean()


def test_platform_user_sees_only_its_own_enterprises_on_the_map(watched_page, live_url, screenshot):
    page, watch = watched_page
    # Looked up before the browser starts talking to the server that shares this connection.
    own = Enterprise.objects.filter(platform__code="LS03", lon__isnull=False).count()
    log_in(page, live_url, "pt_ls03")
    page.goto(f"{live_url}/dashboard/map/")
    page.wait_for_selector("#map[data-ready='1']")
    points = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('map')).getOption().series[2].data.length"
    )
    assert 0 < points <= own
    screenshot(page, "map-platform-user")
    page.goto(f"{live_url}/dashboard/", wait_until="networkidle")
    screenshot(page, "cockpit-platform-user")
    watch.assert_clean()


def test_the_guard_blocks_and_counts_requests_to_other_hosts(watched_page, live_url):
    """A navigation is not subject to the pages' Content-Security-Policy, so it reaches the
    route guard, which must abort it before any network traffic and count it."""
    page, watch = watched_page
    with pytest.raises(PlaywrightError, match="ERR_FAILED"):
        page.goto("http://cdn.example.invalid/echarts.js")
    assert watch.foreign == ["http://cdn.example.invalid/echarts.js"]
