"""pingtai league … through the CLI entry point."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pingtai.cli import main
from pingtai.league.models import LeagueRun, PayPool, TierProposal
from pingtai.registry.models import Platform

pytestmark = pytest.mark.django_db


def test_run_and_publish_prints_the_ranking(capsys, league_demo):
    assert (
        main(
            [
                "league",
                "run",
                "--cycle",
                "half",
                "--period",
                "2024H1",
                "--robustness",
                "50",
                "--publish",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    run = LeagueRun.objects.latest("pk")
    assert (
        run.status == LeagueRun.Status.PUBLISHED and run.grouping == "role" and run.cycle == "half"
    )
    assert (
        f"{run.name}（已发布）" in out
        and "【一心】" in out
        and "【三片区】" in out
        and run.result_hash in out
    )


def test_run_refuses_bad_input_with_a_nonzero_exit(capsys, league_demo):
    assert main(["league", "run", "--cycle", "year", "--period", "2024Q1"]) == 1
    assert "与周期不符" in capsys.readouterr().err
    assert main(["league", "run", "--cycle", "year", "--period", "2024", "--user", "leader"]) == 2
    assert main(["league", "publish", str(league_demo.y24.pk)]) == 1
    assert "不能发布" in capsys.readouterr().err


def lists_sections(out: str) -> dict[str, list[str]]:
    """The ``league lists`` contract: a header line per list, one platform per indented line
    (its name is the line's first word)."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            current = line.strip()
            sections[current] = []
        else:
            sections[current].append(line.split()[0])
    return sections


def test_lists_proposals_decide_and_pay_pool(capsys, league_demo):
    run = league_demo.y24
    assert main(["league", "lists", str(run.pk)]) == 0
    captured = capsys.readouterr()
    sections = lists_sections(captured.out)
    assert list(sections) == ["约谈名单", "前列名单"]
    names = set(Platform.objects.values_list("short_name", flat=True))
    for platforms in sections.values():
        assert platforms and set(platforms) <= names and len(platforms) == len(set(platforms))
    assert not set(sections["约谈名单"]) & set(sections["前列名单"])
    assert "权重扰动下末位概率" in captured.out
    # The rule that applied to the two-member group is stated (not inside a list).
    assert "一心组只有 2 个平台" in captured.err
    assert main(["league", "proposals", str(run.pk)]) == 0
    assert "进退档建议" in capsys.readouterr().out
    proposal = TierProposal.objects.filter(run=run).first()
    assert main(["league", "decide", str(proposal.pk), "--reject"]) == 1  # a rejection needs a note
    assert main(["league", "decide", str(proposal.pk), "--approve", "--note", "同意"]) == 0
    assert Platform.objects.get(pk=proposal.platform_id).tier == proposal.to_tier
    assert main(["league", "pay-pool", str(run.pk), "--total", "888.88"]) == 0
    out = capsys.readouterr().out
    assert "合计 888.88 万元" in out
    assert PayPool.objects.get(run=run).total_wan == Decimal("888.88")
    assert main(["league", "pay-pool", str(league_demo.h1.pk), "--total", "10"]) == 1


def test_targets_lists_the_warnings(capsys, league_demo):
    assert main(["league", "targets", "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "2024 年目标预警" in out and "[红灯]" in out and "亩均税收" in out


def test_load_demo_is_idempotent_from_the_cli(capsys, league_demo):
    assert main(["league", "load-demo", "--user", "leader"]) == 2
    # Opening the two quarters the fixture left out, then nothing more on a second call.
    assert main(["league", "load-demo"]) == 0
    first = capsys.readouterr().out
    assert "开启填报期 2 个，上传并审核 22 份，已存在 66 份" in first
    assert main(["league", "load-demo"]) == 0
    assert "开启填报期 0 个，上传并审核 0 份，已存在 88 份" in capsys.readouterr().out
