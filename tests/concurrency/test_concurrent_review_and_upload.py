"""Two people acting on the same submission at the same moment cannot both win silently
(ASVS 5.0 2.3.4; docs/load-test.md, concurrency), proven on PostgreSQL with real concurrent transactions.

Design: each racing call runs in its own thread, so it has its own database connection and
its own transaction, and a barrier releases the threads together. The rows they write must
be committed for the other connection to see them (and to block on them), which rules out
pytest-django's per-test rollback; its transactional tests would have to flush the tables
with TRUNCATE afterwards, and the audit table's triggers refuse TRUNCATE (audit migration
0002) - as they must. So these tests use no flush at all: they write, committed, into the
session's test database under a reporting period of their own (2099Q3) that no other test
uses, and at the end of the module delete exactly that period's reporting rows (some tests
elsewhere assert that no facts exist at all). The audit rows the races wrote stay: the
audit log is append-only, and they are valid chain links.

The tests carry the ``django_db`` mark only so that pytest-django creates the test database
and allows access. The main thread's connection, which that mark wraps in a rolled-back
transaction, is never used: all reads and writes, the set-up included, run on other threads'
connections (``_own``), which commit. Were the set-up done on the main connection, it would
stay uncommitted and hold the audit chain's row lock, and the racing threads would wait on
it forever.

On SQLite the test database is an in-memory database private to one connection, and SQLite
serialises writers on a file lock anyway, so the race cannot be staged there: the tests skip
with that reason, and fail instead when PINGTAI_EXPECT_POSTGRES=1 (the PostgreSQL CI pass).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading
from collections.abc import Callable
from functools import partial

import openpyxl
import pytest
from django.db import connection, connections

from pingtai.catalogue import default_catalogue

QUARTERLY = {
    "industrial_output": 1250000,
    "above_scale_output": 1100000,
    "above_scale_value_added": 260000,
    "above_scale_enterprises": 180,
    "tax_revenue": 61000,
    "industrial_investment": 95000,
    "foreign_capital": 3200,
    "trade_total": 210000,
    "major_projects_signed": 6,
    "hightech_value_added": 150000,
    "rd_expenditure": 38000,
    "rd_institutions": 41,
    "innovation_complexes": 2,
    "management_bodies": 3,
    "management_staff": 120,
    "developable_area": 15000,
}


pytestmark = pytest.mark.django_db
PERIOD = "2099Q3"


@pytest.fixture(scope="module")
def period(django_db_setup, django_db_blocker):
    """This module's own quarter, opened (committed) once and shared by its tests, each using
    its own platforms' requirements; removed again, with everything under it, at the end."""
    if connection.vendor != "postgresql":
        reason = (
            "needs PostgreSQL: the SQLite test database is in memory and private to one "
            "connection, so concurrent transactions cannot be staged on it"
        )
        if os.environ.get("PINGTAI_EXPECT_POSTGRES") == "1":
            pytest.fail(
                f"PINGTAI_EXPECT_POSTGRES=1 but the database is {connection.vendor}: {reason}"
            )
        pytest.skip(reason)

    def open_period():
        from pingtai.reporting.services import period_open

        return period_open(PERIOD, user=_user("admin"), deadline=dt.date(2099, 10, 20))

    with django_db_blocker.unblock():
        _own(_remove_period)  # leftovers of an interrupted run on a kept (--reuse-db) database
        opened = _own(open_period)
        yield opened
        _own(_remove_period)


