"""The frozen-run kernel through its three kinds: one current result per key, explicit
supersede with reason and diff, the publish gate, and reproduction that checks what people read
(the stored rows, the stored files, the publication record)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.evaluation.services import run_evaluation, run_publish
from pingtai.runs import kernel
from pingtai.runs.selectors import current_published

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> User:
    return User.objects.get(username="admin")


def _preview(year: int, admin: User) -> EvaluationRun:
    run, _ = run_evaluation(year, "lishui-mujun-default", user=admin)
    return run


def test_one_current_result_per_year_and_an_explicit_supersede(admin):
    first = run_publish(_preview(2024, admin), user=admin)
    assert current_published(EvaluationRun, year=2024) == first
    second = _preview(2024, admin)
    with pytest.raises(Refused) as refused:
        run_publish(second, user=admin)
    assert refused.value.code == "current_exists"
    assert (
        f"已有现行结果：2024年度亩均效益评价第{first.pk}号批次" in refused.value.message
        and f"--supersede {first.pk}" in refused.value.message
    )
    with pytest.raises(Refused, match="更正理由"):
        run_publish(second, user=admin, supersede=first)
    other_year = run_publish(_preview(2023, admin), user=admin)
    with pytest.raises(Refused, match="不是2024年度亩均效益评价的现行结果"):
        run_publish(second, user=admin, supersede=other_year, reason="误选")

    new = run_publish(second, user=admin, supersede=first, reason="税务局更正两家企业税收")
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_at is not None
    assert new.supersedes == first and new.supersede_reason == "税务局更正两家企业税收"
    assert new.supersede_diff == []  # same inputs, same result: nothing changed
    assert current_published(EvaluationRun, year=2024) == new
    assert current_published(EvaluationRun) == new  # the latest year's current result
    # A superseded run can never be published again.
    with pytest.raises(Refused, match="不能发布"):
        run_publish(first, user=admin, supersede=new, reason="恢复")


def test_the_database_refuses_two_current_results_for_a_key(admin):
    a = run_publish(_preview(2024, admin), user=admin)
    b = _preview(2024, admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationRun.objects.filter(pk=b.pk).update(status="published")
    a.refresh_from_db()
    assert a.is_published


def test_only_the_city_admin_publishes(admin):
    run = _preview(2024, admin)
    with pytest.raises(Refused, match="只有市级管理员"):
        run_publish(run, user=User.objects.get(username="leader"))


def test_publish_gate_names_missing_reports_and_records_the_override(login, admin):
    login("admin").post("/reporting/periods/open/", {"code": "2024", "deadline": "2025-03-31"})
    run = _preview(2024, admin)
    with pytest.raises(Refused) as refused:
        run_publish(run, user=admin)
    assert refused.value.code == "gate"
    assert "2024年度 税务部门：企业实缴税金（税务）（草稿）" in refused.value.message
    published = run_publish(run, user=admin, override_reason="市政府会议要求先行发布")
    assert published.override_reason == "市政府会议要求先行发布"
    page = login("leader").get(f"/evaluation/runs/{run.pk}/").content.decode()
    assert "发布理由：市政府会议要求先行发布" in page


def test_reproduce_names_the_first_tampered_firm_and_field(admin, capsys):
    run = run_publish(_preview(2024, admin), user=admin)
    assert main(["mujun", "reproduce", str(run.pk)]) == 0
    assert "完整性：一致" in capsys.readouterr().out
    victim = EnterpriseResult.objects.filter(run=run, klass="D").order_by("uscc").first()
    EnterpriseResult.objects.filter(pk=victim.pk).update(klass="A")
    assert main(["mujun", "reproduce", str(run.pk)]) == 1
    out = capsys.readouterr().out
    assert f"{victim.name}（{victim.uscc}）“类别”：现为 A，应为 D" in out
    report = kernel.reproduce(run)
    assert not report.integrity_ok and report.recompute_ok  # the engine still agrees with the file


def test_reproduce_detects_a_changed_indicator_value_and_a_deleted_row(admin):
    run = run_publish(_preview(2024, admin), user=admin)
    row = EnterpriseResult.objects.filter(run=run).exclude(values={}).order_by("uscc").first()
    # An indicator entry (jsonb orders keys by length, so the reserved "_" keys may come first).
    indicator = next(k for k in row.values if not k.startswith("_"))
    values = {**row.values, indicator: {**row.values[indicator], "value": 1e9}}
    EnterpriseResult.objects.filter(pk=row.pk).update(values=values)
    gone = EnterpriseResult.objects.filter(run=run).order_by("-uscc").first()
    gone.delete()
    findings = kernel.reproduce(run, recompute=False).integrity
    assert any(f.entity == row.uscc and indicator in f.field for f in findings)
    assert any(f.entity == gone.uscc and f.stored == "缺失" for f in findings)
    assert any("发布记录" in f.field for f in findings)  # the rows no longer match the record


def test_cli_contract_publish_refused_then_superseded_with_class_changes(admin, capsys):
    current = run_publish(_preview(2024, admin), user=admin)
    assert main(["mujun", "run", "--year", "2024", "--publish"]) == 1
    err = capsys.readouterr().err
    assert f"已有现行结果：2024年度亩均效益评价第{current.pk}号批次" in err
    assert (
        main(
            [
                "mujun",
                "run",
                "--year",
                "2024",
                "--publish",
                "--supersede",
                str(current.pk),
                "--reason",
                "复核后重算",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"取代2024年度亩均效益评价第{current.pk}号批次" in out and "类别变化的企业 0 家" in out
    current.refresh_from_db()
    assert current.status == "superseded"


def test_league_reproduce_cli_and_tampering(admin, capsys):
    from pingtai.league.demo import load_demo
    from pingtai.league.models import PlatformResult
    from pingtai.league.services import run_create
    from pingtai.league.services import run_publish as league_publish

    load_demo(admin=admin, quarters=["2023Q4", "2024Q4"])
    run = run_create("quarter", "2024Q4", user=admin, robustness_draws=0)
    run = league_publish(run, user=admin, override_reason="测试：只录入了两个季度")
    assert main(["league", "reproduce", str(run.pk)]) == 0
    PlatformResult.objects.filter(run=run, platform_code="LS02").update(score=99.5)
    assert main(["league", "reproduce", str(run.pk)]) == 1
    assert "“综合得分”：现为 99.500000" in capsys.readouterr().out


def test_allocation_runs_are_frozen_reproducible_and_superseded_explicitly(admin):
    from pingtai.allocation.models import QuotaPool
    from pingtai.allocation.services import allocation_publish, allocation_run

    pool = QuotaPool.objects.create(kind="land", year=2025, total=Decimal("1000"), created_by=admin)
    first = allocation_run(pool, "land-platform-default", user=admin)
    assert kernel.reproduce(first).ok
    first = allocation_publish(first, user=admin)
    second = allocation_run(pool, "land-platform-default", user=admin)
    with pytest.raises(Refused, match="已有现行结果"):
        allocation_publish(second, user=admin)
    second = allocation_publish(second, user=admin, supersede=first, reason="调整预留比例后重排")
    first.refresh_from_db()
    assert first.status == "superseded" and second.supersedes == first
    line = second.lines.order_by("code").first()
    type(line).objects.filter(pk=line.pk).update(amount=line.amount + 1)
    findings = kernel.reproduce(second).integrity
    assert findings and findings[0].entity == line.code and findings[0].field == "配置量"


def test_superseding_flags_what_was_derived_and_the_admin_records_the_outcome(login, admin):
    from pingtai.allocation.models import QuotaPool
    from pingtai.allocation.services import allocation_run
    from pingtai.evaluation.models import Regrade
    from pingtai.registry.models import Enterprise
    from pingtai.runs.models import DerivedFlag

    old = run_publish(_preview(2024, admin), user=admin)
    pool = QuotaPool.objects.create(kind="land", year=2025, total=Decimal("500"), created_by=admin)
    derived = allocation_run(pool, "land-platform-classes", user=admin)
    assert derived.provenance["basis_runs"] == {"mujun": old.pk}
    # A regrade approved after publication changes one firm's class in the corrected run.
    firm = EnterpriseResult.objects.filter(run=old, klass="D").order_by("uscc").first()
    enterprise = Enterprise.objects.get(uscc=firm.uscc)
    Regrade.objects.create(
        enterprise=enterprise,
        year=2024,
        to_class="C",
        reason="复核后调整",
        requested_by=User.objects.get(username="leader"),
        approved_by=admin,
    )
    new = run_publish(_preview(2024, admin), user=admin, supersede=old, reason="人工调整后重算")
    assert new.supersede_diff == [
        {"entity": firm.uscc, "name": firm.name, "changes": {"class": ["D", "C"]}}
    ]
    flag = DerivedFlag.objects.get(object_id=str(derived.pk))
    assert flag.affected == [{"code": enterprise.platform.code, "name": enterprise.platform.name}]
    client = login("admin")
    page = client.get(f"/allocation/runs/{derived.pk}/").content.decode()
    assert "依据已更正" in page and enterprise.platform.name in page
    assert (
        "依据本次更正需要处理的事项（1 项）"
        in client.get(f"/evaluation/runs/{new.pk}/").content.decode()
    )
    client.post(
        f"/runs/flags/{flag.pk}/resolve/",
        {"note": "已按更正结果重新配置", "next": f"/allocation/runs/{derived.pk}/"},
    )
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolved_by == admin
    assert "依据已更正" not in client.get(f"/allocation/runs/{derived.pk}/").content.decode()
