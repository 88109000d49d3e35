"""The whole reporting path over HTTP: open a period, download a template, fill it, upload,
submit, review, lock, correct — as the real roles, with real .xlsx files."""

from __future__ import annotations

import io

import openpyxl
import pytest

from pingtai.audit.models import AuditEvent
from pingtai.core.refusal import Refused
from pingtai.reporting.models import Fact, Submission, SubmissionVersion, UploadAttempt

from .conftest import QUARTERLY, fill

pytestmark = pytest.mark.django_db


def _upload(client, requirement, content: bytes, reason: str = "", name: str = "报表.xlsx"):
    return client.post(
        f"/reporting/requirements/{requirement.pk}/upload/",
        {"file": io.BytesIO(content) and _named(content, name), "reason": reason},
    )


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _act(client, requirement, action: str, reason: str = ""):
    submission = Submission.objects.get(requirement=requirement)
    return client.post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": action, "revision": submission.revision, "reason": reason},
    )


def test_opening_a_quarter_creates_one_quarterly_requirement_per_platform(quarter):
    assert quarter.requirements.count() == 11
    assert set(quarter.requirements.values_list("form_code", flat=True)) == {"platform_quarterly"}


def test_full_cycle_upload_submit_approve_lock_and_correct(login, quarter, requirement_of):
    requirement = requirement_of(quarter, "LS01")
    officer = login("pt_ls01")
    template = officer.get(f"/reporting/requirements/{requirement.pk}/template.xlsx")
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")

    response = _upload(
        officer, requirement, fill(template.content, {3: QUARTERLY}, "platform_quarterly")
    )
    attempt = UploadAttempt.objects.latest("id")
    assert response.status_code == 302 and attempt.outcome == "accepted", attempt.errors
    first = attempt.version
    assert first.number == 1 and first.row_count == 1
    assert Fact.objects.get(version=first, indicator="tax_revenue").value == 61000
    assert len(first.file.sha256) == 64 and bytes(first.file.content)[:2] == b"PK"

    assert _act(officer, requirement, "submit").status_code == 302
    assert _act(officer, requirement, "approve").status_code == 403  # officers do not review
    admin = login("admin")
    assert _act(admin, requirement, "approve").status_code == 302
    assert _act(admin, requirement, "lock").status_code == 302
    submission = Submission.objects.get(requirement=requirement)
    assert submission.status == "locked" and submission.approved_version == first

    changed = {**QUARTERLY, "tax_revenue": 62500}
    content = fill(template.content, {3: changed}, "platform_quarterly")
    officer = login("pt_ls01")
    _upload(officer, requirement, content)  # no reason: refused
    assert SubmissionVersion.objects.filter(submission=submission).count() == 1
    _upload(officer, requirement, content, reason="税务部门更正了12月入库数")
    second = SubmissionVersion.objects.get(submission=submission, number=2)
    assert second.is_correction and second.reason == "税务部门更正了12月入库数"
    submission.refresh_from_db()
    assert (
        submission.status == "submitted" and submission.approved_version == first
    )  # old stays in force

    diff = officer.get(f"/reporting/versions/{first.pk}/diff/{second.pk}/").content.decode()
    # In the form's unit, never the database's "61000.000000".
    assert "税收收入" in diff and "61,000 万元" in diff and "62,500 万元" in diff
    assert "000000" not in diff
    assert (
        officer.get(f"/reporting/versions/{first.pk}/file").status_code == 200
    )  # old version readable

    admin = login("admin")
    _act(admin, requirement, "approve")
    submission.refresh_from_db()
    assert submission.approved_version == second
    actions = set(
        AuditEvent.objects.filter(object_type="reporting.Submission").values_list(
            "action", flat=True
        )
    )
    assert {"submit", "approve", "lock"} <= actions
    assert AuditEvent.objects.filter(action="correct", detail="税务部门更正了12月入库数").exists()