def _remove_period() -> None:
    """Delete this module's reporting rows so that tests reading all reporting tables see none
    of them. Their audit rows stay: the audit log is append-only, and a chain of valid events
    about since-deleted test objects does no harm."""
    from django.db import transaction

    from pingtai.reporting.models import (
        Fact,
        ReportingPeriod,
        Requirement,
        StoredFile,
        Submission,
        SubmissionVersion,
        UploadAttempt,
    )

    with transaction.atomic():
        submissions = Submission.objects.filter(requirement__period__code=PERIOD)
        versions = SubmissionVersion.objects.filter(submission__in=submissions)
        attempts = UploadAttempt.objects.filter(requirement__period__code=PERIOD)
        files = {
            *versions.values_list("file_id", flat=True),
            *attempts.exclude(file=None).values_list("file_id", flat=True),
        }
        submissions.update(latest_version=None, approved_version=None)
        Fact.objects.filter(version__in=versions).delete()
        attempts.delete()
        versions.delete()
        submissions.delete()
        Requirement.objects.filter(period__code=PERIOD).delete()
        ReportingPeriod.objects.filter(code=PERIOD).delete()
        StoredFile.objects.filter(sha256__in=files).delete()


def _own(call: Callable[[], object]):
    """Run ``call`` on a thread of its own, hence on a database connection of its own."""
    [(kind, value)] = _race(call)
    if kind == "error":
        raise value
    return value


def _race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run the calls at the same moment, each in its own thread and database connection;
    return ("ok", result) or ("error", exception) per call, in order."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list[tuple[str, object] | None] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            outcomes[i] = ("ok", call())
        except Exception as error:  # the outcome is what the test inspects
            outcomes[i] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(not t.is_alive() for t in threads), "a racing transaction did not finish (deadlock?)"
    return outcomes  # type: ignore[return-value]


