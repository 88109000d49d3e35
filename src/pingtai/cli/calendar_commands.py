"""The working-day calendar from the command line: show a year, load the State Council's
schedule of a year (docs/enterprise.md, "Working days")."""

from __future__ import annotations

import argparse
from pathlib import Path

from pingtai.cli.runner import city_admin, setup_django, usage


def calendar_show(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils import timezone

    from pingtai.firm.calendar import date_text
    from pingtai.firm.calendar_years import calendar_year

    view = calendar_year(args.year)
    if view.provisional:
        print(
            f"{view.year}年：暂按法定节假日计算（{view.source}），"
            f"国务院公布{view.year}年安排后以公布为准"
        )
    else:
        print(f"{view.year}年：{view.source}")
    if view.loaded is not None:
        print(
            f"  由{view.loaded.loaded_by}于{date_text(timezone.localdate(view.loaded.loaded_at))}录入"
            f"（文件 {view.loaded.filename}）"
        )
    print("放假：")
    for name, first, last in view.off:
        days = (last - first).days + 1
        span = date_text(first) if first == last else f"{date_text(first)}至{date_text(last)}"
        print(f"  {name}：{span}，共 {days} 天")
    print("调休上班：" + ("、".join(date_text(d) for d in view.work) if view.work else "无"))
    print(f"全年工作日 {view.working_days} 天")
    return 0


def calendar_load(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.firm.calendar_years import calendar_load as load

    path = Path(args.file)
    if not path.is_file():
        raise usage(f"文件 {args.file} 不存在")
    outcome = load(
        path.read_bytes(), path.name, user=city_admin(args.user), source=args.source or ""
    )
    print(f"已录入{outcome.year}年节假日安排（{outcome.source}）")
    for line in outcome.changed:
        print(f"  重算：{line}")
    if not outcome.changed:
        print("  没有依赖该年度暂算日历的期限需要重算")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("calendar", help="工作日日历：查看某年、录入国务院公布的节假日安排")
    calendar = group.add_subparsers(dest="calendar_command", required=True, metavar="子命令")
    p = calendar.add_parser("show", help="查看某年的放假日、调休上班日和工作日数")
    p.add_argument("year", type=int, metavar="YEAR")
    p.set_defaults(func=calendar_show)
    p = calendar.add_parser(
        "load",
        help="录入一个年度的节假日安排（TOML，或 Excel：日期、安排（放假/上班）、节日名称）",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--source", default="", metavar="TEXT", help="依据（Excel 文件必填）")
    p.add_argument("--user", default="admin", help="市级管理员用户名（默认 admin）")
    p.set_defaults(func=calendar_load)
