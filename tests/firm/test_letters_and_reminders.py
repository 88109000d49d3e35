"""Result letters per firm in the notice format, stored as issued and downloadable by the firm
alone; the daily reminders job: deadlines, outcomes, and 逾期视为确认 applied visibly."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from docx import Document

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.cli import main
from pingtai.evaluation.services import run_evaluation, run_publish
from pingtai.firm.models import Confirmation, PublicityWindow, Reminder
from pingtai.firm.objections import confirm_sheet, objection_file
from pingtai.firm.windows import open_window
from pingtai.registry.models import Enterprise
from pingtai.reports.models import IssuedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return User.objects.get(username="admin")


def _account(firm) -> User:
    return User.objects.create(
        username=f"qy{firm.uscc.lower()}", role=User.Role.ENTERPRISE, enterprise=firm
    )


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_letters_are_issued_per_firm_and_each_firm_downloads_only_its_own(admin, capsys):
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    mine, theirs = run.results.filter(platform_code="LS01").exclude(klass="T").order_by("uscc")[:2]
    code = ["letters", "--run", str(run.pk), "--uscc", mine.uscc, "--uscc", theirs.uscc]
    assert main(code) == 0
    assert "结果告知书 2 份已印发" in capsys.readouterr().out
    letters = IssuedDocument.objects.filter(kind="letter", run_id=run.pk)
    assert {d.subject for d in letters} == {mine.uscc, theirs.uscc}
    assert main(code) == 0 and letters.count() == 2  # issuing again returns the stored ones

    client = Client()
    client.force_login(_account(mine.enterprise))
    home = client.get("/firm/").content.decode()
    assert "评价结果告知书" in home
    word = client.get(f"/firm/runs/{run.pk}/letter.docx")
    assert word.status_code == 200
    text = _docx_text(word.content)
    assert mine.name in text and f"{mine.klass}类" in text and "实缴税金" in text
    assert theirs.name not in text
    figures = next(
        t for t in Document(io.BytesIO(word.content)).tables if t.rows[0].cells[1].text == "数值"
    )
    for row in figures.rows[1:]:
        # The unit stands in the 数据项 cell (用地面积（亩）), not again beside the figure.
        assert re.fullmatch(r"[\d,]+(\.\d\d)?|（空）", row.cells[1].text), row.cells[1].text
    pdf = client.get(f"/firm/runs/{run.pk}/letter.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    stored = letters.get(subject=mine.uscc).files.get(format="pdf")
    assert __import__("hashlib").sha256(pdf.content).hexdigest() == stored.sha256

    # A firm whose letter was not issued gets its own, made on first download — never
    # another firm's.
    third = run.results.filter(platform_code="LS02").exclude(klass="T").first()
    other = Client()
    other.force_login(_account(third.enterprise))
    text = _docx_text(other.get(f"/firm/runs/{run.pk}/letter.docx").content)
    assert third.name in text and mine.name not in text


def test_letters_are_ready_at_publication_and_made_once_on_first_download(admin):
    preview, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    mine = preview.results.filter(platform_code="LS01").exclude(klass="T").order_by("uscc")[0]
    account = _account(mine.enterprise)
    run = run_publish(preview, user=admin)
    # The publication step told the firm's account and recorded it; nothing rendered yet.
    reminder = Reminder.objects.get(user=account, key=f"letter:{run.pk}")
    assert "评价结果告知书已可下载" in reminder.text
    assert AuditEvent.objects.filter(
        object_type="evaluation.EvaluationRun",
        object_id=str(run.pk),
        detail__contains="家企业下载（首次下载时生成并存档）",
    ).exists()
    letters = IssuedDocument.objects.filter(kind="letter", run_id=run.pk)
    assert not letters.exists()

    # Published three days ago (as far as the letter can tell): its date is that day, not the
    # day of the first download.
    run.published_at -= dt.timedelta(days=3)
    run.save(update_fields=["published_at"])
    client = Client()
    client.force_login(account)
    home = client.get("/firm/").content.decode()
    assert f"/firm/runs/{run.pk}/letter.pdf" in home
    first = client.get(f"/firm/runs/{run.pk}/letter.pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert [d.subject for d in letters] == [mine.uscc]
    again = client.get(f"/firm/runs/{run.pk}/letter.pdf")
    assert again.content == first.content
    stored = letters.get().files.get(format="pdf")
    assert hashlib.sha256(first.content).hexdigest() == stored.sha256
    # Dated the day of publication, whenever it is first downloaded.
    word = _docx_text(client.get(f"/firm/runs/{run.pk}/letter.docx").content)
    published = timezone.localdate(run.published_at)
    assert f"{published.year}年{published.month}月{published.day}日" in word
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" not in word
    assert letters.count() == 1

    # On the firm's portrait the officials in scope get the same stored file.
    portrait = f"/evaluation/runs/{run.pk}/enterprises/{mine.uscc}/"
    official = Client()
    official.force_login(User.objects.get(username="pt_ls01"))
    assert f"/firm/office/runs/{run.pk}/letter/{mine.uscc}.pdf" in (
        official.get(portrait).content.decode()
    )
    own = official.get(f"/firm/office/runs/{run.pk}/letter/{mine.uscc}.pdf")
    assert own.status_code == 200 and own.content == first.content
    official.force_login(User.objects.get(username="pt_ls02"))
    assert official.get(f"/firm/office/runs/{run.pk}/letter/{mine.uscc}.pdf").status_code == 404
    assert letters.count() == 1

    # A firm outside the run has no letter of it.
    outside = Enterprise.objects.exclude(pk__in=run.results.values("enterprise")).first()
    if outside is not None:
        stranger = Client()
        stranger.force_login(_account(outside))
        assert stranger.get(f"/firm/runs/{run.pk}/letter.pdf").status_code == 404
    # A preview has no letters.
    draft, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    assert client.get(f"/firm/runs/{draft.pk}/letter.pdf").status_code == 404


def test_superseding_marks_issued_letters_corrected(admin):
    run = run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    firm = run.results.exclude(klass="T").order_by("uscc").first()
    main(["letters", "--run", str(run.pk), "--uscc", firm.uscc])
    second = run_evaluation(2024, "lishui-mujun-default", user=admin)[0]
    run_publish(second, user=admin, supersede=run, reason="复核")
    letter = IssuedDocument.objects.get(kind="letter", subject=firm.uscc)
    assert letter.is_corrected and letter.corrected_by_id == second.pk


def test_the_daily_job_applies_no_answer_counts_as_confirmed_visibly(admin, capsys):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(run, "confirm", user=admin, days=5, opens_on=dt.date(2026, 1, 5))
    results = list(run.results.filter(platform_code="LS01").order_by("uscc")[:2])
    confirmed, silent = (r.enterprise for r in results)
    confirm_sheet(run, confirmed, user=_account(confirmed), today=dt.date(2026, 1, 6))
    silent_user = _account(silent)

    # Two days before the close: the silent firm is reminded, the one that answered is not.
    assert main(["reminders", "--today", "2026-01-08"]) == 0
    closing = Reminder.objects.filter(user=silent_user, key__endswith=":closing").get()
    assert "2026年1月9日（星期五）截止" in closing.text and "逾期未答复视为确认" in closing.text
    assert not Reminder.objects.filter(user__enterprise=confirmed).exists()

    assert main(["reminders", "--today", "2026-01-12"]) == 0
    out = capsys.readouterr().out
    total = run.results.count()
    assert f"{total - 1} 家企业逾期未答复，视为确认" in out
    assert Confirmation.objects.get(run=run, enterprise=silent).status == "deemed"
    assert Confirmation.objects.get(run=run, enterprise=confirmed).status == "confirmed"
    assert Reminder.objects.filter(user=silent_user, text__contains="视为确认").count() == 2
    assert PublicityWindow.objects.get(run=run).settled_at is not None
    # Visible to the firm and the officials: its page, the overview, the menu count.
    client = Client()
    client.force_login(silent_user)
    assert "提醒（2）" in client.get("/firm/").content.decode()
    page = client.get("/firm/reminders/").content.decode()
    assert "本企业未答复，按规定视为确认" in page
    assert "提醒（" not in client.get("/firm/").content.decode()  # read now
    office = Client()
    office.force_login(admin)
    overview = office.get(f"/firm/office/runs/{run.pk}/confirmations/").content.decode()
    assert "逾期视为确认" in overview
    # Running again the same day changes nothing.
    assert main(["reminders", "--today", "2026-01-12"]) == 0
    assert "新提醒 0 条" in capsys.readouterr().out


def test_objection_deadlines_remind_whoever_holds_the_step(admin):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(run, "result", user=admin, days=5, opens_on=dt.date(2026, 3, 2))
    firm = run.results.filter(platform_code="LS03").exclude(klass="T").first().enterprise
    obj = objection_file(
        run, firm, kind="数值错误", field="energy_tce", claimed="100", reason="计量有误",
        user=User.objects.get(username="pt_ls03"), today=dt.date(2026, 3, 2),
    )  # fmt: skip
    assert obj.due_on == dt.date(2026, 3, 3)  # two working days, the filing day included
    main(["reminders", "--today", "2026-03-04"])
    late = Reminder.objects.get(user__username="pt_ls03", key__contains=obj.number)
    assert "已逾期" in late.text and obj.number in late.text
    assert not Reminder.objects.filter(user__username="pt_ls01", key__contains=obj.number)


def test_the_demo_shows_the_loop_enterprise_logins_open_window_pending_objection(admin, capsys):
    from pingtai.firm.demo import DEMO_USERS, demo_logins, load_demo
    from pingtai.firm.models import Objection

    run_publish(run_evaluation(2024, "lishui-mujun-default", user=admin)[0], user=admin)
    lines = load_demo(admin=admin)
    assert any("已开启 2024 年度评价结果复核公示" in line for line in lines)
    assert {login.username for login in demo_logins()} == set(DEMO_USERS)
    objection = Objection.objects.get()
    assert objection.status == "pending" and objection.evidence.count() == 1
    assert load_demo(admin=admin) == []  # idempotent
    client = Client()
    assert (
        client.post(
            "/accounts/login/",
            {"username": "qy_ls01_d", "password": "Lishui-Yanshi-7Qk3"},
            REMOTE_ADDR="10.5.5.5",
        ).url
        == "/firm/"
    )
    home = client.get("/firm/").content.decode()
    assert objection.number in home and "一企一单与公示" in home


def test_the_letter_of_a_published_run_is_issued_dated_and_says_when_and_out_of_what(
    admin, tmp_path
):
    """The letter used to carry the draft mark at its head and an 印发 date at its foot, call
    itself 本通报, say 在公示期内 without dates and give a score above 100 without its scale."""
    import shutil
    import subprocess

    from pingtai.firm.windows import window_text
    from pingtai.reports.documents import DRAFT_LABEL

    run = run_evaluation(2024, "lishui-mujun-default", user=admin)[0]
    window = open_window(run, "result", user=admin, days=5)
    run = run_publish(run, user=admin)
    result = run.results.filter(platform_code="LS01", segment="规上").exclude(klass="T").first()
    client = Client()
    client.force_login(_account(result.enterprise))
    word = _docx_text(client.get(f"/firm/runs/{run.pk}/letter.docx").content)
    assert shutil.which("pdftotext"), "poppler-utils: run scripts/install-browser.sh"
    (tmp_path / "l.pdf").write_bytes(client.get(f"/firm/runs/{run.pk}/letter.pdf").content)
    pdf = subprocess.run(
        ["pdftotext", str(tmp_path / "l.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    published = timezone.localtime(run.published_at).date()
    issued = f"{published.year}年{published.month}月{published.day}日印发"
    for text in (word, pdf.replace("\n", "")):
        assert DRAFT_LABEL not in text and "草稿" not in text
        assert issued in text
        assert "本通报" not in text
        assert "（各项指标均达到基准值时为100分，高于基准的按比例加分，满分150分）" in text
        assert f"请在评价结果公示期（{window_text(window)}）内通过企业端提出" in text
    if run.provenance.get("register_synthetic"):
        assert "本告知书所用企业数据" in word
