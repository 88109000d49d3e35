"""xlsx exports of the battle map and the alert list (through pingtai.xlsx: typed numbers,
dates as dates, formula-safe, 演示数据（合成） while demo tasks are listed)."""

from __future__ import annotations

import datetime as dt

from pingtai.core.dates import day_text
from pingtai.registry.models import Platform
from pingtai.supervision import rules as schedule
from pingtai.supervision.selectors import Alert, alerts
from pingtai.xlsx import Column, write_table_xlsx

TASK_HEADERS: list[Column | str] = [
    Column("平台代码", kind="code"),
    "平台",
    "任务",
    "方向",
    "责任人（单位）",
    "开始日期",
    "截止日期",
    "状态",
    Column("进度", unit="%", kind="integer"),
    Column("应达进度", unit="%", kind="decimal", decimals=1),
    "完成日期",
    "预警",
    Column("节点（完成情况）", kind="text"),
    "计入考核",
    "演示数据",
]


def battle_map_xlsx(platform: Platform, on: dt.date, rules: schedule.SupervisionRules) -> bytes:
    flags = {a.task.pk: a for a in alerts(platform.battle_tasks.all(), on, rules)}
    rows = []
    for task in platform.battle_tasks.prefetch_related("milestones"):
        flag = flags.get(task.pk)
        steps = "；".join(
            f"{m.title}（期限{day_text(m.due_date)}，"
            f"{day_text(m.done_on) + '已完成' if m.done_on else '未完成'}）"
            for m in task.milestones.all()
        )
        rows.append(
            [
                platform.code,
                platform.name,
                task.title,
                task.category,
                task.owner,
                task.start_date,
                task.deadline,
                task.get_status_display(),
                task.progress,
                float(schedule.expected_progress(task.start_date, task.deadline, on)),
                task.completed_on,
                flag.label if flag else "",
                steps,
                "是" if task.confirmed else "待确认",
                "是" if task.demo else "否",
            ]
        )
    return write_table_xlsx(
        TASK_HEADERS,
        rows,
        sheet_name=f"作战图（截至{day_text(on)}）",
        title=battle_map_title(platform, on),
        demo=any(row[-1] == "是" for row in rows),
    )


def battle_map_title(platform: Platform, on: dt.date) -> str:
    return f"{platform.name}作战图（截至{day_text(on)}）"


def alerts_title(on: dt.date) -> str:
    return f"作战图预警清单（截至{day_text(on)}）"


def alerts_xlsx(found: list[Alert], on: dt.date) -> bytes:
    headers: list[Column | str] = [
        "预警",
        Column("平台代码", kind="code"),
        "平台",
        "任务",
        "责任人（单位）",
        "截止日期",
        Column("进度", unit="%", kind="integer"),
        Column("应达进度", unit="%", kind="decimal", decimals=1),
        Column("逾期天数", unit="天", kind="integer"),
        "演示数据",
    ]
    rows = [
        [
            a.label,
            a.task.platform.code,
            a.task.platform.name,
            a.task.title,
            a.task.owner,
            a.task.deadline,
            a.task.progress,
            float(a.expected),
            a.days_overdue or "",
            "是" if a.task.demo else "否",
        ]
        for a in found
    ]
    return write_table_xlsx(
        headers,
        rows,
        sheet_name=f"预警（截至{day_text(on)}）",
        title=alerts_title(on),
        demo=any(row[-1] == "是" for row in rows),
    )
