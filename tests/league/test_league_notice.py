"""The quarterly league notice (季度比评通报) from a published run: ranking tables per group,
the 约谈/reminder list with robustness, the top list, in Word, Excel and PDF."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document

from pingtai.reports import services

pytestmark = pytest.mark.django_db


def test_quarterly_notice_names_every_platform_and_the_last_places(login, league_demo):
    run = league_demo.q4
    response = login("leader").get(f"/reports/league/{run.pk}/notice.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"关于{run.period_label}全市重大产业平台季度比评情况的通报" in text.replace("\n", "")
    for heading in ("一、总体情况", "二、分组排名", "四、表扬与资源要素支持名单"):
        assert heading in text
    # The period is named once (not 第四季度季度比评); tables are numbered as the figure is.
    assert "季度季度" not in text and f"开展{run.period_label}比评" in text
    assert "表1 一心组排名" in text and "表4 末位平台" in text and "表5 名列前茅的平台" in text
    ranked = [
        row.cells[1].text
        for t in doc.tables
        for row in t.rows[1:]
        if t.rows[0].cells[0].text == "名次"
    ]
    assert len(ranked) == 11
    reminder = next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text == "平台" and t.rows[0].cells[4].text == "稳健性"
    )
    assert len(reminder.rows) > 1 and "末位概率" in reminder.rows[1].cells[4].text
    # The lists agree with the run page and the CLI, and the notice states their basis.
    from pingtai.league import selectors

    listed = {row.cells[0].text for row in reminder.rows[1:]}
    assert listed == {e.result.platform.name for e in selectors.interview_list(run)[0]}
    flat = text.replace("\n", "")
    assert "名单依据" in flat and "一心组只有 2 个平台" in flat
    assert "15日内向领导小组办公室报送整改措施" in flat and "10个工作日内通过系统书面提出" in flat


def test_no_league_notice_from_a_preview(login, league_demo):
    assert login("admin").get(f"/reports/league/{league_demo.h1.pk}/notice.docx").status_code == 404


def test_issued_quarterly_notice_as_pdf_for_a_platform(login, league_demo, tmp_path):
    run = league_demo.q4
    assert login("pt_ls02").get(f"/reports/league/{run.pk}/notice.pdf").status_code == 403
    assert login("admin").post(f"/reports/league/{run.pk}/issue").status_code == 302
    number = services.issued_for(run).get().number
    response = login("pt_ls02").get(f"/reports/league/{run.pk}/notice.pdf")
    assert response.content[:4] == b"%PDF"
    (tmp_path / "n.pdf").write_bytes(response.content)
    assert shutil.which("pdftotext"), "poppler-utils: run scripts/install-browser.sh"
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "n.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "二、分组排名" in text and number in text
    # Every score of the ranking tables prints whole, with its sign where it is a change.
    for result in run.results.all():
        assert f"{result.score:.2f}" in text


def test_year_end_notice_states_applied_rules_as_rules_and_no_undecided_decision(
    login, league_demo
):
    """A platform left off the 前列 list by its grade is the rule applied (a 说明 paragraph
    "依据考评规则……不列入前列名单"), not a matter "由领导小组办公室决定"; that wording is kept
    for ties the office actually decided. Each rule of the basis is one paragraph: no
    "名单依据：约谈名单：" double colon."""
    from pingtai.league import selectors
    from pingtai.league.models import TieDecision

    run = league_demo.y24
    found = selectors.run_decisions(run)
    assert found.notes and not found.open_ties
    assert not TieDecision.objects.filter(run=run).exists()
    response = login("leader").get(f"/reports/league/{run.pk}/notice.docx")
    paragraphs = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    text = "".join(paragraphs).replace("\n", "")
    assert "由领导小组办公室决定" not in text
    explained = next(p for p in paragraphs if p.startswith("说明："))
    for note in found.notes:
        assert note.startswith("依据考评规则") and note in explained
    assert "不列入前列名单" in explained
    assert "名单依据：" not in text and "：约谈名单：" not in text
    assert any(p.startswith("（一）约谈名单：") for p in paragraphs)
