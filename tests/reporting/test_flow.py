"""Approved data flows everywhere at once: an approval (and a corrected approval) is found on
the platform page, the map, the cockpit and the API; an approved enterprise list registers its
new firms, which get a page and appear in the next department template."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pingtai.accounts.models import User
from pingtai.league.demo import fill_template
from pingtai.registry.models import Enterprise, Platform
from pingtai.reporting.models import Requirement, Submission
from pingtai.reporting.services import period_open, requirement_template, submission_upload
from pingtai.reporting.workflow import submission_transition
from pingtai.standards import uscc

from .conftest import QUARTERLY

pytestmark = pytest.mark.django_db


def _admin() -> User:
    return User.objects.get(username="admin")


def _step(requirement, action: str, user: User, **extra) -> Submission:
    sub = Submission.objects.get(requirement=requirement)
    return submission_transition(sub.pk, action, user=user, seen_revision=sub.revision, **extra)


def _report(requirement, values: dict, reason: str = "") -> None:
    officer = User.objects.get(platform=requirement.platform, role=User.Role.PLATFORM)
    data = fill_template(requirement_template(requirement), values)
    attempt = submission_upload(
        requirement, user=officer, data=data, filename="季报.xlsx", reason=reason
    )
    assert attempt.outcome == "accepted", attempt.message
    if Submission.objects.get(requirement=requirement).status != "submitted":
        _step(requirement, "submit", officer)
    _step(requirement, "approve", _admin())


def _everywhere(login, api_token: str) -> dict[str, str]:
    """What the platform page, the map data, the cockpit and the API say, as text."""
    leader = login("leader")
    headers = {"Authorization": f"Bearer {api_token}"}
    return {
        "page": leader.get("/platforms/LS01/").content.decode(),
        "map": json.dumps(
            leader.get("/dashboard/map/data.json", {"year": 2024}).json(), ensure_ascii=False
        ),
        "cockpit": leader.get("/dashboard/", {"year": 2024}).content.decode(),
        "api": json.dumps(
            leader.get("/api/platforms/LS01", headers=headers).json(), ensure_ascii=False
        ),
    }


def _staff_card(cockpit: str) -> str:
    start = cockpit.index("管理人员数量缩减30%")
    return cockpit[start : start + 1500]


def test_an_approved_and_then_corrected_value_is_found_on_every_output(login):
    from pingtai.api.services import token_create

    period = period_open("2024Q4", user=_admin(), deadline=dt.date(2025, 1, 20))
    for platform in Platform.objects.order_by("code"):
        requirement = Requirement.objects.get(
            period=period, form_code="platform_quarterly", platform=platform
        )
        _report(requirement, {**QUARTERLY, "management_staff": 70})
    _, token = token_create(User.objects.get(username="leader"), "测试")

    seen = _everywhere(login, token)
    assert "2024年第四季度" in seen["page"] and "6.10 亿元" in seen["page"]
    assert '"tax_revenue": "61000"' in seen["api"] and '"period": "2024Q4"' in seen["api"]
    assert "税收收入 61,000 万元" in seen["map"] or '"tax_revenue": 61000.0' in seen["map"]
    assert "770" in _staff_card(seen["cockpit"])  # 11 platforms × 70 people, year-end 2024

    ls01 = Requirement.objects.get(period=period, platform__code="LS01")
    _step(ls01, "lock", _admin())
    _report(
        ls01,
        {**QUARTERLY, "tax_revenue": 62500, "management_staff": 80},
        reason="税务部门更正了12月入库数",
    )

    seen = _everywhere(login, token)
    assert "6.25 亿元" in seen["page"] and "6.10 亿元" not in seen["page"]
    assert '"tax_revenue": "62500"' in seen["api"]
    assert '"tax_revenue": 62500.0' in seen["map"]
    assert "780" in _staff_card(seen["cockpit"])


def _new_uscc() -> str:
    return uscc.complete("91331100MA2X9Q8H7")


def test_a_new_firm_in_an_approved_enterprise_list_gets_a_page_and_is_in_the_next_template(
    login,
):
    period = period_open("2025", user=_admin(), deadline=dt.date(2026, 3, 31))
    requirement = Requirement.objects.get(
        period=period, form_code="platform_enterprises", platform__code="LS01"
    )
    officer = User.objects.get(username="pt_ls01")
    book = openpyxl.load_workbook(io.BytesIO(requirement_template(requirement)))
    sheet = book["数据"]
    new = _new_uscc()
    assert not Enterprise.objects.filter(uscc=new).exists()
    sheet.append([new, "丽水新登记演示制造有限公司", "331102", "C3484", "规下", 12.5])
    out = io.BytesIO()
    book.save(out)

    client = login("pt_ls01")
    client.post(
        f"/reporting/requirements/{requirement.pk}/upload/",
        {"file": SimpleUploadedFile("名录.xlsx", out.getvalue())},
    )
    attempt = requirement.attempts.latest("id")
    if attempt.outcome == "confirm":
        client.post(
            f"/reporting/attempts/{attempt.pk}/",
            {"confirm": [c["id"] for c in attempt.confirmations]},
        )
        attempt = requirement.attempts.latest("id")
    assert attempt.outcome == "accepted", attempt.errors or attempt.message
    _step(requirement, "submit", officer)
    assert login("pt_ls01").get(f"/enterprises/{new}/").status_code == 404  # not yet approved

    admin = login("admin")
    page = admin.get(f"/reporting/requirements/{requirement.pk}/").content.decode()
    extra = {"slips_checked": "1", "reason": "已核实"} if 'name="slips_checked"' in page else {}
    sub = Submission.objects.get(requirement=requirement)
    admin.post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "approve", "revision": sub.revision, **extra},
    )
    assert Submission.objects.get(requirement=requirement).status == "approved"

    firm = Enterprise.objects.get(uscc=new)
    assert firm.platform.code == "LS01" and firm.county_id == "331102"
    page = login("pt_ls01").get(f"/enterprises/{new}/")
    assert page.status_code == 200 and "丽水新登记演示制造有限公司" in page.content.decode()

    tax = Requirement.objects.get(period=period, form_code="tax_enterprise")
    template = openpyxl.load_workbook(io.BytesIO(requirement_template(tax)))["数据"]
    assert new in [row[0] for row in template.iter_rows(min_row=3, values_only=True)]


def test_a_new_firm_outside_the_platforms_counties_refuses_the_approval(login):
    period = period_open("2025", user=_admin(), deadline=dt.date(2026, 3, 31))
    requirement = Requirement.objects.get(
        period=period, form_code="platform_enterprises", platform__code="LS01"
    )
    officer = User.objects.get(username="pt_ls01")
    book = openpyxl.load_workbook(io.BytesIO(requirement_template(requirement)))
    new = _new_uscc()
    # 331181 (龙泉) is not covered by 丽水经开区.
    book["数据"].append([new, "越界演示企业有限公司", "331181", "C3484", "规下", 10])
    out = io.BytesIO()
    book.save(out)
    attempt = submission_upload(requirement, user=officer, data=out.getvalue(), filename="x.xlsx")
    if attempt.outcome == "confirm":
        from pingtai.reporting.services import attempt_confirm

        attempt = attempt_confirm(
            attempt, user=officer, confirmed=[c["id"] for c in attempt.confirmations]
        )
    assert attempt.outcome == "accepted"
    _step(requirement, "submit", officer)
    from pingtai.core.refusal import Refused

    with pytest.raises(Refused, match="不在丽水经济技术开发区覆盖范围内"):
        _step(requirement, "approve", _admin(), slips_checked=True, reason="已核实")
    assert Submission.objects.get(requirement=requirement).status == "submitted"
    assert not Enterprise.objects.filter(uscc=new).exists()


def _tax_upload(requirement, taxes: dict[str, float]) -> None:
    """The tax office fills every prefilled row of its template and submits it."""
    from pingtai.reporting.services import attempt_confirm

    officer = User.objects.get(username="dept_tax")
    book = openpyxl.load_workbook(io.BytesIO(requirement_template(requirement)))
    sheet = book["数据"]
    for row in range(3, sheet.max_row + 1):
        sheet.cell(row=row, column=3, value=taxes[sheet.cell(row=row, column=1).value])
    out = io.BytesIO()
    book.save(out)
    attempt = submission_upload(requirement, user=officer, data=out.getvalue(), filename="税.xlsx")
    if attempt.outcome == "confirm":
        attempt = attempt_confirm(
            attempt, user=officer, confirmed=[c["id"] for c in attempt.confirmations]
        )
    assert attempt.outcome == "accepted", attempt.errors or attempt.message
    _step(requirement, "submit", officer)


def test_an_approved_department_tax_figure_reaches_the_firm_platform_cockpit_and_api(login):
    from decimal import Decimal

    from pingtai.api.services import token_create
    from pingtai.audit.models import AuditEvent
    from pingtai.core import numbers
    from pingtai.registry.models import EnterpriseYear
    from pingtai.registry.selectors import figures

    period = period_open("2024", user=_admin(), deadline=dt.date(2025, 3, 31))
    requirement = Requirement.objects.get(period=period, form_code="tax_enterprise")
    register = EnterpriseYear.objects.filter(year=2024)
    firm = register.select_related("enterprise__platform").order_by("-tax_wan")[0]
    uscc, platform = firm.enterprise.uscc, firm.enterprise.platform
    new_tax = firm.tax_wan + Decimal("50000.25")  # 5 亿 more: visible in every rounding
    taxes = {r.enterprise.uscc: float(r.tax_wan) for r in register.select_related("enterprise")}
    _tax_upload(requirement, {**taxes, uscc: float(new_tax)})
    before_platform = figures(register.filter(enterprise__platform=platform)).tax_wan
    before_city = figures(register).tax_wan
    _, token = token_create(User.objects.get(username="leader"), "测试")
    headers = {"Authorization": f"Bearer {token}"}
    leader = login("leader")
    cockpit = leader.get("/dashboard/", {"year": 2024}).content.decode()
    assert numbers.money(before_city, "万元") in cockpit  # what the cockpit said before

    _step(requirement, "approve", _admin(), slips_checked=True, reason="与税务系统核对一致")

    row = EnterpriseYear.objects.get(enterprise__uscc=uscc, year=2024)
    assert row.tax_wan == new_tax
    after_platform = figures(register.filter(enterprise__platform=platform)).tax_wan
    assert after_platform == before_platform + Decimal("50000.25")
    event = AuditEvent.objects.filter(action="update", object_type="reporting.Submission").last()
    assert event is not None and event.after["changed"] == [
        {"uscc": uscc, "field": "tax_wan", "before": f"{firm.tax_wan}", "after": f"{new_tax}"}
    ]

    leader = login("leader")
    firm_page = leader.get(f"/enterprises/{uscc}/").content.decode()
    assert numbers.fixed(new_tax, 2) in firm_page
    platform_page = leader.get(f"/platforms/{platform.code}/").content.decode()
    assert numbers.fixed(numbers.wan_to_yi(after_platform), 2) in platform_page
    assert numbers.fixed(numbers.wan_to_yi(before_platform), 2) not in platform_page
    cockpit = leader.get("/dashboard/", {"year": 2024}).content.decode()
    assert numbers.money(figures(register).tax_wan, "万元") in cockpit
    assert numbers.money(before_city, "万元") not in cockpit
    api_firm = leader.get(f"/api/enterprises/{uscc}", headers=headers).json()
    assert [Decimal(y["tax_wan"]) for y in api_firm["years"] if y["year"] == 2024] == [new_tax]
    api_platform = leader.get(f"/api/platforms/{platform.code}", headers=headers).json()
    assert Decimal(api_platform["figures"]["tax_wan"]) == after_platform
    points = leader.get("/dashboard/map/data.json", {"year": 2024, "indicator": "tax"}).json()
    [point] = [p for p in points["platforms"] if p["code"] == platform.code]
    assert point["value"] == numbers.yi_for_chart(after_platform)
    assert point["value"] != numbers.yi_for_chart(before_platform)


def _one_row(requirement, row: dict[str, object], username: str) -> None:
    """A department reports one firm only (the template's other rows removed), and is approved."""
    from pingtai.catalogue import default_catalogue
    from pingtai.reporting.services import attempt_confirm

    officer = User.objects.get(username=username)
    columns = default_catalogue().form(requirement.form_code).columns
    book = openpyxl.load_workbook(io.BytesIO(requirement_template(requirement)))
    sheet = book["数据"]
    sheet.delete_rows(3, sheet.max_row)
    sheet.append([row.get(code) for code in columns])
    out = io.BytesIO()
    book.save(out)
    attempt = submission_upload(
        requirement, user=officer, data=out.getvalue(), filename="报表.xlsx"
    )
    if attempt.outcome == "confirm":
        attempt = attempt_confirm(
            attempt, user=officer, confirmed=[c["id"] for c in attempt.confirmations]
        )
    assert attempt.outcome == "accepted", attempt.errors or attempt.message
    _step(requirement, "submit", officer)
    _step(requirement, "approve", _admin(), slips_checked=True, reason="已与原始台账核对")


def test_a_new_firm_gets_its_yearly_row_once_every_figure_of_it_is_approved(login):
    from decimal import Decimal

    from pingtai.registry.models import EnterpriseYear

    period = period_open("2025", user=_admin(), deadline=dt.date(2026, 3, 31))
    new = _new_uscc()
    name = "丽水新登记演示制造有限公司"
    listing = Requirement.objects.get(
        period=period, form_code="platform_enterprises", platform__code="LS01"
    )
    _one_row(
        listing,
        {
            "uscc": new,
            "enterprise_name": name,
            "county_code": "331102",
            "industry_code": "C3484",
            "scale": "规上",
            "land_area": 30,
        },
        "pt_ls01",
    )
    firm = Enterprise.objects.get(uscc=new)
    reports = [
        ("tax_enterprise", "dept_tax", {"tax_paid": 420}),
        ("power_enterprise", "dept_power", {"electricity": 650}),
        ("energy_enterprise", "dept_economy", {"energy_consumption": 900}),
        ("emission_enterprise", "dept_ecology", {"emissions": 3.5}),
        (
            "statistics_enterprise",
            "dept_statistics",
            {
                "industrial_output": 26000,
                "value_added": 5200,
                "revenue": 25000,
                "employees": 140,
                "rd_expenditure": 800,
            },
        ),
    ]
    for form, user, values in reports:
        # Until the last department has reported, the firm has no 2025 row: no page shows a
        # year of zeros as if they had been reported.
        assert not EnterpriseYear.objects.filter(enterprise=firm, year=2025).exists()
        requirement = Requirement.objects.get(period=period, form_code=form)
        _one_row(requirement, {"uscc": new, "enterprise_name": name, **values}, user)

    row = EnterpriseYear.objects.get(enterprise=firm, year=2025)
    assert (row.size_class, row.land_mu, row.tax_wan, row.output_wan) == (
        "规上",
        Decimal("30.00"),
        Decimal("420.00"),
        Decimal("26000.00"),
    )
    assert (row.employees, row.electricity_wan_kwh, row.emission_t) == (
        140,
        Decimal("650.00"),
        Decimal("3.50"),
    )
    page = login("admin").get(f"/enterprises/{new}/").content.decode()
    assert "<td>2025</td>" in page and "420.00" in page


def test_the_platform_page_shows_reported_profile_facts_and_one_magnitude_per_quantity(login):
    """The profile takes 管理人员 and 可开发面积 from the latest approved report (with its period)
    instead of the assumed figure; an amount of 1 亿 and more reads in 亿元 in the report as in
    the yearly table; the spatial role is not repeated as its own group."""
    import re

    period = period_open("2024Q4", user=_admin(), deadline=dt.date(2025, 1, 20))
    ls01 = Requirement.objects.get(
        period=period, form_code="platform_quarterly", platform__code="LS01"
    )
    _report(ls01, {**QUARTERLY, "management_staff": 70})
    page = login("leader").get("/platforms/LS01/").content.decode()
    staff = re.search(r"<th>管理人员</th><td>(.*?)</td>", page).group(1)
    assert staff == "70 人（2024年第四季度季报）"
    area = re.search(r"<th>可开发面积</th><td>(.*?)</td>", page).group(1)
    assert area.startswith("15,000 亩") and "2024年第四季度季报" in area and "假设" not in area
    assert "<th>工业总产值</th><td>125.00 亿元</td>" in page and "1,250,000 万元" not in page
    assert "<th>实际利用外资</th><td>3,200 万美元</td>" in page  # below 1 亿: as reported
    assert "<th>研发经费支出</th>" in page and "R&amp;D" not in page  # the glossary's term
    platform = Platform.objects.get(code="LS01")
    if platform.spatial_group == platform.spatial_role:
        assert f"{platform.spatial_role}（{platform.spatial_role}）" not in page
