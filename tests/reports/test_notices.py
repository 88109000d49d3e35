"""The 亩均 notice as an official would handle it: a draft in Word, PDF and Excel, issued with a
文号 from the register, downloaded again byte for byte; the body free of codes and hashes."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from django.utils import timezone
from docx import Document

from pingtai.cli import main
from pingtai.reports import services
from pingtai.reports.models import IssuedDocument

from .document_checks import (
    assert_body_free_of_codes,
    assert_every_cell_intact,
    assert_fonts_embedded,
    assert_numbers_unique,
    pdf_text,
)

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"丽开整办〔(\d{4})〕(\d+)号")


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_draft_in_word_has_the_gongwen_layout_and_no_number(login, published_run):
    response = login("leader").get(f"/reports/mujun/{published_run.pk}/notice.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "丽水市开发区（园区）整合提升工作领导小组办公室" in text
    assert "草稿" in text and not NUMBER.search(docx_text(response.content))
    assert "关于2024年度全市工业企业亩均效益" in text and "综合评价结果的通报" in text
    for heading in ("一、总体情况", "二、各平台情况", "三、D类企业名单", "四、工作要求"):
        assert heading in text
    assert "演示数据（合成）" in text
    county_table = doc.tables[0]
    # A header may break before its unit: 亩均税收 / （万元/亩）.
    assert [c.text.replace("\n", "") for c in county_table.rows[0].cells][:5] == [
        "县（市、区）",
        "A类（家）",
        "B类（家）",
        "C类（家）",
        "D类（家）",
    ]
    graded = published_run.results.exclude(klass="T").count()
    assert sum(int(row.cells[6].text.replace(",", "")) for row in county_table.rows[1:]) == graded
    d_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号")
    assert len(d_table.rows) - 1 == published_run.results.filter(klass="D").count()
    assert len(doc.inline_shapes) == 2  # the two charts
    # Word names the 公文 faces; page numbers are a PAGE field between 一字线 on odd and even
    # pages; the 版记 closes the document.
    body_xml = doc.element.xml
    assert 'w:eastAsia="仿宋_GB2312"' in body_xml and 'w:eastAsia="方正小标宋简体"' in body_xml
    assert 'w:eastAsia="黑体"' in body_xml
    footer_xml = doc.sections[0].footer._element.xml + doc.sections[0].even_page_footer._element.xml
    assert footer_xml.count("PAGE") == 2 and footer_xml.count("— ") == 2
    assert doc.settings.odd_and_even_pages_header_footer
    assert "抄送：" in docx_text(response.content) and "印发" in docx_text(response.content)
    assert_body_free_of_codes(docx_text(response.content), published_run)


def test_provenance_is_in_the_properties_not_in_the_body(login, published_run):
    content = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.docx").content
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        custom = package.read("docProps/custom.xml").decode()
    assert published_run.input_hash in custom and published_run.result_hash in custom
    assert "lishui-mujun-default" in custom
    pdf = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.pdf").content
    assert published_run.result_hash.encode() in pdf  # in the Info dictionary
    assert_body_free_of_codes(pdf_text(pdf), published_run)


def test_word_and_excel_properties_are_chinese_and_dated_in_beijing_time(login, published_run):
    # Core properties are UTC (W3CDTF …Z): the run's own moment, not Beijing time marked as UTC.
    moment = published_run.published_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for fmt in ("docx", "xlsx"):
        content = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.{fmt}").content
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            core = package.read("docProps/core.xml").decode()
        assert f">{moment}</dcterms:created>" in core, fmt
        assert "python-docx" not in core, fmt


def test_drafts_regenerate_byte_for_byte(login, published_run):
    client = login("leader")
    for fmt in ("docx", "xlsx", "pdf"):
        first = client.get(f"/reports/mujun/{published_run.pk}/notice.{fmt}").content
        second = client.get(f"/reports/mujun/{published_run.pk}/notice.{fmt}").content
        assert first == second, fmt


def test_the_pdf_prints_every_number_and_name_whole_in_embedded_gongwen_fonts(login, published_run):
    from pingtai.reports.notices import mujun_notice

    pdf = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.pdf").content
    assert pdf[:5] == b"%PDF-"
    text = pdf_text(pdf)
    notice = mujun_notice(published_run)
    assert_every_cell_intact(notice, text)
    for heading in ("一、总体情况", "二、各平台情况", "三、D类企业名单", "抄送："):
        assert heading in text
    pages = text.count("\f")
    assert re.search(r"—\s*1\s*—", text) and re.search(rf"—\s*{pages}\s*—", text)
    assert_fonts_embedded(pdf)


def test_excel_notice_holds_numbers_with_formats_and_the_demo_label(login, published_run):
    content = login("admin").get(f"/reports/mujun/{published_run.pk}/notice.xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) == 3
    county = book.worksheets[0]
    assert county["A1"].value.endswith("（草稿）")  # a forwarded draft cannot pass for issued
    assert county["A1"].value.startswith("表1") and "演示数据（合成）" in [
        c.value for c in county[1]
    ]
    assert county["A2"].value == "县（市、区）" and county["H2"].value == "A类占比"
    assert county.freeze_panes == "A3" and county.print_title_rows == "$1:$2"
    data = list(county.iter_rows(min_row=3))
    assert all(c.data_type == "n" and c.number_format == "#,##0" for row in data for c in row[1:7])
    assert all(0 <= row[7].value <= 1 and row[7].number_format == "0.0%" for row in data)
    d_list = book.worksheets[2]
    header = [c.value for c in d_list[2]]
    uscc, score = header.index("统一社会信用代码"), header.index("综合得分（分）")
    rows = list(d_list.iter_rows(min_row=3))
    assert all(r[uscc].data_type == "s" and r[uscc].number_format == "@" for r in rows)
    assert all(r[score].data_type == "n" and r[score].number_format == "#,##0.00" for r in rows)
    # No number anywhere is stored as text (codes are text on purpose).
    for sheet in book.worksheets:
        codes = {c.column for c in sheet[2] if c.value == "统一社会信用代码"}
        for row in sheet.iter_rows(min_row=3):
            for cell in row:
                if isinstance(cell.value, str) and cell.column not in codes:
                    assert not re.fullmatch(r"'?[+-]?[\d,]+(\.\d+)?%?", cell.value), cell.value
                    assert not cell.value.startswith("'")


def test_issuing_numbers_the_notice_from_the_register_and_stores_every_format(login, published_run):
    admin = login("admin")
    response = admin.post(f"/reports/mujun/{published_run.pk}/issue")
    assert response.status_code == 302
    document = services.issued_for(published_run).get()
    year = timezone.localdate().year
    assert document.number == f"丽开整办〔{year}〕{document.serial}号"
    assert document.year == document.issued_on.year == year
    assert {f.format for f in document.files.all()} == {"docx", "pdf", "xlsx"}
    files = {
        fmt: admin.get(f"/reports/mujun/{published_run.pk}/notice.{fmt}").content
        for fmt in ("docx", "pdf", "xlsx")
    }
    # Downloads are the stored originals, byte for byte.
    for fmt, content in files.items():
        assert content == services.document_file(document, fmt)
        assert (
            document.files.get(format=fmt).sha256
            == __import__("hashlib").sha256(content).hexdigest()
        )
    # The Word and PDF files carry the same 文号 and the date of issue.
    date = f"{document.issued_on.year}年{document.issued_on.month}月{document.issued_on.day}日"
    assert document.number in docx_text(files["docx"]) and date in docx_text(files["docx"])
    assert document.number in pdf_text(files["pdf"]) and date in pdf_text(files["pdf"])
    assert "草稿" not in pdf_text(files["pdf"])
    # Issuing again keeps the number; a platform user now gets the issued notice.
    admin.post(f"/reports/mujun/{published_run.pk}/issue")
    assert services.issued_for(published_run).count() == 1
    platform_copy = login("pt_ls05").get(f"/reports/mujun/{published_run.pk}/notice.pdf")
    assert platform_copy.content == files["pdf"]
    assert_numbers_unique()


def test_drafts_and_issuing_are_for_the_named_roles_only(login, published_run):
    url = f"/reports/mujun/{published_run.pk}"
    assert login("pt_ls05").get(f"{url}/notice.docx").status_code == 403
    assert login("dept_tax").get(f"{url}/notice.pdf").status_code == 403
    assert login("leader").post(f"{url}/issue").status_code == 403
    assert login("pt_ls05").post(f"{url}/issue").status_code == 403
    assert login("admin").get(f"{url}/issue").status_code == 405
    assert not services.issued_for(published_run).exists()


def test_no_notice_from_a_preview_run(login):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation

    run, _ = run_evaluation(2024, "lishui-mujun-default", user=User.objects.get(username="admin"))
    assert login("admin").get(f"/reports/mujun/{run.pk}/notice.docx").status_code == 404
    assert login("admin").post(f"/reports/mujun/{run.pk}/issue").status_code == 404


def test_cli_writes_a_draft_and_issue_prints_the_number(tmp_path, published_run, capsys):
    draft = tmp_path / "draft.docx"
    assert main(["notice", "--run", str(published_run.pk), "-o", str(draft)]) == 0
    assert "草稿" in capsys.readouterr().out and not NUMBER.search(docx_text(draft.read_bytes()))

    pdf = tmp_path / "issued.pdf"
    args = ["notice", "--run", str(published_run.pk), "--format", "pdf", "--issue", "-o", str(pdf)]
    assert main(args) == 0
    number = capsys.readouterr().out.strip()
    assert NUMBER.fullmatch(number)
    assert number in pdf_text(pdf.read_bytes())

    word = tmp_path / "issued.docx"
    args = [
        "notice",
        "--run",
        str(published_run.pk),
        "--format",
        "docx",
        "--issue",
        "-o",
        str(word),
    ]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == number  # the same notice, the same 文号
    assert number in docx_text(word.read_bytes())

    assert (
        main(["notice", "--run", str(published_run.pk), "--number", number, "-o", str(word)]) == 2
    )
    assert "--issue" in capsys.readouterr().err


def test_a_number_assigned_outside_is_checked_against_the_register(tmp_path, published_run, capsys):
    year = timezone.localdate().year
    out = str(tmp_path / "n.docx")
    base = ["notice", "--run", str(published_run.pk), "--issue", "-o", out, "--number"]
    for number, message in (
        (f"丽开整办〔{year - 1}〕5号", "印发年份"),
        (f"浙开办〔{year}〕5号", "发文代字"),
        ("第五号", "格式不对"),
    ):
        assert main([*base, number]) == 1
        assert message in capsys.readouterr().err
        assert not services.issued_for(published_run).exists()
    assert main([*base, f"丽开整办〔{year}〕40号"]) == 0
    document = services.issued_for(published_run).get()
    assert document.number_source == IssuedDocument.NumberSource.EXTERNAL and document.serial == 40
    assert f"丽开整办〔{year}〕40号" in docx_text((tmp_path / "n.docx").read_bytes())


def test_notice_letter_and_run_page_state_the_sources_the_run_actually_used(login, published_run):
    """The data-source sentence is read from the run's frozen provenance, one statement on the
    run page, in the notice and in the firm's letter — never a fixed claim of reviewed
    department submissions when the run used none."""
    from pingtai.evaluation.sources import source_statement
    from pingtai.firm.letters import letter_for

    statement = source_statement(published_run.provenance)
    rows = published_run.provenance["register_rows"]
    assert published_run.provenance["versions"] == []  # the test database has no approved reports
    assert (
        statement == f"企业年度数据（登记库）{rows:,} 条，未使用部门报送数据（已审核部门报送 0 份）"
    )
    notice = docx_text(
        login("leader").get(f"/reports/mujun/{published_run.pk}/notice.docx").content
    )
    assert statement in notice and "经审核的各部门报送数据" not in notice
    page = login("admin").get(f"/evaluation/runs/{published_run.pk}/").content.decode()
    assert statement in page
    result = published_run.results.exclude(klass="T").first()
    letter = "\n".join(p for s in letter_for(published_run, result).sections for p in s.paragraphs)
    assert statement in letter and "经审核的各部门报送数据" not in letter


def test_the_source_statement_names_approved_submissions_and_their_forms():
    from pingtai.evaluation.sources import source_statement

    provenance = {
        "register_rows": 1200,
        "versions": [
            {"form": "tax_enterprise", "version": 1},
            {"form": "tax_enterprise", "version": 2},
            {"form": "power_enterprise", "version": 3},
        ],
    }
    text = source_statement(provenance)
    assert text.startswith("企业年度数据（登记库）1,200 条，已审核部门报送 3 份（《")
    assert text.count("《") == 2 and "以部门报送为准" in text
    assert source_statement({"register_rows": 0, "versions": provenance["versions"][:1]}).endswith(
        "未使用企业年度数据（登记库）"
    )
