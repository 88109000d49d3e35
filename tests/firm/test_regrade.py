"""Re-grade as a new version: an accepted correction is frozen into a new run of the same
method, the class changes are printed and explained by the objection, and the new run is
published only through the kernel by someone other than the person who accepted the
correction (four eyes)."""

from __future__ import annotations

import pytest

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.services import run_evaluation, run_publish
from pingtai.firm.models import Objection
from pingtai.firm.objections import objection_decide, objection_file
from pingtai.firm.sheet import firm_sheet, snapshot_row
from pingtai.firm.windows import open_window
from pingtai.runs import kernel
from pingtai.runs.selectors import current_published

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return User.objects.get(username="admin")


def _d_firm(run):
    return run.results.filter(klass="D", platform_code="LS01").order_by("uscc").first()


def _accepted(run, decider: str) -> tuple[Objection, object]:
    result = _d_firm(run)
    firm = result.enterprise
    current = snapshot_row(run, firm.uscc)["tax_wan"]
    obj = objection_file(
        run,
        firm,
        kind="数值错误",
        field="tax_wan",
        claimed=str(round(current * 40 + 2000, 2)),
        reason="税务部门漏报该企业全年入库税款",
        user=User.objects.get(username="pt_ls01"),
    )
    objection_decide(
        obj,
        accept=True,
        reason="经核对金税系统，数据漏报属实",
        user=User.objects.get(username=decider),
    )
    obj.refresh_from_db()
    return obj, result


def test_regrade_of_a_published_result_prints_explains_and_supersedes(admin, capsys):
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    open_window(run, "result", user=admin, days=5)
    obj, before = _accepted(run, "dept_tax")
    args = [
        "mujun",
        "run",
        "--year",
        "2024",
        "--supersede",
        str(run.pk),
        "--reason",
        "采纳异议后复核",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    preview = EvaluationRun.objects.order_by("-pk").first()
    after = preview.results.get(uscc=before.uscc)
    assert after.klass != "D"
    assert f"{before.uscc} {before.name}: D→{after.klass}" in out.splitlines()
    assert preview.status == "preview" and current_published(EvaluationRun, year=2024) == run

    assert main([*args, "--publish", "--user", "admin"]) == 0
    out = capsys.readouterr().out
    new = current_published(EvaluationRun, year=2024)
    assert new.pk > preview.pk and new.supersedes == run
    assert f"{before.uscc} {before.name}: D→{after.klass}" in out
    run.refresh_from_db()
    assert run.status == "superseded"
    change = next(d for d in new.supersede_diff if d["entity"] == before.uscc)
    assert change["objections"] == [obj.number]
    assert obj.number in change["why"] and "实缴税金" in change["why"]
    others = [d for d in new.supersede_diff if d["entity"] != before.uscc]
    assert all("同组企业数据更正后" in d["why"] for d in others)
    obj.refresh_from_db()
    assert obj.applied_in == new
    # New frozen inputs: the snapshot carries the corrected figure, and the run reproduces.
    assert snapshot_row(new, before.uscc)["tax_wan"] == float(obj.corrected_value)
    assert kernel.reproduce(new).ok
    line = next(x for x in firm_sheet(new, before.enterprise) if x.field.code == "tax_wan")
    assert f"经异议 {obj.number} 更正" in line.source


def test_four_eyes_the_decider_cannot_publish_the_correction(admin, capsys):
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    open_window(run, "result", user=admin, days=5)
    _accepted(run, "admin")  # the city administrator accepted the correction himself
    args = ["mujun", "run", "--year", "2024", "--supersede", str(run.pk), "--reason", "复核"]
    assert main([*args, "--publish", "--user", "admin"]) == 1
    assert "更正须由两人完成" in capsys.readouterr().err
    assert current_published(EvaluationRun, year=2024) == run
    User.objects.create(username="admin2", role=User.Role.CITY_ADMIN)
    assert main([*args, "--publish", "--user", "admin2"]) == 0
    new = current_published(EvaluationRun, year=2024)
    assert new.published_by.username == "admin2" and new.supersedes == run


def test_a_corrected_run_replaces_the_publicity_draft_before_publication(admin, capsys):
    draft, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(draft, "result", user=admin, days=5)
    draft.refresh_from_db()
    assert draft.status == "publicized"
    obj, before = _accepted(draft, "dept_tax")
    args = [
        "mujun",
        "run",
        "--year",
        "2024",
        "--supersede",
        str(draft.pk),
        "--reason",
        "公示期异议采纳",
    ]
    assert main([*args, "--publish", "--user", "admin"]) == 0
    new = current_published(EvaluationRun, year=2024)
    draft.refresh_from_db()
    assert draft.status == "superseded" and new.supersedes == draft
    assert new.supersede_reason == "公示期异议采纳"
    assert any(d["objections"] == [obj.number] for d in new.supersede_diff)
    assert f"{before.uscc} {before.name}: D→" in capsys.readouterr().out


def test_regrade_refuses_without_reason_or_for_the_wrong_year(admin, capsys):
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    assert (
        main(["mujun", "run", "--year", "2023", "--supersede", str(run.pk), "--reason", "x"]) == 1
    )
    assert "不是2023年度" in capsys.readouterr().err
    assert main(["mujun", "run", "--year", "2024", "--supersede", str(run.pk)]) == 1
    assert "须说明理由" in capsys.readouterr().err
