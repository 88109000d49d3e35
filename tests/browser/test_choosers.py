"""Choosing by name in the browser: agreement parties and enterprises, merger zones — a search
box narrows the list, a click adds the entry (no codes typed, no Ctrl-click)."""

from __future__ import annotations

import pytest

from pingtai.registry.models import Enterprise, FormerZone

from .test_pages_in_chromium import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_parties_and_enterprises_are_chosen_by_name(watched_page, live_url, screenshot):
    page, watch = watched_page
    log_in(page, live_url, "admin")
    page.goto(f"{live_url}/planning/agreements/", wait_until="networkidle")
    parties = page.locator("#party-picker")
    page.locator("#party-picker").locator("xpath=preceding-sibling::input[1]").fill("丽水经开区")
    visible = parties.locator("option:not([hidden])")
    assert visible.count() >= 1 and "丽水经开区" in visible.first.inner_text()
    parties.select_option(label="平台 丽水经开区")
    assert page.locator("#id_parties").input_value().startswith("平台 丽水经开区 ")

    firm = Enterprise.objects.filter(platform__code="LS01").order_by("uscc").first()
    search = page.locator("#enterprise-picker").locator("xpath=preceding-sibling::input[1]")
    search.fill(firm.name[:6])
    page.locator(f"#enterprise-picker option[value='{firm.uscc}']").wait_for(state="attached")
    page.locator("#enterprise-picker").select_option(firm.uscc)
    assert firm.uscc in page.locator("#id_enterprises").input_value()
    screenshot(page, "agreement-choosers")
    watch.assert_clean()


def test_merger_zones_are_found_by_name_and_toggled_by_click(watched_page, live_url):
    page, watch = watched_page
    log_in(page, live_url, "leader")
    page.goto(f"{live_url}/planning/simulate/", wait_until="networkidle")
    zone = FormerZone.objects.select_related("county").order_by("code").first()
    page.locator("#sim-zones").locator("xpath=preceding-sibling::input[1]").fill(zone.name)
    option = page.locator("#sim-zones option:not([hidden])").first
    assert zone.name in option.inner_text()
    option.click()
    assert "已选 1 项" in page.locator(".chooser-chosen").inner_text()
    assert page.locator("#sim-zones").evaluate("s => [...s.selectedOptions].length") == 1
    watch.assert_clean()
