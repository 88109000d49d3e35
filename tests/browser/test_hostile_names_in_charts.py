"""Names on the map reach the tooltip as text, never as HTML: an enterprise or platform name
with markup shows the markup literally and adds no element to the page (the CSP would stop a
script, but not markup, and no page should depend on that)."""

from __future__ import annotations

import pytest

from .test_pages_in_chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

HOSTILE = '<b id="injected">粗体</b><img src=x onerror="document.title=1">'


def test_map_tooltips_show_names_as_text(watched_page, live_url):
    page, watch = watched_page
    log_in(page, live_url, "leader")
    page.goto(f"{live_url}/dashboard/map/")
    page.wait_for_selector("#map[data-ready='1']")
    shown = page.evaluate(
        """(name) => {
            const chart = echarts.getInstanceByDom(document.getElementById('map'));
            const format = chart.getOption().tooltip[0].formatter;
            const county = format({seriesIndex: 0, name: name, value: 1});
            const platform = format({seriesIndex: 1, name: name, data: {role: name, tier: 1, metric: 2}});
            const firm = format({seriesIndex: 2, data: [0, 0, 0, name, 'X']});
            return [county, platform, firm].map((node) => ({
                element: node instanceof HTMLElement,
                markup: node instanceof HTMLElement ? node.querySelector('b, img') !== null : true,
                text: node instanceof HTMLElement ? node.textContent : String(node),
            }));
        }""",
        HOSTILE,
    )
    for tooltip in shown:
        assert tooltip["element"] and not tooltip["markup"], tooltip
        assert HOSTILE in tooltip["text"]
    assert page.locator("#injected").count() == 0
    watch.assert_clean()
