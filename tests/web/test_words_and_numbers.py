"""Words instead of codes, one number formatter, units on both sides of a comparison, and
Chinese error pages in the site's layout (docs/glossary.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pingtai.core import numbers, terms
from pingtai.targets import load_targets


def test_amounts_switch_to_yi_at_one_yi_and_keep_their_unit():
    assert numbers.money(14051600) == "1,405.16 亿元"
    assert numbers.money(Decimal("9999.994")) == "9,999.99 万元"
    assert numbers.money(Decimal("12.5"), "万元/亩") == "12.50 万元/亩"
    assert numbers.money(None) == "—" and numbers.money("") == "—"
    assert numbers.money(float("nan")) == "—"
    assert numbers.money(Decimal("-0.001")) == "0.00 万元"


def test_two_compared_amounts_share_one_unit():
    threshold, total = numbers.money_pair(1_000_000, Decimal("34936930.6"))
    assert threshold == "100.00 亿元" and total == "3,493.69 亿元"
    small, big = numbers.money_pair(5000, 20000)
    assert small.endswith(" 亿元") and big.endswith(" 亿元")
    assert numbers.money_pair(10, 20) == ("10.00 万元", "20.00 万元")


def test_a_value_beside_its_target_is_written_in_the_goal_unit():
    plan = load_targets()
    money_targets = [t for t in plan.targets if t.unit == "万元" and t.goal]
    assert money_targets, "the plan has targets in 万元"
    for target in money_targets:
        goal_unit = target.goal_text.split()[-1]
        assert target.value_text(Decimal("34936930.6")).endswith(goal_unit)
        assert target.value_text(Decimal(12)).endswith(goal_unit)


def test_counts_are_whole_wherever_the_unit_says_so():
    # The unit alone decides the decimals: a count (个/家/人/项/次) never shows ".00".
    for unit in ("个", "家", "人", "项", "次"):
        assert numbers.number_in(Decimal("119.00"), unit) == "119"
        assert numbers.quantity(Decimal("380"), unit) == f"380 {unit}"
    assert numbers.number_in(Decimal("1234.5"), "个") == "1,235"
    assert numbers.number_in(Decimal("56.648"), "%") == "56.65"
    assert numbers.quantity(Decimal("56.648"), "%") == "56.65%"
    assert numbers.number_in(Decimal("12.345"), "亩") == "12.35"
    assert numbers.number_in(None, "个") == "—"


def test_percentage_points_never_carry_a_percent_sign():
    assert numbers.percentage_points(Decimal("0.03"), 0) == "3 个百分点"
    assert "%" not in numbers.percentage_points(0.125)
    assert numbers.signed_percent(Decimal("0.05")) == "+5.0%"
    assert numbers.signed_percent(Decimal("-0.05")) == "-5.0%"


def test_codes_become_names():
    assert terms.form_name("platform_quarterly") == "平台主要指标季度报表"
    assert terms.source_name("tax") == "税务"
    assert terms.period_name("2024Q4") == "2024年第四季度"
    assert terms.period_name("2024H1") == "2024年上半年"
    assert terms.period_name("2024") == "2024年度"
    assert terms.tier_name("T1") == "第一梯队"
    assert "lishui" not in terms.method_name("lishui-mujun-default", "0.1")
    assert terms.method_name("lishui-mujun-default", "0.1").endswith("（第 0.1 版）")
    assert terms.rule_name("land-platform-default").startswith("新增建设用地指标")
    assert "不参评" in terms.class_name("T")
    assert terms.issue_rule_name("unit_word") == "数值带单位文字"
    # An unknown code never comes back as the code itself.
    assert terms.form_name("no_such_form") == terms.UNKNOWN
    # an industry code is read by its 大类 name, the code kept after it for reference
    assert terms.industry_name("C3484") == "通用设备制造业（C3484）"
    assert terms.industry_name("C9999") == "C9999" and terms.industry_name(None) == "—"
    assert terms.method_name("no-such-method") == terms.UNKNOWN


def test_working_note_references_are_removed_from_displayed_text():
    text = "亩均值按合计增加值÷合计用地面积计算（比值之和，methods.md §4）"
    assert terms.plain_text(text) == "亩均值按合计增加值÷合计用地面积计算（比值之和）"
    assert terms.plain_text("基期取2019年（U-05）") == "基期取2019年"
    assert terms.plain_text("methods.md §2.8：湖州的做法") == "湖州的做法"
    # the register cites its sources by code; the page lists them by title instead
    assert (
        terms.plain_text("面积5.65平方公里（S04）；升格（S11、S16）。")
        == "面积5.65平方公里；升格。"
    )
    assert terms.plain_text("（城东13.03＋城西0.47，S15）") == "（城东13.03＋城西0.47）"


@pytest.mark.django_db
def test_names_of_register_codes(client):
    assert terms.platform_name("LS01") == "丽水经开区"
    assert terms.platform_name("LS01", short=False) == "丽水经济技术开发区"
    assert terms.county_name("331102") == "莲都区"
    assert terms.platform_name("XX99") == terms.UNKNOWN


@pytest.mark.django_db
def test_merger_simulation_compares_in_one_unit(login):
    page = login("admin").get("/planning/simulate/?year=2024&platform=LS01&platform=LS02")
    body = page.content.decode()
    assert page.status_code == 200 and "目标进度" in body
    # "≥ 100 亿元" is compared with a total in 亿元, never with "3,493,693.06 万元".
    import re

    rows = re.findall(r"<tr><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td>", body)
    compared = [(goal, value) for goal, value in rows if goal.startswith(("≥", "≤"))]
    assert compared
    for goal, value in compared:
        assert goal.split()[-1] == value.split()[-1], (goal, value)


@pytest.mark.django_db
def test_cockpit_legend_speaks_of_percentage_points_without_a_percent_sign(login):
    body = login("leader").get("/dashboard/").content.decode()
    assert "个百分点" in body
    assert "% 个百分点" not in body


@pytest.mark.django_db
def test_error_pages_are_chinese_and_in_the_site_layout(login):
    client = login("pt_ls01")
    missing = client.get("/platforms/NOPE/")
    assert missing.status_code == 404
    body = missing.content.decode()
    assert "页面不存在（404）" in body and 'class="topbar"' in body
    assert "Not Found" not in body and "matches the given query" not in body

    refused = client.get("/planning/simulate/")
    assert refused.status_code == 403
    body = refused.content.decode()
    assert "无权访问（403）" in body and 'class="topbar"' in body and "Forbidden" not in body


@pytest.mark.django_db
def test_csrf_refusal_is_chinese(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "leader", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body and "CSRF" not in body


@pytest.mark.django_db
def test_admin_lists_no_english_model_names(login):
    body = login("admin").get("/admin/").content.decode()
    assert "TOTP" not in body and "Otp" not in body


def test_admin_run_lists_name_runs_methods_and_rules_in_words():
    from django.contrib import admin

    from pingtai.allocation.models import AllocationRun, PostEvaluation
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.league.models import LeagueRun, TierProposal

    for model in (LeagueRun, AllocationRun, EvaluationRun, TierProposal, PostEvaluation):
        columns = admin.site._registry[model].list_display
        # file ids, period codes and database numbers are shown through a named column
        assert not any(c.endswith(("_id", "_code")) or c == "id" for c in columns), model
