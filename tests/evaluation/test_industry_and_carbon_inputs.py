"""Industry codes, clean energy and reported CO₂ through the real path: register and approved
department files → the input table → a stored run whose per-firm values carry 行业排名,
本行业A类企业数, the industry and county benchmarks and the carbon efficiency; snapshots written
before the new columns existed stay readable."""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pingtai.engine import evaluate, load_method
from pingtai.evaluation.models import EnterpriseResult
from pingtai.evaluation.runs import snapshot_frame
from pingtai.evaluation.services import run_evaluation, run_reproduces, snapshot_bytes
from pingtai.evaluation.sources import SCHEMA, assemble
from pingtai.registry.models import Enterprise, EnterpriseYear
from pingtai.reporting.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    from pingtai.accounts.models import User

    return User.objects.get(username="admin")


def _upload(login, form_code: str, officer: str, fill, drop_column: int | None = None):
    """Open 2024, fill the department's template with ``fill(sheet, header)`` and upload it;
    return the submission (refreshed)."""
    login("admin").post("/reporting/periods/open/", {"code": "2024", "deadline": "2025-03-31"})
    submission = Submission.objects.get(
        requirement__form_code=form_code, requirement__period__code="2024"
    )
    requirement = submission.requirement
    client = login(officer)
    template = client.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["数据"]
    fill(sheet, [c.value for c in sheet[1]])
    if drop_column is not None:
        sheet.delete_cols(drop_column)
    out = io.BytesIO()
    book.save(out)
    client.post(
        f"/reporting/requirements/{requirement.pk}/upload/",
        {"file": SimpleUploadedFile("dept.xlsx", out.getvalue())},
    )
    submission.refresh_from_db()
    return submission


def _approved_upload(login, form_code: str, officer: str, fill, drop_column: int | None = None):
    """``_upload``, then submit and approve; return the submission."""
    submission = _upload(login, form_code, officer, fill, drop_column)
    requirement = submission.requirement
    assert submission.latest_version is not None, requirement.attempts.first().errors
    login(officer).post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "submit", "revision": submission.revision},
    )
    submission.refresh_from_db()
    login("admin").post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "approve", "revision": submission.revision},
    )
    submission.refresh_from_db()
    assert submission.approved_version_id is not None
    return submission


def _energy_by_uscc() -> dict[str, float]:
    return {
        y.enterprise.uscc: float(y.energy_tce)
        for y in EnterpriseYear.objects.filter(year=2024).select_related("enterprise")
    }


def test_clean_energy_and_industry_codes_reach_the_input_table(login):
    energy = _energy_by_uscc()
    target = Enterprise.objects.order_by("uscc")[5]

    def fill(sheet, header):
        col_energy = header.index("综合能耗") + 1
        col_clean = header.index("清洁能源消费量") + 1
        for row in range(3, sheet.max_row + 1):
            uscc = sheet.cell(row=row, column=1).value
            sheet.cell(row=row, column=col_energy, value=energy.get(uscc, 0))
            if uscc == target.uscc:
                sheet.cell(row=row, column=col_clean, value=round(energy[uscc] / 4, 4))

    _approved_upload(login, "energy_enterprise", "dept_economy", fill)
    frame = assemble(2024).frame
    row = frame.filter(pl.col("uscc") == target.uscc).row(0, named=True)
    assert row["renewable_tce"] == pytest.approx(round(energy[target.uscc] / 4, 4))
    assert row["industry_code"] == target.industry_code
    others = frame.filter(pl.col("uscc") != target.uscc)
    assert others["renewable_tce"].null_count() == others.height  # not reported: empty
    assert frame["industry_code"].null_count() == 0  # every demo firm has a GB/T 4754 code


def test_a_file_from_a_template_without_the_new_column_is_still_accepted(login):
    energy = _energy_by_uscc()

    def fill(sheet, header):
        col = header.index("综合能耗") + 1
        for row in range(3, sheet.max_row + 1):
            sheet.cell(row=row, column=col, value=energy.get(sheet.cell(row=row, column=1).value))

    # The clean-energy column is the template's last; an older template had no such column.
    submission = _approved_upload(login, "energy_enterprise", "dept_economy", fill, drop_column=4)
    assert submission.approved_version.facts.filter(indicator="renewable_energy").count() == 0
    assert assemble(2024).frame["renewable_tce"].null_count() == len(energy)


def test_clean_energy_above_total_energy_is_refused(login):
    energy = _energy_by_uscc()

    def fill(sheet, header):
        col_energy = header.index("综合能耗") + 1
        for row in range(3, sheet.max_row + 1):
            uscc = sheet.cell(row=row, column=1).value
            sheet.cell(row=row, column=col_energy, value=energy.get(uscc))
        first = sheet.cell(row=3, column=1).value
        sheet.cell(row=3, column=header.index("清洁能源消费量") + 1, value=energy[first] + 1)

    submission = _upload(login, "energy_enterprise", "dept_economy", fill)
    assert submission.latest_version is None
    errors = str(submission.requirement.attempts.first().errors)
    assert "D3" in errors and "清洁能源消费量" in errors


