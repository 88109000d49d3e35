"""作战图 through HTTP, the CLI and the selector interface the platform evaluation calls."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.utils import timezone

from pingtai.audit.models import AuditEvent
from pingtai.cli import main
from pingtai.registry.models import Platform
from pingtai.supervision.models import Milestone, ProgressUpdate, Task
from pingtai.supervision.selectors import overdue_tasks, task_completion_rates

pytestmark = pytest.mark.django_db
D = dt.date


def make_task(
    code: str,
    start: dt.date,
    deadline: dt.date,
    *,
    progress: int = 0,
    completed_on: dt.date | None = None,
    title: str = "测试任务",
) -> Task:
    status = Task.Status.COMPLETED if completed_on else Task.Status.IN_PROGRESS
    return Task.objects.create(
        platform=Platform.objects.get(code=code),
        title=title,
        owner="测试责任人",
        start_date=start,
        deadline=deadline,
        progress=progress,
        completed_on=completed_on,
        status=status,
        confirmed_at=timezone.now(),
    )


def test_completion_rates_count_only_tasks_due_in_the_period_and_on_time_completions():
    make_task("LS01", D(2025, 1, 1), D(2025, 5, 31), progress=100, completed_on=D(2025, 5, 31))
    make_task("LS01", D(2025, 1, 1), D(2025, 6, 30), progress=100, completed_on=D(2025, 7, 2))
    make_task("LS01", D(2025, 1, 1), D(2025, 7, 1), progress=100, completed_on=D(2025, 6, 1))
    make_task("LS03", D(2025, 1, 1), D(2025, 4, 1), progress=40)
    rates = task_completion_rates(2025, 2)
    assert set(rates) == set(Platform.objects.values_list("code", flat=True))
    assert rates["LS01"] == 0.5  # the July task is not due in Q2
    assert rates["LS03"] == 0.0
    assert rates["LS02"] == 1.0  # nothing due
    assert all(isinstance(v, float) for v in rates.values())
    assert task_completion_rates(2025)["LS01"] == pytest.approx(2 / 3)


def test_overdue_tasks_on_a_date_include_tasks_finished_only_later():
    late = make_task(
        "LS02", D(2025, 1, 1), D(2025, 3, 31), progress=100, completed_on=D(2025, 4, 20)
    )
    open_task = make_task("LS02", D(2025, 1, 1), D(2025, 3, 31), progress=70)
    make_task("LS02", D(2025, 1, 1), D(2025, 3, 31), progress=100, completed_on=D(2025, 3, 30))
    make_task("LS02", D(2025, 1, 1), D(2025, 4, 30), progress=10)
    assert overdue_tasks(D(2025, 4, 10)) == [late, open_task]
    assert overdue_tasks(D(2025, 4, 25)) == [open_task]
    assert overdue_tasks(D(2025, 3, 31)) == []  # due today is not yet overdue


def test_slow_alert_follows_the_linear_schedule_and_the_margin(login):
    # 100 days long; on day 50 a linear schedule expects 50 %.
    slow = make_task("LS04", D(2026, 1, 1), D(2026, 4, 11), progress=34, title="滞后任务")
    make_task("LS04", D(2026, 1, 1), D(2026, 4, 11), progress=36, title="略慢但在阈值内")
    overdue = make_task("LS04", D(2025, 1, 1), D(2026, 1, 31), progress=90, title="逾期任务")
    page = login("pt_ls04").get("/supervision/alerts/?on=2026-02-20").content.decode()
    assert "滞后任务" in page and "逾期任务" in page and "略慢但在阈值内" not in page
    response = login("admin").get("/supervision/alerts.xlsx?on=2026-02-20")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "预警"
    by_title = {r[3]: r for r in rows[1:]}
    assert by_title[overdue.title][0] == "逾期未完成" and by_title[overdue.title][8] == 20
    assert by_title[slow.title][0] == "进度滞后" and by_title[slow.title][7] == 50.0
    # Dates in words in the file name, sheet and cells; one number format per column.
    assert "2026年2月20日" in unquote(response["Content-Disposition"])
    header = [c.value for c in sheet[2]]
    expected = header.index("应达进度（%）")
    assert {r[expected].number_format for r in sheet.iter_rows(min_row=3)} == {"#,##0.0"}
    Milestone.objects.create(
        task=slow, title="节点一", due_date=D(2026, 2, 1), done_on=D(2026, 2, 3)
    )
    response = login("admin").get("/supervision/platforms/LS04/export.xlsx?on=2026-02-20")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [
        c for row in book.active.iter_rows(values_only=True) for c in row if isinstance(c, str)
    ]
    assert "节点一（期限2026年2月1日，2026年2月3日已完成）" in cells
    assert not any(re.search(r"\d{4}-\d\d-\d\d", c) for c in cells)
    assert "2026-02-20" not in book.active.title + unquote(response["Content-Disposition"])
    assert AuditEvent.objects.filter(action="export", detail__contains="预警清单").exists()


def test_platform_user_reports_progress_and_completion_is_dated(login):
    today = timezone.localdate()
    task = make_task(
        "LS03", today - dt.timedelta(days=60), today + dt.timedelta(days=30), progress=20
    )
    client = login("pt_ls03")
    response = client.post(
        f"/supervision/tasks/{task.pk}/progress/",
        {"progress": 100, "as_of": today.isoformat(), "note": "提前完成"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.progress, task.status, task.completed_on) == (100, "completed", today)
    assert ProgressUpdate.objects.get(task=task).reported_by.username == "pt_ls03"
    event = AuditEvent.objects.filter(
        object_type="supervision.Task", object_id=str(task.pk)
    ).latest("id")
    assert event.before["progress"] == 20 and event.after["progress"] == 100
    assert task_completion_rates(task.deadline.year)["LS03"] == 1.0


def test_progress_dates_cannot_be_backdated_beyond_the_grace_period_or_set_in_the_future(login):
    today = timezone.localdate()
    task = make_task(
        "LS03", today - dt.timedelta(days=100), today - dt.timedelta(days=20), progress=50
    )
    client = login("pt_ls03")
    url = f"/supervision/tasks/{task.pk}/progress/"
    page = client.post(
        url,
        {"progress": 100, "as_of": (today - dt.timedelta(days=25)).isoformat(), "note": "倒签"},
        follow=True,
    ).content.decode()
    assert "最多只能补报 7 天前" in page
    page = client.post(
        url,
        {"progress": 60, "as_of": (today + dt.timedelta(days=1)).isoformat(), "note": "未来"},
        follow=True,
    ).content.decode()
    assert "不能晚于今天" in page
    client.post(url, {"progress": 70, "as_of": today.isoformat(), "note": "按实际日期"})
    page = client.post(
        url,
        {"progress": 80, "as_of": (today - dt.timedelta(days=3)).isoformat(), "note": "早于上次"},
        follow=True,
    ).content.decode()
    assert "不能早于上一次报告的日期" in page
    task.refresh_from_db()
    assert task.progress == 70 and task.updates.count() == 1 and task.completed_on is None


def test_tasks_a_platform_adds_count_only_after_the_city_confirms_them(login):
    today = timezone.localdate()
    start, deadline = today - dt.timedelta(days=90), today - dt.timedelta(days=1)
    client = login("pt_ls05")
    client.post(
        "/supervision/platforms/LS05/tasks/new/",
        {
            "title": "自定任务",
            "owner": "平台",
            "start_date": start.isoformat(),
            "deadline": deadline.isoformat(),
        },
    )
    task = Task.objects.get(title="自定任务")
    assert not task.confirmed
    assert task_completion_rates(deadline.year)["LS05"] == 1.0  # not counted yet
    assert "待市级管理员确认" in client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    for username in ("pt_ls05", "leader"):
        login(username).post(f"/supervision/tasks/{task.pk}/confirm/")
    task.refresh_from_db()
    assert not task.confirmed
    login("admin").post(f"/supervision/tasks/{task.pk}/confirm/")
    task.refresh_from_db()
    assert task.confirmed and task.confirmed_by.username == "admin"
    page = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert "已确认（市级管理员" in page and "（admin" not in page  # the person, not the login
    assert task_completion_rates(deadline.year)["LS05"] == 0.0
    assert AuditEvent.objects.filter(
        action="approve", object_type="supervision.Task", object_id=str(task.pk)
    ).exists()
    assert login("pt_ls04").post(f"/supervision/tasks/{task.pk}/confirm/").status_code == 404


@pytest.mark.parametrize("username", ["admin", "leader", "dept_tax"])
def test_only_the_platforms_own_users_report_progress(login, username):
    task = make_task("LS03", D(2026, 1, 1), D(2026, 12, 31), progress=20)
    milestone = Milestone.objects.create(task=task, title="节点", due_date=D(2026, 6, 30))
    client = login(username)
    client.post(
        f"/supervision/tasks/{task.pk}/progress/",
        {"progress": 90, "as_of": "2026-06-30", "note": "x"},
    )
    client.post(
        f"/supervision/tasks/{task.pk}/milestones/{milestone.pk}/done/", {"done_on": "2026-06-30"}
    )
    task.refresh_from_db()
    milestone.refresh_from_db()
    assert task.progress == 20 and not task.updates.exists() and milestone.done_on is None


def test_read_only_roles_cannot_create_tasks_or_milestones(login):
    task = make_task("LS05", D(2026, 1, 1), D(2026, 12, 31))
    before = Task.objects.count()
    for username in ("leader", "dept_statistics"):
        client = login(username)
        client.post(
            "/supervision/platforms/LS05/tasks/new/",
            {
                "title": "越权任务",
                "owner": "x",
                "start_date": "2026-01-01",
                "deadline": "2026-02-01",
            },
        )
        client.post(
            f"/supervision/tasks/{task.pk}/milestones/",
            {"title": "越权节点", "due_date": "2026-03-01"},
        )
    assert Task.objects.count() == before and not task.milestones.exists()


def test_platform_user_and_admin_create_tasks_and_milestones(login):
    client = login("pt_ls05")
    response = client.post(
        "/supervision/platforms/LS05/tasks/new/",
        {
            "title": "新建标准厂房",
            "owner": "建设局",
            "category": "要素配置",
            "start_date": "2026-03-01",
            "deadline": "2026-12-31",
        },
    )
    task = Task.objects.get(title="新建标准厂房")
    assert (
        response.status_code == 302
        and task.platform.code == "LS05"
        and task.created_by.username == "pt_ls05"
    )
    assert not task.confirmed  # a platform's own task waits for the city office
    login("admin").post(
        f"/supervision/tasks/{task.pk}/milestones/", {"title": "主体结顶", "due_date": "2026-09-30"}
    )
    login("admin").post(
        "/supervision/platforms/LS05/tasks/new/",
        {
            "title": "市级交办任务",
            "owner": "管委会",
            "start_date": "2026-03-01",
            "deadline": "2026-12-31",
        },
    )
    assert Task.objects.get(title="市级交办任务").confirmed
    assert list(task.milestones.values_list("title", flat=True)) == ["主体结顶"]
    # a milestone on the battle map carries its year: a task may run into the next one
    page = login("admin").get("/supervision/platforms/LS05/").content.decode()
    assert "○ 主体结顶（2026-09-30）" in page
    client = login("pt_ls05")
    bad = client.post(
        "/supervision/platforms/LS05/tasks/new/",
        {"title": "日期颠倒", "owner": "x", "start_date": "2026-05-01", "deadline": "2026-01-01"},
        follow=True,
    )
    assert "开始日期不能晚于截止日期" in bad.content.decode()
    assert not Task.objects.filter(title="日期颠倒").exists()


def test_another_platforms_battle_map_answers_404_on_every_route(login):
    task = make_task("LS02", D(2026, 1, 1), D(2026, 12, 31), progress=10)
    milestone = Milestone.objects.create(task=task, title="节点", due_date=D(2026, 6, 30))
    client = login("pt_ls03")
    gets = [
        "/supervision/platforms/LS02/",
        "/supervision/platforms/LS02/export.xlsx",
        f"/supervision/tasks/{task.pk}/",
    ]
    posts = {
        "/supervision/platforms/LS02/tasks/new/": {
            "title": "x",
            "owner": "x",
            "start_date": "2026-01-01",
            "deadline": "2026-02-01",
        },
        f"/supervision/tasks/{task.pk}/progress/": {
            "progress": 90,
            "as_of": "2026-06-30",
            "note": "x",
        },
        f"/supervision/tasks/{task.pk}/milestones/": {"title": "x", "due_date": "2026-03-01"},
        f"/supervision/tasks/{task.pk}/milestones/{milestone.pk}/done/": {"done_on": "2026-06-30"},
    }
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    task.refresh_from_db()
    assert task.progress == 10 and Task.objects.filter(platform__code="LS02").count() == 1
    alerts_page = client.get("/supervision/alerts/?on=2027-01-05").content.decode()
    assert "莲都经开区" not in alerts_page and "无预警" in alerts_page
    page = client.get("/supervision/completion/?year=2026").content.decode()
    assert "龙泉" in page and "莲都经开区" not in page
    assert client.get("/supervision/").url == "/supervision/platforms/LS03/"


def test_demo_battle_map_loads_idempotently_through_the_cli(capsys, tmp_path):
    assert main(["supervision", "load-demo"]) == 0
    first = sorted(
        Task.objects.values_list("platform__code", "demo_key", "progress", "completed_on")
    )
    milestones = Milestone.objects.count()
    assert main(["supervision", "load-demo"]) == 0
    assert (
        sorted(Task.objects.values_list("platform__code", "demo_key", "progress", "completed_on"))
        == first
    )
    assert Milestone.objects.count() == milestones
    assert len(first) == 6 * Platform.objects.count()
    assert all(t.demo and t.title.startswith("【演示】") for t in Task.objects.all())
    assert "更新 66 项" in capsys.readouterr().out
    rates = task_completion_rates(2025)
    assert rates["LS05"] == 0.5 and rates["LS01"] == 1.0  # LS05 finished its first task late
    assert main(["supervision", "alerts", "--on", "2026-11-15"]) == 0
    out = capsys.readouterr().out
    # The platform by its name, never its code.
    ls10 = Platform.objects.get(code="LS10").short_name
    assert "逾期未完成 4 项" in out and ls10 in out and "LS10" not in out
    out_file = tmp_path / "map.xlsx"
    assert (
        main(
            [
                "supervision",
                "export",
                "--platform",
                "LS01",
                "--on",
                "2026-11-15",
                "--out",
                str(out_file),
            ]
        )
        == 0
    )
    rows = list(openpyxl.load_workbook(out_file).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 7 and rows[1][0] == "LS01" and rows[1][13] == "是" and rows[1][14] == "是"
    assert main(["supervision", "export", "--platform", "LS99", "--out", str(out_file)]) == 2


def test_pages_render_for_each_role(login):
    make_task("LS01", D(2026, 1, 1), D(2026, 12, 31), progress=10, title="经开区任务")
    for username in ("admin", "leader", "pt_ls01"):
        client = login(username)
        page = client.get("/supervision/platforms/LS01/?on=2026-06-01").content.decode()
        assert "经开区任务" in page
        assert ("新增任务" in page) == (username != "leader")
    overview = login("leader").get("/supervision/?on=2026-06-01").content.decode()
    assert "丽水经济技术开发区" in overview and "景宁" in overview


def test_the_django_admin_cannot_change_battle_map_rows(login):
    task = make_task("LS01", D(2026, 1, 1), D(2026, 12, 31))
    client = login("admin")
    assert client.get("/admin/supervision/task/").status_code == 200
    assert client.get("/admin/supervision/task/add/").status_code == 403
    client.post(f"/admin/supervision/task/{task.pk}/change/", {"title": "改名", "progress": 100})
    task.refresh_from_db()
    assert task.title == "测试任务" and task.progress == 0
