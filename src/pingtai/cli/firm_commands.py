"""The enterprise side from the command line: enterprise accounts (docs/enterprise.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.runner import acting_user, lookup, setup_django, usage


def enterprise_users(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.firm.accounts import accounts_xlsx, enterprise_accounts_create
    from pingtai.registry.models import Platform

    platform = lookup(Platform.objects, f"平台 {args.platform}", code=args.platform.upper())
    user = acting_user(args.user)

    def progress(done: int, total: int) -> None:
        print(f"\r  开设账号：{done}/{total}", end="" if done < total else "\n", flush=True)

    lines = enterprise_accounts_create(platform, user=user, progress=progress)
    Path(args.output).write_bytes(accounts_xlsx(platform, lines))
    created = sum(1 for line in lines if line.password)
    print(
        f"{platform.name}：新开设企业账号 {created} 个，已有账号 {len(lines) - created} 个；"
        f"一次性初始密码已写入 {args.output}"
    )
    return 0


def objection_file(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.accounts.models import User
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.firm.objections import due_note
    from pingtai.firm.objections import objection_file as file_objection
    from pingtai.registry.models import Enterprise

    run = lookup(EvaluationRun.objects, EvaluationRun.name_of(args.run), pk=args.run)
    firm = Enterprise.objects.filter(uscc=args.uscc.strip().upper()).first()
    if firm is None:
        print(f"错误：统一社会信用代码 {args.uscc} 不在企业名录中", file=sys.stderr)
        return 2
    if args.user:
        user = acting_user(args.user)
    else:  # on the firm's behalf, by its platform (the contract for scripts)
        platform_user = (
            User.objects.filter(role=User.Role.PLATFORM, platform=firm.platform, is_active=True)
            .order_by("username")
            .first()
        )
        if platform_user is None:
            raise usage(f"{firm.platform.name}没有平台用户，请用 --user 指明")
        user = platform_user
    evidence = []
    for path in args.evidence or []:
        file = Path(path)
        if not file.is_file():
            print(f"错误：证明材料 {path} 不存在", file=sys.stderr)
            return 2
        evidence.append((file.name, file.read_bytes()))
    obj = file_objection(
        run,
        firm,
        kind=args.kind,
        field=args.field or "",
        claimed=args.claimed,
        reason=args.reason,
        evidence=evidence,
        user=user,
    )
    note = due_note(obj)
    print(f"已登记{firm.name}的异议（{obj.get_kind_display()}），本环节期限 {obj.due_on}{note}：")
    print(obj.number)
    return 0


def objection_decide(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.firm.models import Objection
    from pingtai.firm.objections import objection_decide as decide

    obj = lookup(Objection.objects, f"异议 {args.number}", number=args.number.strip())
    user = acting_user(args.user)
    obj = decide(obj, accept=args.accept, reason=args.reason, user=user, value=args.value)
    print(f"异议 {obj.number}：{obj.get_status_display()}（{obj.decision_reason}）")
    return 0


def objection_route(args: argparse.Namespace) -> int:
    """The platform's first examination: 受理 (pass to the data-owning department) or 退回."""
    setup_django()
    from pingtai.firm.models import Objection
    from pingtai.firm.objections import objection_receive, objection_return

    obj = lookup(Objection.objects, f"异议 {args.number}", number=args.number.strip())
    user = acting_user(args.user)
    if args.objection_command == "receive":
        obj = objection_receive(obj, user=user, note=args.note)
    else:
        obj = objection_return(obj, user=user, reason=args.reason)
    due = f"，本环节期限 {obj.due_on}" if obj.due_on else ""
    print(f"异议 {obj.number}：{obj.get_status_display()}（{obj.get_stage_display()}{due}）")
    return 0


