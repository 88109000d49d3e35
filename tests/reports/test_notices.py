"""The 亩均 notice: Word with the expected tables, PDF with the expected headings, Excel with
every table, identical bytes when regenerated, only from published runs."""

from __future__ import annotations

import io
import shutil
import subprocess

import openpyxl
import pytest
from docx import Document

from pingtai.cli import main
from pingtai.evaluation.services import run_evaluation, run_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_run():
    from pingtai.accounts.models import User

    admin = User.objects.get(username="admin")
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    return run_publish(run, user=admin)


def test_word_notice_has_title_block_numbered_sections_tables_and_charts(login, published_run):
    response = login("pt_ls05").get(
        f"/reports/mujun/{published_run.pk}/notice.docx?number=丽开整办〔2025〕7号"
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "丽水市开发区（园区）整合提升工作领导小组办公室" in text
    assert "丽开整办〔2025〕7号" in text
    assert "关于2024年度全市工业企业亩均效益综合评价结果的通报" in text
    for heading in ("一、总体情况", "二、各平台情况", "三、D类企业名单", "四、工作要求"):
        assert heading in text
    assert "演示数据（合成）" in text
    county_table = doc.tables[0]
    assert [c.text for c in county_table.rows[0].cells][:5] == [
        "县（市、区）",
        "A类",
        "B类",
        "C类",
        "D类",
    ]
    assert {row.cells[0].text for row in county_table.rows[1:]} >= {
        "莲都区",
        "龙泉市",
        "景宁畲族自治县",
    }
    graded = published_run.results.exclude(klass="T").count()
    assert sum(int(row.cells[6].text) for row in county_table.rows[1:]) == graded
    d_table = doc.tables[2]
    assert len(d_table.rows) - 1 == published_run.results.filter(klass="D").count()
    assert len(doc.inline_shapes) == 2  # the two charts
    run_east_asian = (
        doc.paragraphs[0]
        .runs[0]
        ._element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
    )
    assert run_east_asian  # Chinese glyphs get a Chinese font


def test_regenerating_gives_identical_files(login, published_run):
    client = login("leader")
    for fmt in ("docx", "xlsx"):
        first = client.get(f"/reports/mujun/{published_run.pk}/notice.{fmt}").content
        second = client.get(f"/reports/mujun/{published_run.pk}/notice.{fmt}").content
        assert first == second, fmt


def test_excel_workbook_holds_every_table(login, published_run):
    content = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 3
    assert book.worksheets[0]["A1"].value == "县（市、区）"


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are installed by scripts/install-browser.sh",
)
def test_pdf_notice_contains_the_headings(login, published_run, tmp_path):
    response = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.pdf")
    assert response.status_code == 200 and response.content[:4] == b"%PDF"
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in (
        "亩均效益综合评价结果的通报",
        "一、总体情况",
        "二、各平台情况",
        "三、D类企业名单",
    ):
        assert heading in "".join(text.split())  # pdftotext breaks long lines


def test_no_notice_from_a_preview_run(login):
    from pingtai.accounts.models import User

    run, _ = run_evaluation(2024, "lishui-mujun-default", user=User.objects.get(username="admin"))
    assert login("admin").get(f"/reports/mujun/{run.pk}/notice.docx").status_code == 404


def test_cli_writes_the_notice(tmp_path, published_run, capsys):
    out = tmp_path / "notice.docx"
    assert main(["notice", "--run", str(published_run.pk), "-o", str(out)]) == 0
    assert Document(str(out)).tables
