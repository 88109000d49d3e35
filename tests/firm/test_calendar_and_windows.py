"""Working days from the State Council's holiday notices, and the 公示 window of a run:
arithmetic across holidays and adjusted working days, the 公示稿 status, the public list."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.services import run_evaluation, run_publish
from pingtai.firm.calendar import load_calendar
from pingtai.firm.models import PublicityWindow

D = dt.date


@pytest.mark.parametrize(
    ("opens", "days", "closes"),
    [
        # 2024 National Day: Sunday 9-29 is a working day, 10-1..10-7 are off.
        (D(2024, 9, 27), 5, D(2024, 10, 9)),
        # 2025 Spring Festival: Sunday 1-26 worked, 1-28..2-4 off.
        (D(2025, 1, 24), 5, D(2025, 2, 6)),
        # Opening on Saturday 2026-02-14, an adjusted working day: it counts.
        (D(2026, 2, 14), 5, D(2026, 2, 27)),
        # Opening on an ordinary Saturday: counting starts on Monday.
        (D(2026, 3, 7), 5, D(2026, 3, 13)),
        # 2024 Dragon Boat Festival on Monday 6-10.
        (D(2024, 6, 7), 2, D(2024, 6, 11)),
        # New Year 2026: 1-1..1-3 off, Sunday 1-4 worked.
        (D(2025, 12, 31), 3, D(2026, 1, 5)),
    ],
)
def test_windows_count_working_days_across_holidays(opens, days, closes):
    cal = load_calendar()
    assert cal.closing_day(opens, days) == closes
    assert cal.working_days_between(opens, closes) == days


def test_every_window_in_the_calendar_ends_on_a_working_day_after_exactly_n_of_them():
    cal = load_calendar()
    day = D(2024, 1, 1)
    while day <= D(2026, 11, 30):
        for n in (1, 3, 5, 7, 10):
            end = cal.closing_day(day, n)
            assert cal.is_working_day(end)
            assert cal.working_days_between(day, end) == n
            assert cal.working_days_between(day, end - dt.timedelta(days=1)) == n - 1
        day += dt.timedelta(days=1)


def test_a_year_without_a_notice_or_lunar_dates_is_refused_not_guessed():
    with pytest.raises(Refused) as refused:
        load_calendar().closing_day(D(2027, 12, 28), 5)
    assert "2028年的节假日安排尚未录入" in refused.value.message
    assert "pingtai calendar load" in refused.value.message


def test_a_malformed_holiday_file_is_refused_naming_every_problem(tmp_path):
    path = tmp_path / "holidays.toml"
    path.write_text(
        """
[[year]]
year = 2024
source = "x"
off = [{ name = "春节", from = 2024-02-17, to = 2024-02-10 }]
work = [2024-02-05]
[[year]]
year = 2024
""",
        encoding="utf-8",
    )
    with pytest.raises(Refused) as refused:
        load_calendar(path)
    message = refused.value.message
    assert "“春节”的起止日期不正确" in message
    assert "2024-02-05 不是周末" in message
    assert "2024年重复录入" in message and "未注明依据" in message


@pytest.fixture
def admin(db):
    return User.objects.get(username="admin")


@pytest.mark.django_db
def test_publicize_makes_the_preview_the_publicity_draft_and_publish_still_works(admin, capsys):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    assert main(["mujun", "publicize", str(run.pk), "--days", "5", "--opens", "2026-09-28"]) == 0
    out = capsys.readouterr().out
    assert "2026年9月28日（星期一）至2026年10月9日（星期五），共 5 个工作日" in out
    run.refresh_from_db()
    assert run.status == "publicized"
    assert main(["mujun", "publicize", str(run.pk), "--days", "5"]) == 1
    assert "已开启评价结果公示" in capsys.readouterr().err
    published = run_publish(run, user=admin)
    assert published.status == "published"


@pytest.mark.django_db
def test_only_the_city_admin_opens_windows_and_never_on_a_superseded_run(admin, capsys):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    assert main(["mujun", "publicize", str(run.pk), "--user", "leader"]) == 2
    first = run_publish(run, user=admin)
    second, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    run_publish(second, user=admin, supersede=first, reason="测试")
    assert main(["mujun", "publicize", str(first.pk), "--days", "5"]) == 1
    assert "已被取代" in capsys.readouterr().err
    assert not PublicityWindow.objects.filter(run=first).exists()
    # A published run may be publicized: the 复核 window; it stays published.
    assert main(["mujun", "publicize", str(second.pk), "--days", "3"]) == 0
    second.refresh_from_db()
    assert second.status == "published"


@pytest.mark.django_db
def test_publicity_list_shows_name_class_and_band_never_figures(admin, login):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    main(["mujun", "publicize", str(run.pk), "--days", "5", "--opens", "2026-11-02"])
    result = run.results.filter(platform_code="LS01", klass="A").first()
    page = login("pt_ls01").get(f"/firm/office/runs/{run.pk}/list/LS01/").content.decode()
    assert result.name in page and "组内排名区间" in page and "2026年11月2日" in page
    assert result.uscc not in page and f"{result.score:.2f}" not in page
    assert "税" not in page.split("<table")[1]
    # The class in the glossary's words, as on every other page.
    assert "A 类（优先发展类）" in page and "A类" not in page
    # Platform users see their own platform's list only; the enterprise role none.
    assert login("pt_ls01").get(f"/firm/office/runs/{run.pk}/list/LS02/").status_code == 404
    response = login("admin").get(f"/firm/office/runs/{run.pk}/list/LS01.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]] == ["序号", "企业名称", "类别", "组内排名区间"]
    names = {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert result.name in names
    assert run.results.filter(platform_code="LS02").first().name not in names
    classes = {row[2] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert "A 类（优先发展类）" in classes and "A类" not in classes


@pytest.mark.django_db
def test_open_window_from_the_page(admin, login):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    client = login("admin")
    response = client.post(f"/firm/office/runs/{run.pk}/open/", {"kind": "confirm", "days": 3})
    assert response.status_code == 302
    window = PublicityWindow.objects.get(run=run)
    assert window.kind == "confirm" and window.working_days == 3
    assert EvaluationRun.objects.get(pk=run.pk).status == "preview"
    index = login("leader").get("/firm/office/").content.decode()
    assert "一企一单确认" in index and f"/firm/office/runs/{run.pk}/confirmations/" in index
    assert (
        login("leader").post(f"/firm/office/runs/{run.pk}/open/", {"kind": "result"}).status_code
        == 403
    )