def objection_list(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.firm.models import Objection
    from pingtai.firm.sheet import field_text, number_text

    rows = (
        Objection.objects.filter(run_id=args.run)
        .select_related("enterprise", "decided_by")
        .order_by("number")
    )
    print(f"{EvaluationRun.name_of(args.run)}的异议 {rows.count()} 件")
    for o in rows:
        what = field_text(o.field) if o.field else "—"
        values = (
            f"{number_text(o.current_value, o.field)}→{number_text(o.claimed_value, o.field)}"
            if o.claimed_value is not None
            else ""
        )
        due = f"，期限 {o.due_on}" if o.due_on else ""
        decided = f"，答复人 {o.decided_by.username}" if o.decided_by else ""
        print(
            f"{o.number} {o.enterprise.uscc} {o.enterprise.name} {o.get_kind_display()} "
            f"{what} {values} {o.get_status_display()}（{o.get_stage_display()}{due}{decided}）"
        )
    return 0


def reminders(args: argparse.Namespace) -> int:
    """The daily job: deadline reminders, outcomes, and 逾期视为确认 after a window closes."""
    import datetime as dt

    setup_django()
    from pingtai.cli.runner import city_admin
    from pingtai.core.refusal import Refused
    from pingtai.firm.reminders import run_reminders

    user = city_admin(args.user)
    try:
        today = dt.date.fromisoformat(args.today) if args.today else None
        report = run_reminders(user=user, today=today)
    except ValueError:
        print(f"错误：日期“{args.today}”不正确（应为 YYYY-MM-DD）", file=sys.stderr)
        return 2
    except Refused as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0


def letters(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.cli.runner import city_admin
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.firm.letters import issue_letters
    from pingtai.registry.models import Enterprise

    user = city_admin(args.user)
    run = lookup(EvaluationRun.objects, EvaluationRun.name_of(args.run), pk=args.run)
    firms = Enterprise.objects.all()
    if args.platform:
        firms = firms.filter(platform__code=args.platform.upper())
    if args.uscc:
        firms = firms.filter(uscc__in=[u.upper() for u in args.uscc])
    issued = issue_letters(run, user=user, firms=firms)
    print(f"{run.name}：结果告知书 {len(issued)} 份已印发（已印发的按原件返回）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enterprise-users",
        help="为某平台的企业开设账号，一次性初始密码写入 Excel 名单（已有账号不重置）",
    )
    p.add_argument("--platform", required=True, metavar="CODE", help="平台代码，如 LS01")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="输出的名单文件")
    p.add_argument(
        "--user", default="admin", help="开设人：市级管理员或该平台的平台用户（默认 admin）"
    )
    p.set_defaults(func=enterprise_users)

    objection = sub.add_parser("objection", help="企业异议：提出、答复、列出").add_subparsers(
        dest="objection_command", required=True, metavar="子命令"
    )
    p = objection.add_parser("file", help="提出异议（最后一行只打印异议编号）")
    p.add_argument("--run", type=int, required=True, metavar="RUN")
    p.add_argument("--uscc", required=True, metavar="CODE", help="企业统一社会信用代码")
    p.add_argument("--kind", required=True, help="数值错误 或 特殊情况")
    p.add_argument("--field", default="", help="数据项，如 land_mu、tax_wan")
    p.add_argument("--claimed", default=None, metavar="VALUE", help="企业主张的正确数值")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--evidence", action="append", metavar="FILE", help="证明材料（可多次给出）")
    p.add_argument("--user", default="", help="提出人（默认：企业所在平台的平台用户，代为提出）")
    p.set_defaults(func=objection_file)

    p = objection.add_parser("decide", help="答复异议（数据主管部门用户或市级管理员）")
    p.add_argument("number", metavar="NUMBER")
    verdict = p.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--accept", action="store_true", help="采纳")
    verdict.add_argument("--reject", action="store_true", help="不予采纳")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--value", default=None, help="采纳时的更正数值（默认为企业主张的数值）")
    p.add_argument("--user", required=True, metavar="NAME")
    p.set_defaults(func=objection_decide)

    p = sub.add_parser(
        "reminders",
        help="每日任务：期限提醒、异议结果告知，公示或确认期截止后逾期未答复视为确认",
    )
    p.add_argument("--today", default="", metavar="YYYY-MM-DD", help="按该日执行（默认今天）")
    p.add_argument("--user", default="admin", help="记入审计日志的市级管理员（默认 admin）")
    p.set_defaults(func=reminders)

    p = sub.add_parser("letters", help="印发评价结果告知书（每企业一份，PDF 和 Word）")
    p.add_argument("--run", type=int, required=True, metavar="RUN")
    p.add_argument("--platform", default="", metavar="CODE", help="只印发该平台的企业")
    p.add_argument("--uscc", action="append", metavar="CODE", help="只印发这些企业（可多次给出）")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=letters)

    p = objection.add_parser("receive", help="平台受理异议并转数据主管部门（特殊情况转市级）")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--note", default="", metavar="TEXT", help="初核意见")
    p.add_argument("--user", required=True, metavar="NAME", help="平台用户或市级管理员")
    p.set_defaults(func=objection_route)

    p = objection.add_parser("return", help="平台退回异议（须说明理由）")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--user", required=True, metavar="NAME", help="平台用户或市级管理员")
    p.set_defaults(func=objection_route)

    p = objection.add_parser("list", help="列出某批次的异议")
    p.add_argument("--run", type=int, required=True, metavar="RUN")
    p.set_defaults(func=objection_list)
