"""What the main commands print reads as the pages do: the same language check as the browser's
page test (tests/browser/language.py) — no platform codes, no identifiers, no English outside
the allowlist, no "None". The one line that carries identifiers and fingerprints on purpose,
核验信息, is left out, as the pages' closed 核验信息 box is."""

from __future__ import annotations

import pytest

from pingtai.cli import main
from pingtai.evaluation.models import EvaluationRun
from tests.browser.language import check_text

pytestmark = pytest.mark.django_db


def _read(capsys, argv: list[str]) -> str:
    assert main(argv) == 0, argv
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    return "\n".join(line for line in lines if "核验信息" not in line)


def test_the_main_commands_print_words_not_codes(capsys, league_demo):
    outputs = {
        "league run": _read(
            capsys,
            ["league", "run", "--cycle", "half", "--period", "2024H1", "--robustness", "20"],
        ),
        "league lists": _read(capsys, ["league", "lists", str(league_demo.y24.pk)]),
        "league proposals": _read(capsys, ["league", "proposals", str(league_demo.y24.pk)]),
        "league pay-pool": _read(
            capsys, ["league", "pay-pool", str(league_demo.y24.pk), "--total", "500"]
        ),
        "mujun run": _read(capsys, ["mujun", "run", "--year", "2024", "--publish"]),
        "supervision load-demo": _read(capsys, ["supervision", "load-demo"]),
        "supervision alerts": _read(capsys, ["supervision", "alerts", "--on", "2026-11-15"]),
        "supervision completion": _read(capsys, ["supervision", "completion", "--year", "2026"]),
    }
    run = EvaluationRun.objects.latest("pk")
    outputs["mujun reproduce"] = _read(capsys, ["mujun", "reproduce", str(run.pk)])
    assert "【" in outputs["league run"] and "丽水经开区" in outputs["league run"]
    findings = [f for command, text in outputs.items() for f in check_text(command, text)]
    assert not findings, "\n".join(str(f) for f in findings)


def test_the_check_catches_a_code_in_command_output():
    assert {f.rule for f in check_text("cli", "  LS01 丽水经开区  方法 lishui-mujun-default")} == {
        "平台代码",
        "标识符",
    }
