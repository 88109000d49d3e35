"""The demo leaves every role something to do and no module page empty; the plan's
organisational rules are measured and checked with warnings."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from pingtai.accounts.models import User
from pingtai.registry.models import EnterpriseYear, Platform

pytestmark = pytest.mark.django_db

ROLES = ["admin", "leader", "pt_ls01", "pt_ls03", "pt_ls07", "dept_tax", "dept_power"]


def test_demo_staff_and_bodies_change_by_year_so_both_2021_targets_are_measured():
    from pingtai.league.demo import quarterly_values

    totals = {
        p: {k: Decimal(1) for k in ("output", "output_above", "va_above", "tax", "rd")}
        for p in Platform.objects.all()
    }
    for values in totals.values():
        values["n_above"] = Decimal(10)
    staff = {
        year: sum(quarterly_values(p, year, 4, totals[p], None)["management_staff"] for p in totals)
        for year in (2023, 2024)
    }
    base = sum(p.staff_count for p in totals)
    assert base == 1096  # the register's figure is the 2019 base of the plan
    assert staff[2024] <= staff[2023] < base  # shrinking, so progress is not zero
    bodies = sum(quarterly_values(p, 2024, 4, totals[p], None)["management_bodies"] for p in totals)
    assert bodies < 80


def test_after_the_demo_every_role_has_a_task_and_no_module_page_is_empty(login):
    from pingtai.allocation.models import AllocationRun, ProjectProposal, QuotaPool
    from pingtai.league.demo import load_demo
    from pingtai.ops.demo_tasks import load_demo_tasks
    from pingtai.planning.models import Agreement, ClassificationRun, Settlement
    from pingtai.reporting.models import ReportingPeriod

    admin = User.objects.get(username="admin")
    # Two reported quarters are enough: 2024Q1 is the latest, so 2024Q2 opens, and 2023Q2 is
    # its same period last year.
    load_demo(admin=admin, quarters=["2023Q2", "2024Q1"])
    lines = load_demo_tasks(admin).lines
    assert not [line for line in lines if line.startswith("未完成")], lines
    assert ReportingPeriod.objects.get(code="2024Q2").is_open
    assert QuotaPool.objects.count() == 1 and AllocationRun.objects.count() == 1
    assert ProjectProposal.objects.count() == 3
    assert Agreement.objects.count() >= 2 and Settlement.objects.exists()
    assert ClassificationRun.objects.filter(status="draft").count() == 1

    for username in ROLES:
        page = login(username).get("/reporting/inbox/").content.decode()
        count = re.search(r"待办（(\d+)）", page)
        assert count and int(count.group(1)) >= 1, username

    admin_client = login("admin")
    inbox = admin_client.get("/reporting/inbox/").content.decode()
    assert "待审核（1）" in inbox and "待领导小组审定（1）" in inbox
    ls01 = admin_client.get(
        "/reporting/requirements/"
        f"{ReportingPeriod.objects.get(code='2024Q2').requirements.get(platform__code='LS01').pk}/"
    ).content.decode()
    assert 'class="suspected"' in ls01 and "千元" in ls01
    returned = login("pt_ls03").get("/reporting/inbox/").content.decode()
    assert "已退回（1）" in returned and "研发经费支出" in returned
    leader = login("leader").get("/reporting/inbox/").content.decode()
    assert "与《总体方案》不一致" in leader

    admin_client = login("admin")
    for url, words in (
        ("/allocation/", "用地"),
        ("/planning/", "并提撤转分类第"),
        ("/planning/agreements/", "DEMO-LK"),
    ):
        assert words in admin_client.get(url).content.decode(), url


def test_leadership_cap_and_staff_reduction_are_checked_with_warnings(login):
    from pingtai.dashboard.services import build_cockpit

    year = max(EnterpriseYear.objects.values_list("year", flat=True))
    assert not [w for w in build_cockpit(year, "tier").organisation if "领导职数" in w.text]
    Platform.objects.filter(code="LS02").update(leadership_posts=5)
    cockpit = login("leader").get("/dashboard/").content.decode()
    assert "组织规则检查" in cockpit
    assert "莲都经开区领导职数 5 名，超过方案" in cockpit and "上限 4 名" in cockpit
    page = login("leader").get("/platforms/LS02/").content.decode()
    assert "领导职数 5 名" in page