def test_reported_co2_is_taken_as_given(login, admin_user):
    target = Enterprise.objects.order_by("uscc")[7]

    def fill(sheet, header):
        col_emission = header.index("主要污染物排放量") + 1
        col_co2 = header.index("二氧化碳排放量") + 1
        emissions = {
            y.enterprise.uscc: float(y.emission_t)
            for y in EnterpriseYear.objects.filter(year=2024).select_related("enterprise")
        }
        for row in range(3, sheet.max_row + 1):
            uscc = sheet.cell(row=row, column=1).value
            sheet.cell(row=row, column=col_emission, value=emissions.get(uscc))
            if uscc == target.uscc:
                sheet.cell(row=row, column=col_co2, value=1234.5)

    _approved_upload(login, "emission_enterprise", "dept_ecology", fill)
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin_user)
    stored = EnterpriseResult.objects.get(run=run, uscc=target.uscc).values["_carbon"]
    assert stored["co2_t"] == 1234.5 and stored["co2_source"] == "报送"
    assert stored["grid_factor_year"] == 2023  # 2024 has no published factor yet


def test_industry_run_stores_rank_in_industry_top_count_and_both_benchmarks(admin_user):
    run, _ = run_evaluation(2024, "lishui-mujun-industry", user=admin_user)
    results = list(
        EnterpriseResult.objects.filter(run=run, segment="规上").select_related("enterprise")
    )
    by_group: dict[str, list[EnterpriseResult]] = {}
    for r in results:
        by_group.setdefault(r.group, []).append(r)
    industry = [r for r in results if r.values["_groups"]["rank"]["level"] == "行业大类"]
    assert industry, "the demo has 大类 with at least 10 above-scale firms"
    firm = industry[0]
    rank = firm.values["_groups"]["rank"]
    members = [r for r in results if r.enterprise.industry_code[:3] == rank["group"][-3:]]
    assert rank["size"] == len(members) == firm.group_size
    assert rank["top_count"] == sum(r.klass == "A" for r in members)
    assert 1 <= rank["rank"] <= rank["size"]
    bench = firm.values["_groups"]["bench"]
    assert bench["level"] in {"行业小类", "行业中类", "行业大类", "县（市、区）", "全部"}
    tax = firm.values["tax_per_mu"]
    assert tax["bench"] > 0 and tax["ref"]["county"] > 0
    assert firm.values["_groups"]["ref_county"]["label"] == "本县"
    carbon = firm.values["_carbon"]
    assert carbon["carbon_band"] in {"低碳", "中碳", "高碳"} and 1 <= carbon["carbon_grade"] <= 5
    assert run_reproduces(run)


def test_snapshots_written_before_the_new_columns_stay_readable(admin_user):
    frame = assemble(2024).frame
    new = snapshot_bytes(frame)
    old = snapshot_bytes(frame.drop("industry_code", "renewable_tce", "co2_t"))
    read = snapshot_frame(old)
    assert read.columns == list(SCHEMA)
    assert read["industry_code"].null_count() == read.height
    assert read["co2_t"].null_count() == read.height
    method = load_method("lishui-mujun-default")
    before = evaluate(method, pl.read_csv(io.BytesIO(old), schema_overrides=SCHEMA))
    after = evaluate(method, read)
    assert before.input_hash == after.input_hash and before.result_hash == after.result_hash
    assert evaluate(method, snapshot_frame(new)).input_hash != after.input_hash  # codes read


def test_carbon_efficiency_is_shown_on_the_portrait_and_in_the_class_list(login, admin_user):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin_user)
    firm = (
        EnterpriseResult.objects.filter(run=run, platform_code="LS01")
        .exclude(values___carbon=None)
        .order_by("uscc")
        .first()
    )
    carbon = firm.values["_carbon"]
    page = login("admin").get(f"/evaluation/runs/{run.pk}/enterprises/{firm.uscc}/")
    text = page.content.decode()
    assert "碳效等级" in text and f"{carbon['carbon_grade']} 级" in text
    assert f"{carbon['carbon_l']:,.4f} 吨/万元（{carbon['carbon_band']}）" in text
    export = login("admin").get(f"/evaluation/runs/{run.pk}/export.xlsx?platform=LS01")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)
    )
    header = rows[1]
    row = next(r for r in rows if firm.uscc in r)
    assert row[header.index("碳效等级（级）")] == carbon["carbon_grade"]
    assert row[header.index("碳排放强度（吨/万元）")] == pytest.approx(carbon["carbon_l"])
