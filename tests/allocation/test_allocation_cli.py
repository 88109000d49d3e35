"""The allocation CLI (pingtai allocate / admission check / post-eval) and rule-file validation."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from pingtai.allocation import rules as rulefiles
from pingtai.allocation.models import AllocationRun, PostEvaluation, ProjectProposal, QuotaPool
from pingtai.allocation.services import admission_check, commitment_create, proposal_create
from pingtai.cli import main
from pingtai.core.refusal import Refused
from pingtai.registry.models import Enterprise, Platform

pytestmark = pytest.mark.django_db


def test_allocate_prints_explains_saves_and_compares(capsys, tmp_path):
    assert (
        main(["allocate", "--pool", "land", "--year", "2025", "--rules", "land-platform-default"])
        == 2
    )
    assert "请用 --total 指定总量" in capsys.readouterr().err
    out_file = tmp_path / "land.xlsx"
    code = main(
        [
            "allocate",
            "--pool",
            "land",
            "--year",
            "2025",
            "--rules",
            "land-platform-default",
            "--total",
            "1234.57",
            "--save",
            "--xlsx",
            str(out_file),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "合计 1234.57亩" in out and "基础份额（平均）" in out and "已保存方案" in out
    run = AllocationRun.objects.get()
    assert run.allocated + run.surplus == Decimal("1234.57")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(out_file.read_bytes())).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert len(rows) == 12 and sum(Decimal(str(r[8])) for r in rows[1:]) == Decimal("1234.57")
    # a second weight set as a file: tax only
    heavier = tmp_path / "tax-only.toml"
    heavier.write_text(
        (rulefiles.RULES_DIR / "land-platform-default.toml")
        .read_text(encoding="utf-8")
        .replace(
            'indicators = { tax_per_mu = "0.6", value_added_per_mu = "0.4" }',
            'indicators = { tax_per_mu = "1" }',
        ),
        encoding="utf-8",
    )
    compare_file = tmp_path / "compare.xlsx"
    assert (
        main(
            [
                "allocate",
                "--pool",
                "land",
                "--year",
                "2025",
                "--rules",
                "land-platform-default",
                "--compare",
                str(heavier),
                "--xlsx",
                str(compare_file),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "A 已分配 1234.57，B 已分配 1234.57" in out
    rows = list(
        openpyxl.load_workbook(io.BytesIO(compare_file.read_bytes())).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert sum(Decimal(str(r[4])) for r in rows[1:]) == 0 and any(r[4] for r in rows[1:])
    # The rule sets by their titles, not by file id or path.
    assert not any("land-platform-default" in str(c) or "toml" in str(c) for c in rows[0])
    # wrong pool for the rules, and an unknown file
    assert (
        main(["allocate", "--pool", "land", "--year", "2025", "--rules", "energy-platform-default"])
        == 1
    )
    assert "不适用于新增建设用地指标" in capsys.readouterr().err
    assert main(["allocate", "--pool", "land", "--year", "2025", "--rules", "nope"]) == 1
    assert "找不到规则文件“nope”" in capsys.readouterr().err


def test_allocate_refuses_infeasible_rules_naming_the_conflicts(capsys, tmp_path):
    QuotaPool.objects.all().delete()
    bad = tmp_path / "floors.toml"
    bad.write_text(
        (rulefiles.RULES_DIR / "energy-platform-default.toml")
        .read_text(encoding="utf-8")
        .replace('floor_share = "0.03"', 'floor_share = "0.10"'),
        encoding="utf-8",
    )
    code = main(
        ["allocate", "--pool", "energy", "--year", "2025", "--rules", str(bad), "--total", "10000"]
    )
    assert code == 1
    assert (
        "各单位保底之和 11000吨标煤 超过指标总量 10000吨标煤（超出 1000吨标煤）"
        in capsys.readouterr().err
    )
    assert not AllocationRun.objects.exists()


def test_rule_files_are_validated_with_clear_errors(tmp_path):
    for name in rulefiles.available():
        assert rulefiles.load_rule_set(name).id == name
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (rulefiles.RULES_DIR / "land-platform-default.toml")
        .read_text(encoding="utf-8")
        .replace('base_share = "0.30"', 'base_share = "1.30"')
        .replace('tax_per_mu = "0.6"', 'tax_per_employee = "0.6"'),
        encoding="utf-8",
    )
    with pytest.raises(Refused) as refused:
        rulefiles.load_rule_set(bad)
    message = str(refused.value)
    assert "base_share" in message and "未知指标 tax_per_employee" in message
    post = rulefiles.load_post_evaluation()
    assert post.consequence_for(Decimal("19.99")).startswith("限期一年整改")
    assert post.consequence_for(Decimal("50")).startswith("列入低效工业用地")
    assert rulefiles.load_admission().assumed


def test_admission_and_post_eval_commands(capsys):
    from pingtai.accounts.models import User

    admin = User.objects.get(username="admin")
    platform = Platform.objects.get(code="LS01")
    enterprise = (
        Enterprise.objects.filter(platform=platform, years__year=2024).order_by("uscc").first()
    )
    data = {
        "name": "精密部件项目",
        "applicant": "某公司",
        "enterprise": enterprise,
        "year": 2025,
        "proposal_date": "2025-02-01",
        "location_zone": None,
        "land_source": "new",
        "land_use": "industrial",
        "land_mu": Decimal(50),
        "floor_area_ratio": Decimal("1.5"),
        "investment_wan": Decimal(20000),
        "expected_output_wan": Decimal(40000),
        "expected_value_added_wan": Decimal(10000),
        "expected_tax_wan": Decimal(2000),
        "energy_tce": Decimal(2000),
        "emission_t": Decimal(50),
        "funds_wan": Decimal(0),
        "industry_code": "3484",
        "major": True,
    }
    proposal = proposal_create(data, platform=platform, user=admin)
    assert proposal.industry_code == "C3484"
    assert main(["admission", "check", "--proposal", proposal.code]) == 0
    out = capsys.readouterr().out
    assert f"{proposal.code} 精密部件项目：准入通过" in out and "[符合] 固定资产投资强度" in out
    proposal.refresh_from_db()
    assert proposal.status == ProjectProposal.Status.PASSED
    assert main(["post-eval", "--proposal", proposal.code]) == 2
    assert "没有标准地承诺" in capsys.readouterr().err
    import datetime as dt

    commitment_create(proposal, "LS-BZD-CLI", dt.date(2022, 1, 1), dt.date(2024, 6, 30), user=admin)
    assert main(["post-eval", "--proposal", proposal.code, "--on", "2024-01-01"]) == 1
    assert "未到约定达产复核日期 2024-06-30" in capsys.readouterr().err
    assert (
        main(["post-eval", "--proposal", proposal.code, "--investment", "20000", "--far", "1.5"])
        == 0
    )
    out = capsys.readouterr().out
    assert "投资强度：承诺 400.00，实际 400.00，差额 0.00%，达标" in out
    evaluation = PostEvaluation.objects.get()
    assert evaluation.data_year == 2024
    # a re-check after the commitment is refused: the agreement fixes the indicators
    with pytest.raises(Exception, match="已签订标准地承诺"):
        admission_check(proposal, user=admin)
    assert main(["admission", "check", "--year", "2031"]) == 2
    # a second project falls due: --due reviews exactly the commitments not yet reviewed
    second = proposal_create({**data, "name": "第二个项目"}, platform=platform, user=admin)
    admission_check(second, user=admin)
    commitment_create(second, "LS-BZD-CLI-2", dt.date(2022, 1, 1), dt.date(2024, 6, 30), user=admin)
    capsys.readouterr()
    assert main(["post-eval", "--due"]) == 0
    out = capsys.readouterr().out
    assert "LS-BZD-CLI-2" in out and "LS-BZD-CLI（" not in out and "待核实" in out
    assert PostEvaluation.objects.count() == 2
    assert main(["post-eval", "--due"]) == 0
    assert "没有到期未复核的标准地承诺" in capsys.readouterr().out