def test_a_file_with_errors_changes_nothing_and_comes_back_marked(login, quarter, requirement_of):
    requirement = requirement_of(quarter, "LS03")
    officer = login("pt_ls03")
    template = officer.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    bad = {
        **QUARTERLY,
        "tax_revenue": "12.5万",
        "above_scale_output": 9999999,
    }  # unit word; > total
    _upload(officer, requirement, fill(template, {3: bad}, "platform_quarterly"))
    attempt = UploadAttempt.objects.latest("id")
    assert attempt.outcome == "refused" and attempt.version is None
    assert not SubmissionVersion.objects.filter(submission__requirement=requirement).exists()
    cells = {e["cell"] for e in attempt.errors}
    assert "G3" in cells  # 税收收入 is the 7th column
    page = officer.get(f"/reporting/attempts/{attempt.pk}/").content.decode()
    assert "G3" in page and "12.5万" in page
    marked = officer.get(f"/reporting/attempts/{attempt.pk}/marked.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(marked.content))["数据"]
    assert sheet["G3"].fill.fgColor.rgb.endswith("FF9999")
    assert sheet["G3"].comment is not None


def test_an_upload_for_another_period_or_platform_is_refused(login, quarter, requirement_of):
    own, other = requirement_of(quarter, "LS03"), requirement_of(quarter, "LS04")
    admin_template = login("admin").get(f"/reporting/requirements/{other.pk}/template.xlsx").content
    officer = login("pt_ls03")
    _upload(officer, own, fill(admin_template, {3: QUARTERLY}, "platform_quarterly"))
    attempt = UploadAttempt.objects.latest("id")
    assert attempt.outcome == "refused"
    assert "LS04" in attempt.message or "LS04" in str(attempt.errors)


def test_stale_page_cannot_overwrite_a_newer_decision(login, quarter, requirement_of):
    requirement = requirement_of(quarter, "LS05")
    officer = login("pt_ls05")
    template = officer.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    _upload(officer, requirement, fill(template, {3: QUARTERLY}, "platform_quarterly"))
    _act(officer, requirement, "submit")
    stale = Submission.objects.get(requirement=requirement).revision
    admin = login("admin")
    _act(admin, requirement, "return", reason="请补充说明")
    response = admin.post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "approve", "revision": stale, "reason": ""},
        follow=True,
    )
    assert "已被他人更新" in response.content.decode()
    assert Submission.objects.get(requirement=requirement).status == "returned"


def test_return_requires_a_reason(login, quarter, requirement_of):
    requirement = requirement_of(quarter, "LS06")
    officer = login("pt_ls06")
    template = officer.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    _upload(officer, requirement, fill(template, {3: QUARTERLY}, "platform_quarterly"))
    _act(officer, requirement, "submit")
    page = _act(login("admin"), requirement, "return")
    assert Submission.objects.get(requirement=requirement).status == "submitted"
    assert page.status_code == 302


def test_missing_and_overdue_are_listed_for_the_office(login, quarter):
    page = login("admin").get("/reporting/periods/2025Q4/").content.decode()
    assert "尚未上传" in page and "浙江景宁经济开发区" in page


def test_an_upload_that_finishes_after_a_submit_does_not_reopen_the_submission(
    login, quarter, requirement_of
):
    """The status is checked again under the row lock when the version is written."""
    from pingtai.reporting import services

    requirement = requirement_of(quarter, "LS07")
    officer = login("pt_ls07")
    template = officer.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    content = fill(template, {3: QUARTERLY}, "platform_quarterly")
    _upload(officer, requirement, content)
    _act(officer, requirement, "submit")
    outcome = services._read(requirement, content)  # validated before the submit landed
    from pingtai.accounts.models import User

    with pytest.raises(Refused, match="已变为“已提交”"):
        services._settle(
            requirement,
            outcome,
            user=User.objects.get(username="pt_ls07"),
            data=content,
            filename="late.xlsx",
            reason="",
            confirmed=(),
            correction=False,
            request=None,
        )
    submission = Submission.objects.get(requirement=requirement)
    assert submission.status == "submitted" and submission.versions.count() == 1


def test_control_characters_in_an_uploaded_file_name_are_stored_visible(quarter, requirement_of):
    """A NUL in a file name from the uploader's machine is kept as the text \\x00: stored as
    is it would break the SQLite → PostgreSQL restore (PostgreSQL cannot hold a NUL)."""
    from pingtai.accounts.models import User
    from pingtai.reporting.services import submission_upload

    requirement = requirement_of(quarter, "LS03")
    officer = User.objects.get(username="pt_ls03")
    attempt = submission_upload(
        requirement, user=officer, data=b"not a workbook", filename="季报\x00\x07.xlsx"
    )
    attempt.refresh_from_db()
    assert attempt.filename == "季报\\x00\\x07.xlsx"
