"""Integration planning from the command line: pingtai planning classify / approve / simulate /
chains / agreement / settle. Same services as the web pages."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pingtai.cli.runner import city_admin, lookup, setup_django
from pingtai.core import numbers, terms


def _write(path: str, content: bytes, what: str) -> None:
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record

    Path(path).write_bytes(content)
    audit_record(AuditEvent.Action.EXPORT, username="cli", detail=f"命令行导出{what}：{path}")
    print(f"已导出：{path}")


def classify(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.planning.exports import classification_xlsx
    from pingtai.planning.rules import load_rules
    from pingtai.planning.services import classification_create

    user = city_admin(args.user)
    rules = load_rules(args.rules) if args.rules else load_rules()
    run = classification_create(year=args.year, as_of=args.as_of, user=user, rules=rules)
    print(
        f"已生成并提撤转分类建议（{run.name}，平台体系时点 {run.as_of}，规则 {run.rules_id} v{run.rules_version}）"
    )
    for item in run.items.select_related("target_platform"):
        if item.action != "keep":
            target = f" → {item.target_platform.short_name}" if item.target_platform else ""
            print(
                f"  [{item.get_action_display()}] {item.code} {item.name}{target}：{item.reasons[-1]}"
            )
    if args.out:
        _write(args.out, classification_xlsx(run), "并提撤转分类结果")
    return 0


def approve(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.planning.models import ClassificationRun
    from pingtai.planning.services import classification_approve

    user = city_admin(args.user)
    run = lookup(ClassificationRun.objects, ClassificationRun.name_of(args.run), pk=args.run)
    result = classification_approve(
        run,
        effective_date=args.effective_date,
        document=args.document,
        user=user,
        conflict_reason=args.conflict_reason or "",
    )
    print(f"已审定{run.name}：登记整合事件 {result.events} 条，{result.unchanged} 个园区现状已一致")
    return 0


def simulate(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.planning.exports import simulation_xlsx
    from pingtai.planning.selectors import simulate as run_simulation

    try:
        sim = run_simulation(args.platform or [], args.zone or [], args.year)
    except ValueError as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    t = sim.totals
    print(
        f"合并模拟（{sim.year}年，不改变现有数据）：企业 {t.enterprises} 家，产值 {numbers.money(t.output_wan, unit='亿元')}，"
        f"亩均税收 {t.tax_per_mu or 0:.2f} 万元/亩，可开发面积 {sim.developable_mu} 亩"
    )
    print(
        f"  {terms.tier_name(sim.tier)}：产值第 {sim.rank_output[0]}/{sim.rank_output[1]}，"
        f"亩均税收第 {sim.rank_tax_per_mu[0]}/{sim.rank_tax_per_mu[1]}"
    )
    for line in sim.targets:
        done = f"完成度 {line.progress * 100:.1f}%" if line.progress is not None else ""
        print(f"  {line.name}（{line.goal_text}）：{line.label} {done}")
    if args.out:
        _write(args.out, simulation_xlsx(sim), "合并模拟")
    return 0


def chains(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.planning.exports import chain_xlsx
    from pingtai.planning.selectors import chain_map
    from pingtai.registry.models import Platform

    platforms = Platform.objects.order_by("code")
    if args.platform:
        platforms = platforms.filter(code=args.platform)
        if not platforms:
            print(f"错误：平台 {args.platform} 不存在", file=sys.stderr)
            return 2
    rows = [(p, chain_map(p, args.year)) for p in platforms]
    for platform, statuses in rows:
        targets = [s for s in statuses if s.action]
        print(
            f"{platform.code} {platform.short_name}：已有环节 {sum(not s.missing for s in statuses)} 个，招商方向 {len(targets)} 项"
        )
        for s in targets:
            print(f"  {s.action}  {s.link.chain_name}·{s.link.name}（现有 {s.enterprises} 家）")
    if args.out:
        _write(args.out, chain_xlsx(rows, targets_only=True), "产业链招商清单")
    return 0


def agreement(args: argparse.Namespace) -> int:
    """Register an agreement from a TOML file (see docs/planning.md for the layout)."""
    setup_django()
    from pingtai.core.datafiles import read_bytes, toml_table
    from pingtai.planning.services import agreement_from_file

    user = city_admin(args.user)
    path = Path(args.file)
    raw = toml_table(read_bytes(path, what="协议文件"), what="协议文件", source=path.name)
    row = agreement_from_file(raw, user=user)
    print(f"已登记协议 {row.code} {row.title}（参与方 {row.parties.count()} 个）")
    return 0


def load_demo(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.planning.services import agreements_load_demo

    user = city_admin(args.user)
    created, existing = agreements_load_demo(user=user)
    print(f"演示利益共享协议（标注“演示”）：新登记 {created} 份，已存在 {existing} 份。")
    return 0


def settle(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.planning.exports import settlement_xlsx
    from pingtai.planning.models import Agreement
    from pingtai.planning.services import settlement_create

    user = city_admin(args.user)
    row = lookup(Agreement.objects, f"协议 {args.agreement}", code=args.agreement)
    try:
        settlement = settlement_create(row, year=args.year, cost_yuan=Decimal(args.cost), user=user)
    except (Refused, InvalidOperation) as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    print(
        f"{row.code} {settlement.year} 年度结算：覆盖企业 {settlement.enterprise_count} 家，"
        f"实缴税金 {settlement.tax_yuan} 元"
    )
    for line in settlement.lines.select_related("party"):
        print(
            f"  {line.party.name}：税收 {line.tax_yuan} 元（{line.tax_share}%），归属产值 {line.output_yuan} 元，"
            f"分担投入 {line.cost_yuan} 元"
        )
    if args.out:
        _write(args.out, settlement_xlsx(settlement), "利益共享结算单")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as bad:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from bad


def register(sub: argparse._SubParsersAction) -> None:
    planning = sub.add_parser(
        "planning", help="整合规划：并提撤转、合并模拟、产业链、利益共享"
    ).add_subparsers(dest="planning_command", required=True, metavar="子命令")
    p = planning.add_parser("classify", help="生成并提撤转分类建议（待审定）")
    p.add_argument("--year", type=int, required=True, help="企业数据年度")
    p.add_argument("--as-of", type=_date, default=dt.date.today(), help="平台体系时点，默认今天")
    p.add_argument("--rules", help="规则文件（TOML），默认使用内置的系统默认规则")
    p.add_argument("--out", help="导出 xlsx")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=classify)
    p = planning.add_parser("approve", help="审定分类批次并登记整合事件")
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--effective-date", type=_date, required=True)
    p.add_argument("--document", required=True, help="依据文件（审定文号）")
    p.add_argument(
        "--conflict-reason",
        help="与《总体方案》不一致事项的审定意见（有此类事项时必填）",
    )
    p.add_argument("--user", default="admin")
    p.set_defaults(func=approve)
    p = planning.add_parser("simulate", help="合并模拟（只读）")
    p.add_argument("--platform", action="append", help="平台代码，可重复")
    p.add_argument("--zone", action="append", help="整合前园区代码，可重复")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", help="导出 xlsx")
    p.set_defaults(func=simulate)
    p = planning.add_parser("chains", help="产业链环节与建链补链延链强链招商清单")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--platform", help="只看一个平台")
    p.add_argument("--out", help="导出招商清单 xlsx")
    p.set_defaults(func=chains)
    p = planning.add_parser("agreement", help="从 TOML 文件登记利益共享协议")
    p.add_argument("--file", required=True)
    p.add_argument("--user", default="admin")
    p.set_defaults(func=agreement)
    p = planning.add_parser("load-demo", help="登记演示利益共享协议（可重复执行）")
    p.add_argument("--user", default="admin")
    p.set_defaults(func=load_demo)
    p = planning.add_parser("settle", help="生成协议的年度结算单")
    p.add_argument("--agreement", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--cost", default="0", help="当年开发投入（元）")
    p.add_argument("--out", help="导出结算单 xlsx")
    p.add_argument("--user", default="admin")
    p.set_defaults(func=settle)
