"""The reporting jobs from the command line: forms, open-period, template, import."""

from __future__ import annotations

import pytest

from pingtai.cli import main
from pingtai.reporting.models import Fact, Submission

from .conftest import fill

pytestmark = pytest.mark.django_db


def test_forms_lists_every_form_code(capsys):
    assert main(["forms"]) == 0
    out = capsys.readouterr().out
    for code in ("platform_quarterly", "tax_enterprise", "land_parcel"):
        assert code in out


def test_department_round_trip_template_dry_run_and_import(tmp_path, capsys, demo_dataset):
    assert main(["open-period", "2024", "--deadline", "2025-03-31"]) == 0
    template = tmp_path / "tax.xlsx"
    assert (
        main(
            [
                "template",
                "tax_enterprise",
                "--department",
                "tax",
                "--period",
                "2024",
                "-o",
                str(template),
            ]
        )
        == 0
    )
    taxes = {y.uscc: y.tax_wan for y in demo_dataset.enterprise_years if y.year == 2024}
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(template.read_bytes()))
    sheet = book["数据"]
    usccs = [sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)]
    assert len(usccs) == 3897
    filled = tmp_path / "tax-filled.xlsx"
    filled.write_bytes(
        fill(
            template.read_bytes(),
            {row: {"tax_paid": float(taxes[uscc])} for row, uscc in enumerate(usccs, start=3)},
            "tax_enterprise",
        )
    )

    assert main(["import", str(filled), "--user", "dept_power", "--dry-run"]) == 1
    assert "不是" in capsys.readouterr().err
    assert main(["import", str(filled), "--user", "dept_tax", "--dry-run"]) == 0
    assert "试运行" in capsys.readouterr().out
    assert not Fact.objects.exists()
    assert main(["import", str(filled), "--user", "dept_tax"]) == 0
    submission = Submission.objects.get(requirement__form_code="tax_enterprise")
    assert submission.latest_version.row_count == 3897
    stored = dict(
        Fact.objects.filter(version=submission.latest_version).values_list("key", "value")
    )
    assert stored == dict(taxes.items())


def test_import_of_a_broken_file_exits_non_zero_with_the_reason(tmp_path, capsys):
    broken = tmp_path / "renamed.xlsx"
    broken.write_bytes("统一社会信用代码,税金\n1,2\n".encode())
    assert main(["import", str(broken), "--user", "dept_tax"]) == 1
    assert "拒绝" in capsys.readouterr().err


def test_template_for_a_period_that_is_not_open_explains_what_to_do(tmp_path, capsys):
    assert (
        main(
            [
                "template",
                "platform_quarterly",
                "--platform",
                "LS01",
                "--period",
                "2031Q1",
                "-o",
                str(tmp_path / "x.xlsx"),
            ]
        )
        == 2
    )
    assert "open-period" in capsys.readouterr().err


def test_import_names_the_user_from_the_environment_or_refuses(tmp_path, capsys, monkeypatch):
    some_file = tmp_path / "x.xlsx"
    some_file.write_bytes(b"not an excel file")
    monkeypatch.delenv("PINGTAI_USER", raising=False)
    assert main(["import", str(some_file)]) == 2
    assert "PINGTAI_USER" in capsys.readouterr().err
    monkeypatch.setenv("PINGTAI_USER", "dept_tax")
    assert main(["import", str(some_file)]) == 1  # the user is known; the file is refused
    assert "拒绝" in capsys.readouterr().err
