"""Project admission (标准地 control indicators and the plan's land rules), the commitments of a
标准地 agreement, post-evaluation against the enterprise's reported figures, project-level
allocation with a rounding tie, and scope on every proposal route."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from pingtai.allocation.models import (
    AllocationRun,
    PoolDemand,
    PostEvaluation,
    ProjectProposal,
    QuotaPool,
    StandardLandCommitment,
)
from pingtai.registry.models import Enterprise, Platform
from pingtai.registry.selectors import platform_system_as_of

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "半导体材料项目",
    "applicant": "某某新材料有限公司",
    "year": 2025,
    "proposal_date": "2025-03-01",
    "location_zone": "",
    "land_source": "new",
    "land_use": "industrial",
    "land_mu": "80.00",
    "floor_area_ratio": "1.60",
    "investment_wan": "32000.00",
    "expected_output_wan": "60000.00",
    "expected_value_added_wan": "15000.00",
    "expected_tax_wan": "4800.00",
    "energy_tce": "3000.00",
    "emission_t": "60.00",
    "funds_wan": "500.00",
    "industry_code": "C3985",
    "major": "",
}


def _submit(client, **changes) -> ProjectProposal:
    """``client`` is the login fixture's single client: pass it freshly logged in."""
    response = client.post("/allocation/proposals/new/", {**GOOD, **changes})
    assert response.status_code == 302, (
        response.context["form"].errors if response.context else response
    )
    client.get(response.url)  # shows (and so consumes) the confirmation message
    return ProjectProposal.objects.order_by("-id").first()


def _check(login, proposal) -> ProjectProposal:
    assert login("admin").post(f"/allocation/proposals/{proposal.pk}/check/").status_code == 302
    proposal.refresh_from_db()
    page = login("admin").get(f"/allocation/proposals/{proposal.pk}/").content.decode()
    assert "（依据项目准入控制指标（标准地" in page and "admission-default" not in page
    assert "业（" in page.split("<th>行业</th><td>")[1][:30]  # 通用设备制造业（C3484）
    return proposal


def _failed(proposal) -> dict[str, str]:
    return {i["key"]: i["reason"] for i in proposal.check_result if not i["ok"]}


