"""作战图 from the command line: pingtai supervision load-demo / alerts / completion / export."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from pingtai.cli.runner import lookup, setup_django


def load_demo(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.supervision.services import demo_load

    report = demo_load(args.file) if args.file else demo_load()
    print(
        f"演示作战图（标注“演示”）：{report.platforms} 个平台，新建任务 {report.created} 项，"
        f"更新 {report.updated} 项。"
    )
    return 0


def alerts(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.supervision.models import Task
    from pingtai.supervision.rules import load_rules
    from pingtai.supervision.selectors import alerts as find_alerts

    tasks = Task.objects.all()
    if args.platform:
        tasks = tasks.filter(platform__code=args.platform)
    found = find_alerts(tasks, args.on, load_rules())
    print(
        f"截至 {args.on}：逾期未完成 {sum(a.kind == 'overdue' for a in found)} 项，"
        f"进度滞后 {sum(a.kind == 'slow' for a in found)} 项"
    )
    for a in found:
        extra = (
            f"逾期 {a.days_overdue} 天"
            if a.kind == "overdue"
            else f"进度 {a.task.progress}%（应达 {a.expected}%）"
        )
        print(
            f"  [{a.label}] {a.task.platform.short_name}  {a.task.title}  "
            f"截止 {a.task.deadline}  {extra}"
        )
    return 0


def completion(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.registry.models import Platform
    from pingtai.supervision.selectors import task_completion_rates

    names = dict(Platform.objects.values_list("code", "short_name"))
    period = f"{args.year}年" + (f"第{args.quarter}季度" if args.quarter else "")
    print(f"{period}作战图任务按期完成率（本期无到期任务记为100%）")
    for code, rate in task_completion_rates(args.year, args.quarter).items():
        print(f"  {names.get(code, code):<8}{rate * 100:6.1f}%")
    return 0


def export(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record
    from pingtai.registry.models import Platform
    from pingtai.supervision.exports import battle_map_xlsx
    from pingtai.supervision.rules import load_rules

    platform = lookup(Platform.objects, f"平台 {args.platform}", code=args.platform)
    Path(args.out).write_bytes(battle_map_xlsx(platform, args.on, load_rules()))
    audit_record(
        AuditEvent.Action.EXPORT,
        obj=platform,
        username="cli",
        detail=f"命令行导出作战图（{args.on}）",
    )
    print(f"已导出 {platform.name} 作战图：{args.out}")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as bad:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from bad


def register(sub: argparse._SubParsersAction) -> None:
    sup = sub.add_parser(
        "supervision", help="平台作战图：演示数据、预警、按期完成率、导出"
    ).add_subparsers(dest="supervision_command", required=True, metavar="子命令")
    p = sup.add_parser("load-demo", help="为每个平台载入演示作战图（可重复执行）")
    p.add_argument("--file", help="演示作战图文件（TOML），默认使用内置文件")
    p.set_defaults(func=load_demo)
    p = sup.add_parser("alerts", help="列出逾期未完成和进度滞后的任务")
    p.add_argument("--on", type=_date, default=dt.date.today(), help="查询日期，默认今天")
    p.add_argument("--platform", help="只看一个平台，如 LS03")
    p.set_defaults(func=alerts)
    p = sup.add_parser("completion", help="各平台任务按期完成率（供平台综合评价使用）")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--quarter", type=int, choices=(1, 2, 3, 4))
    p.set_defaults(func=completion)
    p = sup.add_parser("export", help="导出一个平台的作战图（xlsx）")
    p.add_argument("--platform", required=True)
    p.add_argument("--on", type=_date, default=dt.date.today())
    p.add_argument("--out", required=True)
    p.set_defaults(func=export)