def _filled(requirement, **changes) -> bytes:
    from pingtai.reporting.services import requirement_template

    columns = default_catalogue().form("platform_quarterly").columns
    book = openpyxl.load_workbook(io.BytesIO(requirement_template(requirement)))
    for code, value in {**QUARTERLY, **changes}.items():
        book["数据"].cell(row=3, column=columns.index(code) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _user(username: str):
    from pingtai.accounts.models import User

    return User.objects.get(username=username)


def _requirement(period, code: str):
    from pingtai.reporting.models import Requirement

    return Requirement.objects.select_related("period", "platform", "submission").get(
        period=period, form_code="platform_quarterly", platform__code=code
    )


def _submitted(period, code: str):
    """A platform's requirement with one accepted version, submitted for review."""
    from pingtai.reporting.services import submission_upload
    from pingtai.reporting.workflow import submission_transition

    requirement = _requirement(period, code)
    officer = _user(f"pt_{code.lower()}")
    if requirement.submission.latest_version_id is None:
        attempt = submission_upload(
            requirement, user=officer, data=_filled(requirement), filename="报表.xlsx"
        )
        assert attempt.outcome == "accepted", (attempt.message, attempt.errors)
    requirement.submission.refresh_from_db()
    if requirement.submission.status == "draft":
        submission_transition(
            requirement.submission.pk,
            "submit",
            user=officer,
            seen_revision=requirement.submission.revision,
        )
    requirement.submission.refresh_from_db()
    assert requirement.submission.status == "submitted"
    return requirement


@pytest.mark.parametrize(
    ("code", "second_action"),
    [
        ("LS01", "approve"),
        ("LS02", "approve"),
        ("LS03", "approve"),
        ("LS04", "return"),
        ("LS05", "return"),
    ],
)
def test_two_reviewers_deciding_at_the_same_moment_exactly_one_wins(period, code, second_action):
    _own(lambda: _two_reviewers(period, code, second_action))


def _two_reviewers(period, code: str, second_action: str) -> None:
    from pingtai.audit.models import AuditEvent
    from pingtai.core.refusal import Refused
    from pingtai.reporting.models import Submission
    from pingtai.reporting.workflow import submission_transition

    submission = _submitted(period, code).submission
    seen = submission.revision
    admin = _user("admin")
    outcomes = _race(
        lambda: submission_transition(submission.pk, "approve", user=admin, seen_revision=seen),
        lambda: submission_transition(
            submission.pk, second_action, user=admin, seen_revision=seen, reason="数据口径需核实"
        ),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    loser = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(loser, Refused) and "他人" in str(loser)
    winner = next(value for kind, value in outcomes if kind == "ok")

    final = Submission.objects.get(pk=submission.pk)
    assert final.revision == seen + 1 and final.status == winner.status
    decisions = AuditEvent.objects.filter(
        object_type="reporting.Submission",
        object_id=str(submission.pk),
        action__in=["approve", "return"],
    )
    assert decisions.count() == 1 and decisions.get().after["status"] == final.status


def test_concurrent_uploads_get_consecutive_version_numbers_and_none_is_lost(period):
    _own(lambda: _concurrent_uploads(period))


def _concurrent_uploads(period) -> None:
    from pingtai.reporting.models import Submission, SubmissionVersion
    from pingtai.reporting.services import submission_upload

    requirement = _requirement(period, "LS07")
    officer = _user("pt_ls07")
    before = SubmissionVersion.objects.filter(submission__requirement=requirement).count()
    files = [_filled(requirement, tax_revenue=61000 + i) for i in range(4)]
    outcomes = _race(
        *[
            partial(
                submission_upload, requirement, user=officer, data=data, filename=f"报表{i}.xlsx"
            )
            for i, data in enumerate(files)
        ]
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 4, outcomes
    assert [a.outcome for _, a in outcomes] == ["accepted"] * 4

    versions = list(
        SubmissionVersion.objects.filter(submission__requirement=requirement).order_by("number")
    )
    assert [v.number for v in versions] == list(range(1, before + 5))
    mine = {a.version.pk for _, a in outcomes}
    assert {v.pk for v in versions[-4:]} == mine
    assert {v.file.sha256 for v in versions[-4:]} == {hashlib.sha256(f).hexdigest() for f in files}
    assert all(hashlib.sha256(bytes(v.file.content)).hexdigest() == v.file.sha256 for v in versions)
    submission = Submission.objects.get(requirement=requirement)
    assert submission.latest_version == versions[-1] and submission.revision >= 4


def test_of_two_concurrent_corrections_one_is_kept_and_the_other_refused(period):
    _own(lambda: _concurrent_corrections(period))


def _concurrent_corrections(period) -> None:
    from pingtai.reporting.models import Submission, SubmissionVersion
    from pingtai.reporting.services import submission_upload
    from pingtai.reporting.workflow import submission_transition

    requirement = _submitted(period, "LS08")
    admin, officer = _user("admin"), _user("pt_ls08")
    sub = requirement.submission
    if sub.status == "submitted":
        sub = submission_transition(sub.pk, "approve", user=admin, seen_revision=sub.revision)
        sub = submission_transition(sub.pk, "lock", user=admin, seen_revision=sub.revision)
    requirement = _requirement(period, "LS08")  # fresh submission state for the upload checks
    approved = sub.approved_version
    before = sub.versions.count()
    outcomes = _race(
        lambda: submission_upload(
            requirement,
            user=officer,
            data=_filled(requirement, tax_revenue=62000),
            filename="更正甲.xlsx",
            reason="税务更正甲",
        ),
        lambda: submission_upload(
            requirement,
            user=officer,
            data=_filled(requirement, tax_revenue=63000),
            filename="更正乙.xlsx",
            reason="税务更正乙",
        ),
    )
    # As one after the other: the first correction puts the submission under review, so the
    # second is refused with a message instead of silently stacking on it.
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    refused = next(value for kind, value in outcomes if kind == "error")
    assert "已变为“已提交”" in str(refused)
    corrections = SubmissionVersion.objects.filter(submission=sub, number__gt=before).order_by(
        "number"
    )
    assert [v.number for v in corrections] == [before + 1]
    assert corrections[0].is_correction and corrections[0].reason in {"税务更正甲", "税务更正乙"}
    final = Submission.objects.get(pk=sub.pk)
    # The correction awaits review; the approved version stays in force until it is approved.
    assert final.status == "submitted" and final.approved_version == approved