def test_control_indicators_pass_or_fail_with_reasons(login):
    good = _submit(login("pt_ls01"))
    assert good.platform.code == "LS01" and good.code == "XM2025-LS01-001"
    assert _check(login, good).status == ProjectProposal.Status.PASSED
    # 400 万元/亩 ≥ 350 (LS01 override); 60 万元/亩 ≥ 30; 0.2 ≤ 0.5; 0.004 ≤ 0.02
    values = {i["key"]: i["value"] for i in good.check_result}
    assert values["investment_intensity"] == "400.00" and values["tax_per_mu"] == "60.00"
    assert values["energy_per_value_added"] == "0.2000"
    weak = _check(
        login,
        _submit(
            login("pt_ls01"),
            investment_wan="24000.00",
            floor_area_ratio="0.90",
            expected_tax_wan="1600.00",
            energy_tce="9000.00",
            emission_t="450.00",
            industry_code="C1372",
        ),
    )
    assert weak.status == ProjectProposal.Status.FAILED
    reasons = _failed(weak)
    assert reasons["investment_intensity"] == "300.00万元/亩，不符合不低于 350.00万元/亩 的要求"
    assert reasons["floor_area_ratio"] == "0.90，不符合不低于 1.20 的要求"
    assert reasons["tax_per_mu"] == "20.00万元/亩，不符合不低于 30.00万元/亩 的要求"
    assert reasons["energy_per_value_added"].startswith("0.6000吨标煤/万元，不符合不高于 0.5000吨")
    assert reasons["emission_per_value_added"].startswith("0.0300吨/万元，不符合不高于 0.0200吨")
    assert "不属于本平台主导产业" in reasons["leading_industry"]
    # the value and its limit written alike, each with its unit, in the page's table
    page = login("admin").get(f"/allocation/proposals/{weak.pk}/").content.decode()
    assert "<td>0.6000 吨标煤/万元</td><td>0.5000 吨标煤/万元</td>" in page
    # The thresholds depend on platform tier and industry: a T3 platform allows 250 万元/亩.
    t3 = Platform.objects.filter(tier="T3").order_by("code").first()
    t3_client = login(f"pt_{t3.code.lower()}")
    loose = _check(login, _submit(t3_client, investment_wan="21000.00"))  # 262.5 万元/亩
    assert "investment_intensity" not in _failed(loose)
    listing = login("admin").get("/allocation/proposals/", {"format": "xlsx"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(listing.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    weak_row = next(r for r in rows if r[0] == weak.code)
    assert weak_row[9] == "准入未通过" and "固定资产投资强度" in weak_row[10]


def test_no_new_industrial_land_outside_integrated_platforms(login):
    snapshot = platform_system_as_of(dt.date(2025, 3, 1))
    revoked = snapshot.revoked[0]
    own_zone = next(c for c in snapshot.platforms if c.platform.code == "LS01").zones[0]
    other_zone = next(c for c in snapshot.platforms if c.platform.code == "LS02").zones[0]
    outside = _check(login, _submit(login("pt_ls01"), location_zone=revoked.pk))
    assert outside.status == ProjectProposal.Status.FAILED
    assert "未并入任何整合后的平台" in _failed(outside)["inside_platform"]
    assert "整合后的开发区以外不再新增工业建设用地" in _failed(outside)["inside_platform"]
    elsewhere = _check(login, _submit(login("pt_ls01"), location_zone=other_zone.pk))
    assert "不属于申报平台" in _failed(elsewhere)["inside_platform"]
    inside = _check(login, _submit(login("pt_ls01"), location_zone=own_zone.pk))
    assert inside.status == ProjectProposal.Status.PASSED
    # The same zone before its integration date was not yet inside any platform.
    event = own_zone.events.order_by("effective_date").first()
    early = _check(
        login,
        _submit(
            login("pt_ls01"),
            location_zone=own_zone.pk,
            proposal_date=(event.effective_date - dt.timedelta(days=1)).isoformat(),
        ),
    )
    assert "inside_platform" in _failed(early)
    # Non-industrial use on new land is not restricted by this rule.
    shop = _check(login, _submit(login("pt_ls01"), location_zone=revoked.pk, land_use="other"))
    assert "inside_platform" not in _failed(shop)


def test_stock_industrial_land_only_for_industry(login):
    hotel = _check(
        login, _submit(login("pt_ls01"), land_source="stock_industrial", industry_code="H6110")
    )
    assert "存量工业用地盘活须全部用于工业" in _failed(hotel)["stock_for_industry"]
    plant = _check(login, _submit(login("pt_ls01"), land_source="stock_industrial"))
    assert "stock_for_industry" not in _failed(plant)


def test_commitment_and_post_evaluation_shortfalls(login):
    enterprise = (
        Enterprise.objects.filter(platform__code="LS01", years__year=2024).order_by("uscc").first()
    )
    actual = enterprise.years.get(year=2024)
    proposal = _check(login, _submit(login("pt_ls01"), enterprise_uscc=enterprise.uscc))
    admin = login("admin")
    assert proposal.enterprise == enterprise
    response = admin.post(
        f"/allocation/proposals/{proposal.pk}/commitment/",
        {"agreement_no": "LS-BZD-2022-001", "signed_on": "2022-01-10", "due_on": "2024-12-31"},
    )
    assert response.status_code == 302
    commitment = StandardLandCommitment.objects.get(proposal=proposal)
    assert commitment.tax_per_mu == Decimal("60.00") and commitment.investment_intensity == Decimal(
        "400.00"
    )
    assert list(login("pt_ls01").get("/allocation/proposals/").context["due"]) == [commitment]
    assert list(login("pt_ls02").get("/allocation/proposals/").context["due"]) == []
    # platform users cannot record commitments or run the review
    assert (
        login("pt_ls01")
        .post(f"/allocation/proposals/{proposal.pk}/post-evaluation/", {})
        .status_code
        == 403
    )
    admin = login("admin")
    response = admin.post(
        f"/allocation/proposals/{proposal.pk}/post-evaluation/",
        {"actual_investment_wan": "28000", "actual_floor_area_ratio": "1.70"},
    )
    evaluation = PostEvaluation.objects.get(commitment=commitment)
    assert response.url == f"/allocation/post-evaluations/{evaluation.pk}/"
    page = login("admin").get(response.url).content.decode()
    assert "2024年度达产复核</h1>" in page and f"#{evaluation.pk}" not in page
    items = {i["key"]: i for i in evaluation.items}
    assert evaluation.data_year == 2024 and not evaluation.met
    # investment 28000 / 80 = 350 against 400: 12.50 % short → first band
    assert items["investment_intensity"]["shortfall_pct"] == "12.50"
    assert items["investment_intensity"]["consequence"].startswith("限期一年整改")
    assert items["floor_area_ratio"]["status"] == "met"
    tax_per_mu = (actual.tax_wan / actual.land_mu).quantize(Decimal("0.01"))
    expected = ((Decimal(60) - tax_per_mu) * 100 / Decimal(60)).quantize(Decimal("0.01"))
    assert items["tax_per_mu"]["actual"] == str(tax_per_mu)
    assert items["tax_per_mu"]["shortfall_pct"] == str(expected)
    assert items["tax_per_mu"]["consequence"] == (
        "列入低效工业用地处置名单，按出让合同约定收回或回购土地"
        if expected >= 50
        else "按差额比例支付违约金，并核减所在平台下一年度新增建设用地指标"
        if expected >= 20
        else "限期一年整改，整改期内暂停享受差别化要素优惠"
    )
    export = login("pt_ls01").get("/allocation/post-evaluations/shortfalls.xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert ("LS-BZD-2022-001", "亩均税收（万元/亩）") in {(r[0], r[5]) for r in rows[1:]}
    assert login("pt_ls02").get(f"/allocation/post-evaluations/{evaluation.pk}/").status_code == 404
    assert list(login("pt_ls01").get("/allocation/proposals/").context["due"]) == []
    other_rows = list(
        openpyxl.load_workbook(
            io.BytesIO(login("pt_ls02").get("/allocation/post-evaluations/shortfalls.xlsx").content)
        ).active.iter_rows(min_row=2)
    )
    assert len(other_rows) == 1  # header only
    # Before the agreed date the review is refused.
    early = _check(login, _submit(login("pt_ls01"), enterprise_uscc=enterprise.uscc))
    admin = login("admin")
    admin.post(
        f"/allocation/proposals/{early.pk}/commitment/",
        {"agreement_no": "LS-BZD-2030-001", "signed_on": "2025-01-10", "due_on": "2030-12-31"},
    )
    admin.post(f"/allocation/proposals/{early.pk}/post-evaluation/", {})
    assert not PostEvaluation.objects.filter(commitment__proposal=early).exists()


def test_proposal_routes_are_scoped(login):
    proposal = _submit(login("pt_ls01"))
    other = login("pt_ls02")
    for url in (f"/allocation/proposals/{proposal.pk}/",):
        assert other.get(url).status_code == 404
    assert proposal.code not in other.get("/allocation/proposals/").content.decode()
    for url in ("check", "commitment", "post-evaluation"):
        assert other.post(f"/allocation/proposals/{proposal.pk}/{url}/").status_code == 403
    for user in ("leader", "dept_tax"):
        client = login(user)
        assert client.get(f"/allocation/proposals/{proposal.pk}/").status_code == 200
        assert client.post(f"/allocation/proposals/{proposal.pk}/check/").status_code == 403
        assert client.post("/allocation/proposals/new/", GOOD).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProjectProposal.Status.SUBMITTED
    # a platform user cannot file a proposal for another platform nor link another platform's firm
    foreign = Enterprise.objects.filter(platform__code="LS03").first()
    response = login("pt_ls02").post(
        "/allocation/proposals/new/", {**GOOD, "platform": "LS01", "enterprise_uscc": foreign.uscc}
    )
    assert (
        response.status_code == 200
        and "本平台没有该统一社会信用代码的企业" in response.content.decode()
    )
    created = _submit(login("pt_ls02"), platform="LS01")
    assert created.platform.code == "LS02"


def test_project_allocation_within_a_platform_breaks_ties_by_code(login):
    admin = login("admin")
    admin.post("/allocation/pools/new/", {"kind": "land", "year": 2025, "total": "3000.00"})
    pool = QuotaPool.objects.get(kind="land", year=2025)
    login("pt_ls01").post(
        f"/allocation/pools/{pool.pk}/demand/", {"demand": "100.01", "major_demand": "0"}
    )
    first, second = _submit(login("pt_ls01")), _submit(login("pt_ls01"))
    _check(login, first), _check(login, second)
    admin = login("admin")
    # project level needs the published platform-level run first
    response = admin.post(
        f"/allocation/pools/{pool.pk}/runs/new/",
        {"rules": "land-project-default", "platform": "LS01"},
    )
    assert AllocationRun.objects.count() == 0 and response.status_code == 302
    admin.post(f"/allocation/pools/{pool.pk}/runs/new/", {"rules": "land-platform-default"})
    platform_run = AllocationRun.objects.get()
    admin.post(f"/allocation/runs/{platform_run.pk}/publish/", {"confirm": "on"})
    assert platform_run.lines.get(code="LS01").amount == Decimal("100.01")
    admin.post(
        f"/allocation/pools/{pool.pk}/runs/new/",
        {"rules": "land-project-default", "platform": "LS01"},
    )
    project_run = AllocationRun.objects.get(level="project")
    amounts = dict(project_run.lines.values_list("code", "amount"))
    # identical projects: 100.01 splits 50.005 each; the spare cent goes to the lower code
    assert amounts == {first.code: Decimal("50.01"), second.code: Decimal("50.00")}
    admin.post(f"/allocation/runs/{project_run.pk}/publish/", {"confirm": "on"})
    page = login("pt_ls01").get(f"/allocation/proposals/{first.pk}/").content.decode()
    assert "50.01" in page
    assert PoolDemand.objects.get(pool=pool).demand == Decimal("100.01")


def test_pages_render_for_each_role(login):
    proposal = _submit(login("pt_ls01"))
    for user, form_status in (("admin", 200), ("leader", 403), ("pt_ls01", 200), ("dept_tax", 403)):
        client = login(user)
        assert client.get("/allocation/").status_code == 200
        assert client.get("/allocation/proposals/").status_code == 200
        assert client.get("/allocation/proposals/new/").status_code == form_status
    page = login("admin").get(f"/allocation/proposals/{proposal.pk}/").content.decode()
    assert "准入审查" in page and proposal.code in page
    assert (
        "准入审查</button>"
        not in login("leader").get(f"/allocation/proposals/{proposal.pk}/").content.decode()
    )
