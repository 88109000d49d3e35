"""亩均 evaluation through the whole path: department files → join by USCC → run → publish →
export → re-run identically, with scope checks for platform users."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.evaluation.models import EnterpriseFlag, EnterpriseResult, EvaluationRun
from pingtai.evaluation.regrades import regrade_approve, regrade_request
from pingtai.evaluation.services import run_evaluation, run_publish, run_reproduces
from pingtai.evaluation.sources import assemble
from pingtai.registry.models import Enterprise
from pingtai.reporting.models import Submission
from pingtai.standards.uscc import complete

pytestmark = pytest.mark.django_db


def _tax_file(client, requirement, taxes: dict[str, float], extra_uscc: str) -> bytes:
    template = client.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["数据"]
    for row in range(3, sheet.max_row + 1):
        uscc = sheet.cell(row=row, column=1).value
        sheet.cell(row=row, column=3, value=taxes[uscc])
    last = sheet.max_row + 1
    sheet.cell(row=last, column=1, value=extra_uscc)
    sheet.cell(row=last, column=2, value="名录外企业")
    sheet.cell(row=last, column=3, value=12.5)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def admin_user():
    from pingtai.accounts.models import User

    return User.objects.get(username="admin")


def test_department_file_joins_by_uscc_updates_the_register_and_lists_orphans(
    login, admin_user, demo_dataset
):
    admin = login("admin")
    admin.post("/reporting/periods/open/", {"code": "2024", "deadline": "2025-03-31"})
    submission = Submission.objects.get(
        requirement__form_code="tax_enterprise", requirement__period__code="2024"
    )
    requirement = submission.requirement
    target = Enterprise.objects.order_by("uscc").first()
    orphan = complete("91331100MA9XXXXX1")
    tax_officer = login("dept_tax")
    taxes = {y.uscc: float(y.tax_wan) for y in demo_dataset.enterprise_years if y.year == 2024}
    content = _tax_file(tax_officer, requirement, {**taxes, target.uscc: 4321.5}, orphan)
    tax_officer.post(
        f"/reporting/requirements/{requirement.pk}/upload/",
        {"file": SimpleUploadedFile("tax.xlsx", content)},
    )
    submission.refresh_from_db()
    assert submission.latest_version is not None, submission.requirement.attempts.first().errors
    tax_officer.post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "submit", "revision": submission.revision},
    )
    submission.refresh_from_db()
    login("admin").post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "approve", "revision": submission.revision},
    )

    # The approval wrote the department's figure into the register (reporting/flow.py), so the
    # register and the designated source agree; the difference is on the approval's record.
    from pingtai.audit.models import AuditEvent
    from pingtai.registry.models import EnterpriseYear

    assert float(EnterpriseYear.objects.get(enterprise=target, year=2024).tax_wan) == 4321.5
    change = AuditEvent.objects.filter(action="update").last()
    assert change is not None and change.after["changed"] == [
        {
            "uscc": target.uscc,
            "field": "tax_wan",
            "before": f"{taxes[target.uscc]:.2f}",
            "after": "4321.50",
        }
    ]
    assembly = assemble(2024)
    assert assembly.conflicts == []  # the other 3,896 agreed exactly already
    assert (orphan, "tax_enterprise") in assembly.orphans
    row = assembly.frame.filter(assembly.frame["uscc"] == target.uscc).row(0, named=True)
    assert row["tax_wan"] == 4321.5
    assert assembly.provenance["versions"][0]["form"] == "tax_enterprise"


def test_run_preview_publish_and_identical_rerun(admin_user):
    run, _ = run_evaluation(
        2024, "lishui-mujun-default", user=admin_user, robustness_draws=50, seed=7
    )
    assert run.status == "preview"
    assert EnterpriseResult.objects.filter(run=run).count() == 3897
    assert set(run.class_counts) <= {"A", "B", "C", "D", "T"} and run.class_counts["A"] > 0
    published = run_publish(run, user=admin_user)
    assert published.is_published and run_reproduces(published)
    again, _ = run_evaluation(
        2024, "lishui-mujun-default", user=admin_user, robustness_draws=50, seed=7
    )
    assert again.result_hash == run.result_hash and again.input_hash == run.input_hash
    from pingtai.core.refusal import Refused

    with pytest.raises(Refused):
        run_publish(published, user=admin_user)


def test_veto_exemption_and_regrade_carry_their_reasons(admin_user):
    veto, exempt, regraded = Enterprise.objects.order_by("uscc")[10:13]
    EnterpriseFlag.objects.create(
        enterprise=veto,
        year=2024,
        flag="veto_major_incident",
        note="2024年重大安全生产事故",
        recorded_by=admin_user,
    )
    EnterpriseFlag.objects.create(
        enterprise=exempt, year=2024, flag="exempt", note="新设不满两年", recorded_by=admin_user
    )
    second = User.objects.create(username="admin_second", role=User.Role.CITY_ADMIN)
    regrade_approve(
        regrade_request(regraded, 2024, "C", "复核发现用地面积漏报", user=admin_user), user=second
    )
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin_user)
    result = {
        r.uscc: r
        for r in EnterpriseResult.objects.filter(
            run=run, uscc__in=[veto.uscc, exempt.uscc, regraded.uscc]
        )
    }
    assert result[veto.uscc].klass == "D" and "一票否决" in result[veto.uscc].note
    assert result[exempt.uscc].klass == "T" and result[exempt.uscc].segment == "T"
    assert result[regraded.uscc].klass == "C" and "用地面积漏报" in result[regraded.uscc].note
    assert run_reproduces(run)


def test_pages_scope_exports_and_portrait(login, admin_user, monkeypatch):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin_user, robustness_draws=30)
    mine = EnterpriseResult.objects.filter(run=run, platform_code="LS03", klass="B").first()
    other = EnterpriseResult.objects.filter(run=run, platform_code="LS01").first()
    officer = login("pt_ls03")
    page = officer.get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert "浙江龙泉经济开发区" in page and "丽水经济技术开发区" not in page
    assert officer.get(f"/evaluation/runs/{run.pk}/enterprises/{other.uscc}/").status_code == 404
    portrait = officer.get(f"/evaluation/runs/{run.pk}/enterprises/{mine.uscc}/")
    assert portrait.status_code == 200
    text = portrait.content.decode()
    assert "亩均税收" in text and "升档路径" in text and "排名区间" in text

    # The portrait is a query: the breakdown stored with the run is the engine's own for this
    # firm, and showing it evaluates nothing.
    from pingtai.engine.explain import contributions
    from pingtai.evaluation.runs import recompute_result

    fresh = contributions(recompute_result(run), mine.uscc)
    stored = {p["indicator"]: p for p in mine.explanation["parts"]}
    assert set(stored) == set(fresh["indicator"])
    for row in fresh.iter_rows(named=True):
        assert stored[row["indicator"]]["contribution"] == pytest.approx(row["contribution"])
    assert mine.explanation["paths"], "a B-class firm has a way up"

    def no_evaluation(*args, **kwargs):
        raise AssertionError("the portrait re-ran the evaluation")

    monkeypatch.setattr("pingtai.engine.run.evaluate", no_evaluation)
    monkeypatch.setattr("pingtai.evaluation.services.evaluate", no_evaluation)
    again = officer.get(f"/evaluation/runs/{run.pk}/enterprises/{mine.uscc}/").content.decode()
    assert f"{stored['tax_per_mu']['contribution']:.2f}" in again
    search = officer.get(f"/evaluation/runs/{run.pk}/?q={other.uscc}").content.decode()
    assert "没有找到" in search and other.name not in search
    own = officer.get(f"/evaluation/runs/{run.pk}/?q={mine.uscc}").content.decode()
    assert mine.name in own
    export = officer.get(f"/evaluation/runs/{run.pk}/export.xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert (
        rows[0][0] == "序号"
        and len(rows) - 1 == EnterpriseResult.objects.filter(run=run, platform_code="LS03").count()
    )
    assert officer.post(f"/evaluation/runs/{run.pk}/publish/").status_code == 403
    admin = login("admin")
    county = admin.get(f"/evaluation/runs/{run.pk}/export.xlsx?county=331181")
    county_rows = list(
        openpyxl.load_workbook(io.BytesIO(county.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert {r[1] for r in county_rows[1:]} == {"龙泉市"}
    assert admin.get(f"/evaluation/runs/{run.pk}/policies/").status_code == 200
    assert admin.get(f"/evaluation/runs/{run.pk}/low-efficiency/").status_code == 200
    # Publishing is irreversible: without the confirmation box nothing happens.
    unconfirmed = admin.post(f"/evaluation/runs/{run.pk}/publish/")
    assert unconfirmed.status_code == 200 and "请勾选确认后再发布" in unconfirmed.content.decode()
    assert not EvaluationRun.objects.get(pk=run.pk).is_published
    assert admin.post(f"/evaluation/runs/{run.pk}/publish/", {"confirm": "on"}).status_code == 302
    assert EvaluationRun.objects.get(pk=run.pk).is_published


def test_method_change_preview_lists_who_changes_class(login):
    page = login("leader").get(
        "/evaluation/compare/?year=2024&method_a=lishui-mujun-default&method_b=zj-mujun-huangyan-2022"
    )
    assert page.status_code == 200
    assert "类别转移" in page.content.decode()
    assert (
        login("pt_ls01")
        .get(
            "/evaluation/compare/?year=2024&method_a=lishui-mujun-default"
            "&method_b=zj-mujun-huangyan-2022"
        )
        .status_code
        == 403
    )


def test_cli_runs_and_prints_class_counts_per_county(capsys):
    assert main(["mujun", "run", "--year", "2023", "--publish"]) == 0
    out = capsys.readouterr().out
    assert "已发布" in out and "龙泉市" in out and "景宁畲族自治县" in out
    run = EvaluationRun.objects.filter(year=2023).latest("id")
    assert main(["mujun", "reproduce", str(run.pk)]) == 0
    assert main(["mujun", "run", "--year", "1999"]) == 1


def test_tenants_share_their_landlords_class_under_the_suichang_rule(admin_user):
    from pingtai.registry.models import LandParcel

    lease = LandParcel.objects.filter(tenure="leased").select_related("holder", "user").first()
    assert lease is not None, "the demo dataset has leased parcels"
    separate, _ = run_evaluation(2024, "lishui-mujun-default", user=admin_user)
    merged, assembly = run_evaluation(
        2024, "lishui-mujun-default", user=admin_user, tenant_rule="merge"
    )
    assert lease.user.uscc in assembly.tenants
    holder = assembly.tenants[lease.user.uscc]
    tenant_row = EnterpriseResult.objects.get(run=merged, uscc=lease.user.uscc)
    landlord_row = EnterpriseResult.objects.get(run=merged, uscc=holder)
    assert tenant_row.klass == landlord_row.klass and "承租企业" in tenant_row.note
    assert EnterpriseResult.objects.filter(run=merged).count() == 3897  # nobody dropped
    assert merged.input_hash != separate.input_hash
    assert merged.provenance["tenant_rule"] == "merge"
    assert run_reproduces(merged)


def test_platform_page_shows_the_published_class_distribution(login, admin_user):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin_user)
    page = login("leader").get("/platforms/LS03/").content.decode()
    assert "尚无已发布的亩均效益评价结果" in page
    run_publish(run, user=admin_user)
    page = login("leader").get("/platforms/LS03/").content.decode()
    a_count = EnterpriseResult.objects.filter(run=run, platform_code="LS03", klass="A").count()
    assert f"{run.year}年度亩均效益评价第{run.pk}号批次" in page and f"<td>{a_count}</td>" in page


def test_bonus_flags_reach_the_method_as_columns(admin_user):
    firm = Enterprise.objects.order_by("uscc")[20]
    EnterpriseFlag.objects.create(
        enterprise=firm, year=2024, flag="hightech", note="高新技术企业证书", recorded_by=admin_user
    )
    frame = assemble(2024).frame
    row = frame.filter(frame["uscc"] == firm.uscc).row(0, named=True)
    assert row["hightech"] is True and row["listed"] is False
