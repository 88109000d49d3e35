"""A year without the State Council's schedule is counted provisionally on the statutory
holidays, says so wherever its deadlines appear, and is replaced by the official schedule when
the city administrator loads it: open deadlines are recomputed and audited; a malformed file is
refused and changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.cli import main
from pingtai.core.refusal import Refused
from pingtai.evaluation.services import run_evaluation
from pingtai.firm.calendar import calendar, load_calendar
from pingtai.firm.calendar_years import calendar_load
from pingtai.firm.models import HolidayYear, PublicityWindow
from pingtai.firm.windows import open_window, window_text

D = dt.date
NOTE = "截止日期按法定节假日暂算，国务院公布2027年安排后以公布为准"

# A schedule shaped like the State Council's notices (invented for the test: the real 2027
# notice was not published when this was written): 春节 9 days with two Saturdays worked.
OFFICIAL_2027 = """
[[year]]
year = 2027
source = "国务院办公厅关于2027年部分节假日安排的通知（测试用）"
off = [
  { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
  { name = "春节", from = 2027-02-05, to = 2027-02-13 },
  { name = "清明节", from = 2027-04-03, to = 2027-04-05 },
  { name = "劳动节", from = 2027-05-01, to = 2027-05-05 },
  { name = "端午节", from = 2027-06-09, to = 2027-06-09 },
  { name = "中秋节", from = 2027-09-15, to = 2027-09-15 },
  { name = "国庆节", from = 2027-10-01, to = 2027-10-07 },
]
work = [2027-01-30, 2027-02-20, 2027-04-10, 2027-09-25, 2027-10-09]
"""


def test_a_provisional_year_counts_the_statutory_holidays_and_their_make_up_days():
    cal = load_calendar()
    assert 2027 in cal.provisional and 2026 not in cal.provisional
    # New Year: 2026-12-28 (Monday) … 12-31 are four working days, 2027-01-01 (Friday) is off,
    # the weekend follows; no 调休.
    assert cal.closing_day(D(2026, 12, 28), 5) == D(2027, 1, 4)
    # Spring Festival 2027: 除夕 2-5 (Friday) to 初三 2-8 (Monday); 2-6 and 2-7 fall on the
    # weekend, so 2-9 and 2-10 are make-up days off (办法 Article 6); 2-11 works again.
    assert [cal.is_working_day(D(2027, 2, d)) for d in range(4, 12)] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert cal.closing_day(D(2027, 2, 1), 5) == D(2027, 2, 11)
    # 清明 4-5 (Monday), 端午 6-9, 中秋 9-15: weekdays, nothing owed. 劳动节 5-1..5-2 is a
    # weekend: made up on 5-3 and 5-4. 国庆 10-1..10-3 has 10-2 and 10-3 on the weekend: made
    # up on 10-4 and 10-5.
    off = [D(2027, 4, 5), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 1)]
    off += [D(2027, 5, 3), D(2027, 5, 4), D(2027, 10, 4), D(2027, 10, 5)]
    assert not any(cal.is_working_day(d) for d in off)
    assert cal.is_working_day(D(2027, 4, 6)) and cal.is_working_day(D(2027, 5, 5))
    assert cal.is_working_day(D(2027, 10, 6)) and cal.is_working_day(D(2027, 6, 10))
    assert cal.provisional_note(D(2026, 12, 28), D(2027, 1, 4)) == NOTE
    assert cal.provisional_note(D(2026, 12, 1), D(2026, 12, 8)) == ""


@pytest.fixture
def admin(db):
    return User.objects.get(username="admin")


@pytest.fixture
def spring_window(admin):
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    return open_window(run, "result", user=admin, days=5, opens_on=D(2027, 2, 1))


@pytest.mark.django_db
def test_loading_the_official_year_recomputes_the_open_window_and_audits_it(
    admin, spring_window, tmp_path, capsys
):
    assert spring_window.closes_on == D(2027, 2, 11)
    assert NOTE in window_text(spring_window)
    assert main(["calendar", "show", "2027"]) == 0
    out = capsys.readouterr().out
    assert (
        "暂按法定节假日计算" in out
        and "春节：2027年2月5日（星期五）至2027年2月10日（星期三），共 6 天" in out
    )

    path = tmp_path / "2027.toml"
    path.write_text(OFFICIAL_2027, encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 0
    out = capsys.readouterr().out
    assert "已录入2027年节假日安排" in out
    assert "截止日由2027年2月11日（星期四）改为2027年2月15日（星期一）" in out

    spring_window.refresh_from_db()
    # Official: 2-1..2-4 are four working days, 2-5..2-13 off, 2-14 is Sunday, 2-15 Monday is
    # the fifth.
    assert spring_window.closes_on == D(2027, 2, 15)
    assert calendar().closing_day(D(2027, 2, 1), 5) == spring_window.closes_on
    assert 2027 not in calendar().provisional
    assert NOTE not in window_text(spring_window)
    event = AuditEvent.objects.filter(
        object_type="firm.PublicityWindow", object_id=str(spring_window.pk)
    ).latest("pk")
    assert event.before == {"closes_on": "2027-02-11"}
    assert "按国务院公布的2027年节假日安排重算" in event.detail
    assert AuditEvent.objects.filter(object_type="firm.HolidayYear").exists()

    # Shown as the official year now; loading it again is refused.
    assert main(["calendar", "show", "2027"]) == 0
    out = capsys.readouterr().out
    assert "国务院办公厅关于2027年部分节假日安排的通知（测试用）" in out and "暂按" not in out
    assert main(["calendar", "load", str(path)]) == 1
    assert "2027年的节假日安排已于" in capsys.readouterr().err


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "安排", "节日名称"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _official_rows():
    rows = []
    for name, first, last in [
        ("元旦", D(2027, 1, 1), D(2027, 1, 1)),
        ("春节", D(2027, 2, 5), D(2027, 2, 11)),
        ("清明节", D(2027, 4, 5), D(2027, 4, 5)),
        ("劳动节", D(2027, 5, 1), D(2027, 5, 5)),
        ("端午节", D(2027, 6, 9), D(2027, 6, 9)),
        ("中秋节", D(2027, 9, 15), D(2027, 9, 15)),
        ("国庆节", D(2027, 10, 1), D(2027, 10, 7)),
    ]:
        day = first
        while day <= last:
            rows.append([day, "放假", name])
            day += dt.timedelta(days=1)
    return [*rows, [D(2027, 2, 20), "上班", ""]]


@pytest.mark.django_db
def test_an_official_year_from_excel(admin, spring_window):
    outcome = calendar_load(
        _xlsx(_official_rows()), "2027年节假日.xlsx", user=admin, source="国务院办公厅通知（测试）"
    )
    assert outcome.year == 2027
    cal = calendar()
    assert not cal.is_working_day(D(2027, 2, 11)) and cal.is_working_day(D(2027, 2, 20))
    assert cal.off[D(2027, 2, 9)] == "春节"
    spring_window.refresh_from_db()
    # 2-1..2-4 are four working days, 2-5..2-11 off, Friday 2-12 the fifth.
    assert spring_window.closes_on == D(2027, 2, 12)
    assert len(outcome.changed) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "filename", "source", "message"),
    [
        (
            OFFICIAL_2027.replace("2027-01-30, ", "2027-01-29, "),
            "a.toml",
            "",
            "调休上班日 2027-01-29 不是周末",
        ),
        (
            OFFICIAL_2027.replace(
                "from = 2027-02-05, to = 2027-02-13", "from = 2027-02-06, to = 2027-02-13"
            ),
            "a.toml",
            "",
            "未将法定节假日 2027-02-05（春节）列为放假日",
        ),
        (
            OFFICIAL_2027.replace("year = 2027\n", "year = 2027\nyear = 2027\n"),
            "a.toml",
            "",
            "TOML",
        ),
        (OFFICIAL_2027 + OFFICIAL_2027, "a.toml", "", "只须有一个 [[year]] 段"),
        (OFFICIAL_2027.replace("source = ", "#"), "a.toml", "", "2027年未注明依据"),
        (OFFICIAL_2027.replace("2027", "2026"), "a.toml", "", "2026年的节假日安排已随系统提供"),
        (None, "a.xlsx", "通知", "第 2 行的日期“明天”无法识别"),
        (None, "a.xlsx", "", "请写明依据"),
        (b"%PDF-1.4 not a schedule", "a.toml", "", "既不是 Excel"),
    ],
)
def test_a_malformed_year_is_refused_and_nothing_changes(admin, content, filename, source, message):
    if content is None:
        rows = [["明天", "放假", "元旦"]] if source else _official_rows()
        data = _xlsx(rows)
    else:
        data = content.encode("utf-8") if isinstance(content, str) else content
    events = AuditEvent.objects.count()
    with pytest.raises(Refused) as refused:
        calendar_load(data, filename, user=admin, source=source)
    assert message in refused.value.message
    assert not HolidayYear.objects.exists()
    assert AuditEvent.objects.count() == events
    assert 2027 in calendar().provisional


@pytest.mark.django_db
def test_a_refused_load_leaves_the_provisional_deadline(spring_window, tmp_path, capsys):
    path = tmp_path / "2027.toml"
    path.write_text(OFFICIAL_2027, encoding="utf-8")
    assert main(["calendar", "load", str(path), "--user", "pt_ls01"]) == 2
    assert "不是市级管理员" in capsys.readouterr().err
    path.write_text(OFFICIAL_2027.replace("2027-02-13", "2027-02-02"), encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 1
    assert "“春节”的起止日期不正确" in capsys.readouterr().err
    assert not HolidayYear.objects.exists()
    spring_window.refresh_from_db()
    assert spring_window.closes_on == D(2027, 2, 11)
    assert NOTE in window_text(PublicityWindow.objects.get())


@pytest.mark.django_db
def test_an_objection_deadline_in_a_provisional_year_says_so_and_follows_the_official_year(
    admin, tmp_path, capsys
):
    from django.test import Client

    from pingtai.firm.models import Objection, ObjectionStep
    from pingtai.firm.objections import objection_file

    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    window = open_window(run, "result", user=admin, days=5, opens_on=D(2026, 12, 28))
    assert window.closes_on == D(2027, 1, 4)
    firm = run.results.filter(platform_code="LS01").exclude(klass="T").first().enterprise
    platform = User.objects.get(username="pt_ls01")
    filed_on = D(2026, 12, 31)
    obj = objection_file(run, firm, kind="特殊情况", reason="停产", user=platform, today=filed_on)
    # Two working days for the platform: 12-31, then (1-1 off, a weekend) 1-4.
    assert obj.due_on == D(2027, 1, 4)
    # The step is dated the day it was filed (the test files "on" 12-31).
    ObjectionStep.objects.filter(objection=obj).update(
        at=dt.datetime(2026, 12, 31, 9, tzinfo=dt.UTC)
    )
    client = Client()
    client.force_login(platform)
    page = client.get(f"/firm/office/objections/{obj.number}/").content.decode()
    assert NOTE in page

    # An official 2027 with 元旦 through Monday 1-4 (invented): both deadlines move a day.
    path = tmp_path / "2027.toml"
    path.write_text(OFFICIAL_2027.replace("to = 2027-01-03", "to = 2027-01-04"), encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 0
    out = capsys.readouterr().out
    assert "截止日由2027年1月4日（星期一）改为2027年1月5日（星期二）" in out
    assert f"异议 {obj.number} 本环节期限由2027年1月4日（星期一）改为2027年1月5日（星期二）" in out
    obj = Objection.objects.get(pk=obj.pk)
    assert obj.due_on == D(2027, 1, 5)
    assert NOTE not in client.get(f"/firm/office/objections/{obj.number}/").content.decode()


@pytest.mark.django_db
def test_officials_read_the_working_day_calendar_of_a_year(login):
    """No page showed the working-day calendar the deadlines are counted on; it is read from
    the one calendar the services use, official or provisional, linked from 公示 and help."""
    from django.test import Client

    from pingtai.firm.calendar import date_text

    cal = calendar()
    official = min(y for y in cal.years if y not in cal.provisional)
    view = cal.year_view(official)
    page = login("admin").get(f"/firm/office/calendar/?year={official}").content.decode()
    assert f"工作日日历 · {official}年" in page and f"官方安排，依据：{view.source}" in page
    spring = next(d for d in view.off if d.name == "春节")
    assert f"<td>春节</td><td>{date_text(spring.first)}</td><td>{date_text(spring.last)}</td>" in (
        page
    )
    assert view.work and all(date_text(d) in page for d in view.work)
    assert f"全年工作日 {view.working_days} 天" in page
    if cal.provisional:
        later = min(cal.provisional)
        page = login("pt_ls01").get(f"/firm/office/calendar/?year={later}").content.decode()
        assert "暂按法定节假日计算" in page and "本年没有调休上班日" in page
    for username in ("leader", "dept_tax"):
        assert login(username).get("/firm/office/calendar/").status_code == 200
    assert "/firm/office/calendar/" in login("admin").get("/firm/office/").content.decode()
    assert "/firm/office/calendar/" in login("admin").get("/help/").content.decode()
    firm = Client()
    firm.force_login(User.objects.create(username="qy_cal", role="enterprise"))
    assert firm.get("/firm/office/calendar/").status_code == 403
