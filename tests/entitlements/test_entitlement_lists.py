"""免申即享 lists end to end on a real published run: the CLI issues the agency's spreadsheet
through the reports store, its totals are the policy module's totals, asking again gives the
same bytes; the API gives the same lines to the roles it admits and nothing to the others;
delivery steps in order by the right people; runs that are not the current result are
refused; a superseded run's lists are marked 已更正 and flagged with the firms that change."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import openpyxl
import pytest

from pingtai.cli import main
from pingtai.entitlements import services
from pingtai.entitlements.models import EntitlementList
from pingtai.policies import agencies, policy_set
from pingtai.policies.entitlements import by_agency, reconcile, totals
from pingtai.reports.models import IssuedDocument

pytestmark = pytest.mark.django_db


def _sheet_rows(content: bytes, sheet: str) -> tuple[list[str], list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book[sheet].iter_rows(values_only=True))
    return list(rows[1]), rows[2:]  # row 1 title, row 2 headers


def _amount_sum(content: bytes) -> tuple[Decimal, int]:
    headers, rows = _sheet_rows(content, "名单")
    col, first = headers.index("金额（万元）"), headers.index("序号")
    data = [r for r in rows if isinstance(r[first], int)]
    total = sum((Decimal(str(r[col])) for r in data if r[col] is not None), Decimal(0))
    return total, len(data)


def test_cli_list_totals_reconcile_with_the_policy_totals_and_reissue_is_byte_identical(
    published_run, tmp_path, capsys
):
    lines = services.run_lines(published_run)
    expected = totals(lines)
    assert reconcile(expected) == []
    power = by_agency(lines)["power"]
    assert power, "the demo has class C and D firms with electricity use"

    out = tmp_path / "power.xlsx"
    code = main(
        ["entitlements", "--run", str(published_run.pk), "--agency", "电力公司", "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    content = out.read_bytes()

    record = EntitlementList.objects.get(run=published_run, agency="power")
    assert record.document.kind == IssuedDocument.Kind.ENTITLEMENT
    stored = record.document.files.get(format="xlsx")
    assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.sha256 in printed
    # The spreadsheet's amounts add up to the policy module's total for the agency, to the 元.
    summed, count = _amount_sum(content)
    assert count == len(power) == record.line_count
    assert summed == expected.by_agency[("power", True)] == record.obligations_wan
    assert Decimal(str(record.obligations_wan)) == sum(
        (e.amount_wan for e in power if e.amount_wan is not None), Decimal(0)
    )
    _, total_rows = _sheet_rows(content, "合计")
    by_name = {r[0]: r for r in total_rows}
    assert Decimal(str(by_name["企业应缴合计"][3])) == expected.by_agency[("power", True)]
    # Every firm of class D pays at least the 0.3 元/千瓦时 of the table.
    headers, rows = _sheet_rows(content, "名单")
    klass, rate = headers.index("评价类别"), headers.index("标准")
    assert {r[klass] for r in rows if isinstance(r[0], int)} <= {"C", "D"}
    assert all(r[rate] >= 0.3 for r in rows if isinstance(r[0], int) and r[klass] == "D")

    # Asked again: the stored file, byte for byte, and nothing new issued.
    again = tmp_path / "again.xlsx"
    assert (
        main(
            ["entitlements", "--run", str(published_run.pk), "--agency", "power", "-o", str(again)]
        )
        == 0
    )
    assert "存档原件" in capsys.readouterr().out
    assert again.read_bytes() == content
    assert EntitlementList.objects.filter(run=published_run).count() == 1
    # Rendering the frozen lines again gives the same bytes (no save time inside the file).
    agency = agencies().get("power")
    table = policy_set().table_for(published_run.year).label
    assert services.list_xlsx(published_run, agency, record.lines, table) == content


def test_every_agency_list_and_the_totals_by_agency_agree(published_run, tmp_path):
    from pingtai.accounts.models import User

    admin = User.objects.get(username="admin")
    lines = services.run_lines(published_run)
    expected = totals(lines)
    grand = {True: Decimal(0), False: Decimal(0)}
    for code in by_agency(lines):
        record = services.generate(published_run, code, user=admin).record
        summed, _ = _amount_sum(services.list_file(record))
        assert summed == record.obligations_wan + record.entitlements_wan
        grand[True] += record.obligations_wan
        grand[False] += record.entitlements_wan
    assert grand[True] == expected.grand.get(True, Decimal(0))
    assert grand[False] == expected.grand.get(False, Decimal(0))
    assert expected.grand[False] > 0  # class A awards are computed amounts


def test_cli_refuses_unknown_agency_and_runs_that_are_not_published(
    published_run, tmp_path, capsys
):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation

    out = tmp_path / "x.xlsx"
    assert (
        main(["entitlements", "--run", str(published_run.pk), "--agency", "气象局", "-o", str(out)])
        == 1
    )
    assert "没有名为“气象局”的执行单位" in capsys.readouterr().err
    preview, _ = run_evaluation(
        2024, "lishui-mujun-default", user=User.objects.get(username="admin")
    )
    assert (
        main(["entitlements", "--run", str(preview.pk), "--agency", "税务局", "-o", str(out)]) == 1
    )
    assert "只有已发布的现行评价结果" in capsys.readouterr().err
    assert not out.exists() and not EntitlementList.objects.filter(run=preview).exists()
    assert main(["entitlements", "--run", "999999", "--agency", "税务局", "-o", str(out)]) == 2
    assert (
        main(
            [
                "entitlements",
                "--run",
                str(published_run.pk),
                "--agency",
                "税务局",
                "--user",
                "leader",
                "-o",
                str(out),
            ]
        )
        == 2
    )


def test_api_gives_the_same_lines_to_admitted_roles_only(published_run, api_as):
    admin = api_as("admin")
    url = f"/api/runs/{published_run.pk}/entitlements"
    made = admin.post(url, {"agency": "税务局"}, content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["agency"] == "tax" and body["status"] == "generated"
    assert admin.post(url, {"agency": "tax"}, content_type="application/json").status_code == 200
    # The lines are the spreadsheet's lines.
    record = EntitlementList.objects.get(run=published_run, agency="tax")
    assert len(body["lines"]) == record.line_count == _amount_sum(services.list_file(record))[1]
    assert {ln["klass"] for ln in body["lines"]} <= {"A", "B"}

    tax = api_as("dept_tax")
    assert [r["agency"] for r in tax.get(url).json()] == ["tax"]
    file = tax.get(f"{url}/tax/file")
    assert file.status_code == 200
    assert hashlib.sha256(file.content).hexdigest() == body["sha256"]
    # Deny by default: other departments see no list, platforms and unknown agencies get nothing.
    assert api_as("dept_power").get(url).json() == []
    assert api_as("dept_power").get(f"{url}/tax").status_code == 404
    assert api_as("pt_ls01").get(url).status_code == 403
    assert api_as("pt_ls01").get(f"{url}/tax/file").status_code == 403
    assert (
        api_as("leader").post(url, {"agency": "tax"}, content_type="application/json").status_code
        == 403
    )
    assert api_as("leader").get(f"{url}/tax").json()["line_count"] == record.line_count

    # Delivery: only in order, each step by its own people.
    steps = f"{url}/tax/steps"
    early = tax.post(steps, {"step": "confirm"}, content_type="application/json")
    assert early.status_code == 409 and early.json()["code"] == "wrong_state"
    assert tax.post(steps, {"step": "send"}, content_type="application/json").status_code == 409
    sent = admin.post(steps, {"step": "send", "note": "公文交换"}, content_type="application/json")
    assert sent.json()["status"] == "sent" and sent.json()["sent_by"] == "admin"
    assert (
        admin.post(steps, {"step": "confirm", "note": "x"}, content_type="application/json").json()[
            "code"
        ]
        == "forbidden"
    )
    assert (
        tax.post(steps, {"step": "confirm"}, content_type="application/json").json()["confirmed_by"]
        == "dept_tax"
    )
    done = tax.post(
        steps, {"step": "execute", "note": "已减免"}, content_type="application/json"
    ).json()
    assert done["status"] == "executed" and done["executed_at"]
    assert tax.post(steps, {"step": "execute"}, content_type="application/json").status_code == 409


def test_a_year_without_a_policy_table_gives_the_firm_no_lines_and_refuses_a_list(published_run):
    from pingtai.core.refusal import Refused
    from pingtai.evaluation.models import EvaluationRun

    firm = published_run.results.filter(klass="D").first()
    assert services.firm_entitlements(published_run, firm.uscc)  # 2024: the city's table
    run = EvaluationRun.objects.get(pk=published_run.pk)  # a copy: the fixture stays 2024
    run.year = 2019  # the tables start in 2021
    assert services.firm_entitlements(run, firm.uscc) == []
    with pytest.raises(Refused, match=r"2019年度.*没有适用的差别化政策表"):
        services.run_lines(run)
