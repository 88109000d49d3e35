"""The 文号 register and the store of issued documents, through the service other code calls."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.core.refusal import Refused
from pingtai.reports import services
from pingtai.reports.models import IssuedDocument, NumberSequence

from .document_checks import assert_numbers_unique

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return User.objects.get(username="admin")


@pytest.fixture
def other_runs(admin):
    """Two more published runs to issue from (league runs are a different table)."""
    from pingtai.league.models import LeagueRun
    from pingtai.reporting.models import StoredFile

    stored, _ = StoredFile.objects.get_or_create(
        sha256="0" * 64, defaults={"content": b"", "size": 0}
    )
    return [
        LeagueRun.objects.create(
            cycle="quarter",
            period_code=f"2024Q{q}",
            year=2024,
            quarter=q,
            grouping="tier",
            method_id="m",
            method_version="1",
            method_hash="h",
            rules_version="r",
            rules_hash="h",
            input_snapshot=stored,
            input_hash="i",
            result=stored,
            result_hash="r",
            status="published",
            created_by=admin,
        )
        for q in (1, 2)
    ]


def test_numbers_are_sequential_per_office_and_year_and_never_reused(
    admin, published_run, other_runs
):
    year = timezone.localdate().year
    issued = [
        services.issue_document(
            "publicity", run, b"%PDF-1.7 list", "pdf", user=admin, number=services.NEXT_NUMBER
        )
        for run in [published_run, *other_runs]
    ]
    serials = [d.serial for d in issued]
    assert serials == list(range(serials[0], serials[0] + 3))
    assert all(d.number == f"丽开整办〔{year}〕{d.serial}号" for d in issued)
    assert {d.run_type for d in issued} == {"evaluation.evaluationrun", "league.leaguerun"}
    # A number recorded from outside is skipped by the counter, which never goes back.
    outside = serials[-1] + 1
    letter = services.issue_document(
        "letter", other_runs[0], b"x", "pdf", user=admin, number=f"丽开整办〔{year}〕{outside}号"
    )
    assert letter.number_source == IssuedDocument.NumberSource.EXTERNAL
    following = services.issue_document(
        "letter", other_runs[1], b"y", "pdf", user=admin, number=services.NEXT_NUMBER
    )
    assert following.serial == outside + 1
    assert NumberSequence.objects.get(office="丽开整办", year=year).last == outside + 1
    assert_numbers_unique()


def test_the_database_refuses_a_second_document_with_the_same_number(admin, published_run):
    document = services.issue_document(
        "publicity", published_run, b"a", "pdf", user=admin, number=services.NEXT_NUMBER
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.create(
            kind="letter",
            title="另一份",
            issuer=document.issuer,
            office=document.office,
            year=document.year,
            serial=document.serial,
            number=document.number,
            run_type="x.y",
            run_id=1,
            issued_by=admin,
            issued_on=document.issued_on,
        )


def test_the_document_check_catches_a_duplicate_number(admin, published_run, other_runs):
    document = services.issue_document(
        "publicity", published_run, b"a", "pdf", user=admin, number=services.NEXT_NUMBER
    )
    # Bypass the constraint's office/year/serial: the same text under a different serial.
    IssuedDocument.objects.create(
        kind="letter",
        title="手工录入",
        issuer=document.issuer,
        office="丽开整办",
        year=document.year,
        serial=document.serial + 100,
        number=document.number,
        run_type="x.y",
        run_id=1,
        issued_by=admin,
        issued_on=document.issued_on,
    )
    with pytest.raises(AssertionError, match="issued twice"):
        assert_numbers_unique()


def test_issuing_is_for_the_city_administrator_and_audited(admin, published_run):
    leader = User.objects.get(username="leader")
    with pytest.raises(Refused, match="市级管理员"):
        services.issue_document("publicity", published_run, b"a", "pdf", user=leader)
    document = services.issue_document("publicity", published_run, b"a", "pdf", user=admin)
    assert document.number == "" and document.number_source == IssuedDocument.NumberSource.NONE
    assert services.document_file(document, "pdf") == b"a"
    assert AuditEvent.objects.filter(action="publish", detail__contains="印发公示名单").exists()
    # One document per run and kind: asking again returns it and keeps its content.
    again = services.issue_document("publicity", published_run, b"changed", "pdf", user=admin)
    assert again.pk == document.pk and services.document_file(again, "pdf") == b"a"
    assert list(services.issued_for(published_run)) == [document]


def test_superseding_a_run_marks_its_documents_corrected_and_keeps_them(
    admin, published_run, other_runs, login
):
    document = services.issue_document(
        "notice", published_run, b"%PDF original", "pdf", user=admin, number=services.NEXT_NUMBER
    )
    page = login("leader").get("/reports/").content.decode()
    assert document.number in page and "已更正" not in page
    assert services.mark_superseded(published_run, other_runs[0], user=admin, note="更正数据") == 1
    document.refresh_from_db()
    assert document.is_corrected and document.corrected_by_type == "league.leaguerun"
    assert services.document_file(document, "pdf") == b"%PDF original"  # stays as issued
    assert "已更正" in login("leader").get("/reports/").content.decode()
    assert services.mark_superseded(published_run, other_runs[0], user=admin) == 0


def test_publishing_a_correction_marks_the_issued_notice_and_keeps_it(admin, published_run, login):
    from pingtai.evaluation.services import run_evaluation, run_publish
    from pingtai.runs import kernel

    login("admin").post(f"/reports/mujun/{published_run.pk}/issue")
    notice = services.issued_for(published_run).get()
    issued_pdf = services.document_file(notice, "pdf")
    assert not kernel.reproduce(published_run, recompute=False).integrity
    correction, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    run_publish(correction, user=admin, supersede=published_run, reason="税务数据更正")
    notice.refresh_from_db()
    assert notice.is_corrected and notice.corrected_by_id == correction.pk
    assert notice.correction_note == "税务数据更正"
    # The issued notice stays downloadable as issued, marked 已更正 with a link to the result.
    leader = login("leader")
    assert leader.get(f"/reports/mujun/{published_run.pk}/notice.pdf").content == issued_pdf
    page = leader.get("/reports/").content.decode()
    assert "已更正" in page and f"/evaluation/runs/{correction.pk}/" in page
    # A stored file that no longer matches its recorded hash fails the integrity check.
    record = notice.files.get(format="pdf")
    record.sha256 = "0" * 64
    record.save()
    findings = kernel.reproduce(published_run, recompute=False).integrity
    assert any(notice.number in f.field for f in findings)
