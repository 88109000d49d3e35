"""Every page of the menu, for each kind of user, in real Chromium: it renders a heading, runs
without a JavaScript error or a failed request, and asks no other host for anything."""

from __future__ import annotations

import pytest

from .test_pages_in_chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("username", ["admin", "leader", "pt_ls03", "dept_tax"])
def test_every_menu_entry_loads_cleanly(watched_page, live_url, screenshot, username):
    page, watch = watched_page
    log_in(page, live_url, username)
    links = page.eval_on_selector_all(
        ".topbar nav a", "links => links.map(a => [a.textContent, a.href])"
    )
    assert len(links) >= 5
    for label, href in links:
        if "/admin/" in href:
            continue
        response = page.goto(href, wait_until="networkidle")
        assert response is not None and response.status == 200, (label, href)
        assert page.locator("h1").count() >= 1, (label, href)
        screenshot(page, f"menu-{username}-{label}")
    watch.assert_clean()
