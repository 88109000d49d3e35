"""要素差别化配置 from the command line: pingtai allocate / admission check / post-eval."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pingtai.cli.runner import city_admin, lookup, setup_django
from pingtai.core.refusal import Refused


def _print_result(result, unit: str) -> None:
    print(f"  {'代码':<14}{'名称':<18}{'得分':>10}{'系数':>7}{'配置量':>14}  约束 / 逐项说明")
    for share in result.shares:
        r = share.recipient
        steps = "；".join(f"{line.label} {line.amount:+f}" for line in share.lines if line.amount)
        binding = "、".join(share.binding) or "—"
        print(
            f"  {r.code:<14}{r.name[:16]:<18}{r.score:>10}{r.multiplier:>7}{share.amount:>14}  {binding} / {steps}"
        )
    print(
        f"  合计 {result.allocated}{unit}，结余 {result.surplus}{unit}，重大产业项目预留 "
        f"{result.reserve}（使用 {result.reserve_used}）；{result.solver}"
    )
    for note in result.notes:
        print(f"  提示：{note}")


def allocate_command(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.allocation import rules as rulefiles
    from pingtai.allocation import services
    from pingtai.allocation.models import QuotaPool
    from pingtai.registry.models import Platform

    user = city_admin(args.user)
    pool = QuotaPool.objects.filter(kind=args.pool, year=args.year).first()
    try:
        if pool is None:
            if args.total is None:
                print(
                    f"错误：{args.year}年度该类指标池不存在，请用 --total 指定总量以创建",
                    file=sys.stderr,
                )
                return 2
            pool = services.pool_create(args.pool, args.year, Decimal(args.total), user=user)
        elif args.total is not None and Decimal(args.total) != pool.total:
            print(f"错误：指标池已存在，总量为 {pool.total}，与 --total 不符", file=sys.stderr)
            return 2
        platform = None
        if args.platform:
            platform = lookup(Platform.objects, f"平台 {args.platform}", code=args.platform)
        print(f"{pool}")
        if args.compare:
            rows, results = services.allocation_compare(pool, args.rules, args.compare, platform)
            print(f"  {'代码':<14}{'名称':<18}{'A':>14}{'B':>14}{'B−A':>14}{'%':>9}")
            for row in rows:
                print(
                    f"  {row.code:<14}{row.name[:16]:<18}{row.amount_a!s:>14}{row.amount_b!s:>14}"
                    f"{row.difference!s:>14}{row.percent if row.percent is not None else '—'!s:>9}"
                )
            print(f"  A 已分配 {results[0].allocated}，B 已分配 {results[1].allocated}")
            if args.xlsx:
                # Headers and title name each rule set by its title, as the web page does.
                label_a = rulefiles.load_rule_set(args.rules).title
                label_b = rulefiles.load_rule_set(args.compare).title
                if label_b == label_a:
                    label_b += "（比较用规则文件）"
                Path(args.xlsx).write_bytes(
                    services.compare_xlsx(rows, label_a, label_b, pool.unit_name)
                )
                print(f"已写出 {args.xlsx}")
            return 0
        prepared, result = services.allocation_compute(pool, args.rules, platform)
        print(
            f"  规则 {prepared.rule_set.id} v{prepared.rule_set.version}；得分依据：{prepared.score_basis}"
        )
        _print_result(result, pool.unit_name)
        if args.save or args.publish:
            run = services.allocation_save(pool, prepared, result, user=user, platform=platform)
            if args.publish:
                run = services.allocation_publish(
                    run, user=user, supersede=args.supersede, reason=args.reason
                )
            print(f"已保存方案：{run.name}（{run.get_status_display()}）")
            if args.xlsx:
                Path(args.xlsx).write_bytes(services.run_xlsx(run, run.lines.all()))
                print(f"已写出 {args.xlsx}")
        elif args.xlsx:
            print("错误：导出 xlsx 需同时使用 --save 保存方案", file=sys.stderr)
            return 2
    except (Refused, InvalidOperation) as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    return 0


def admission_check_command(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.allocation import services
    from pingtai.allocation.models import ProjectProposal

    user = city_admin(args.user)
    rows = ProjectProposal.objects.select_related("platform").order_by("code")
    rows = rows.filter(code=args.proposal) if args.proposal else rows.filter(year=args.year)
    if args.platform:
        rows = rows.filter(platform__code=args.platform)
    if not rows.exists():
        print("错误：没有符合条件的项目", file=sys.stderr)
        return 2
    failed = 0
    for proposal in rows:
        try:
            checked = services.admission_check(proposal, user=user, rules_ref=args.rules)
        except Refused as refused:
            print(f"{proposal.code}：{refused}", file=sys.stderr)
            failed += 1
            continue
        print(f"{checked.code} {checked.name}：{checked.get_status_display()}")
        for item in checked.check_result:
            print(f"  [{'符合' if item['ok'] else '不符合'}] {item['label']}：{item['reason']}")
    return 1 if failed else 0


def post_eval_command(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.allocation import services
    from pingtai.allocation.models import StandardLandCommitment
    from pingtai.allocation.selectors import commitments_due

    user = city_admin(args.user)
    try:
        on = dt.date.fromisoformat(args.on) if args.on else None
    except ValueError:
        print(f"错误：日期“{args.on}”应为 YYYY-MM-DD", file=sys.stderr)
        return 2
    if args.due:
        commitments = list(commitments_due(user, on or dt.date.today()))
        if not commitments:
            print("没有到期未复核的标准地承诺")
            return 0
    else:
        commitments = list(StandardLandCommitment.objects.filter(proposal__code=args.proposal))
        if not commitments:
            print(f"错误：项目 {args.proposal} 没有标准地承诺", file=sys.stderr)
            return 2
    evaluations, refused_count = [], 0
    for commitment in commitments:
        try:
            evaluation = services.post_evaluation_run(
                commitment,
                user=user,
                on=on,
                data_year=args.data_year,
                actual_investment_wan=Decimal(args.investment) if args.investment else None,
                actual_floor_area_ratio=Decimal(args.far) if args.far else None,
                rules_ref=args.rules,
            )
        except (Refused, InvalidOperation) as refused:
            print(f"错误：{commitment}：{refused}", file=sys.stderr)
            refused_count += 1
            continue
        evaluations.append(evaluation)
        print(
            f"达产复核 #{evaluation.pk}：{commitment}，{evaluation.data_year}年度数据，"
            f"{'全部达标' if evaluation.met else '存在差额或待核实'}"
        )
        for item in evaluation.items:
            print(
                f"  {item['label']}：承诺 {item['committed']}，实际 {item['actual'] or '—'}，"
                f"差额 {item['shortfall_pct'] or '—'}%，{services.STATUS_LABELS[item['status']]}"
                f"{'，' + item['consequence'] if item['consequence'] else ''}"
            )
    if args.xlsx and evaluations:
        Path(args.xlsx).write_bytes(services.shortfalls_xlsx(evaluations))
        print(f"已写出 {args.xlsx}")
    return 1 if refused_count else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("allocate", help="要素差别化配置：按规则分配年度指标（可比较两套规则）")
    p.add_argument("--pool", required=True, choices=["land", "energy", "emission", "funds"])
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--rules", required=True, help="规则编号（rules/*.toml 文件名）或规则文件路径")
    p.add_argument("--compare", help="另一套规则，输出并列比较")
    p.add_argument("--platform", help="平台代码：在该平台内部向项目分配")
    p.add_argument("--total", help="指标池不存在时以此总量创建")
    p.add_argument("--save", action="store_true", help="保存为方案预览")
    p.add_argument("--publish", action="store_true", help="保存并发布")
    p.add_argument(
        "--supersede", type=int, metavar="RUN", help="以本方案取代该现行方案（须同时给出 --reason）"
    )
    p.add_argument("--reason", default="", help="更正理由（取代现行方案时必填）")
    p.add_argument("--xlsx", help="导出 xlsx 的路径")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=allocate_command)

    admission = sub.add_parser("admission", help="项目准入（标准地控制指标）").add_subparsers(
        dest="admission_command", required=True, metavar="子命令"
    )
    p = admission.add_parser("check", help="按控制指标审查项目")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--proposal", help="项目编号")
    group.add_argument("--year", type=int, help="审查该年度全部项目")
    p.add_argument("--platform", help="仅审查该平台的项目")
    p.add_argument("--rules", default="admission-default")
    p.add_argument("--user", default="admin")
    p.set_defaults(func=admission_check_command)

    p = sub.add_parser("post-eval", help="标准地项目达产复核（后评估）")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--proposal", help="项目编号")
    group.add_argument(
        "--due", action="store_true", help="复核全部到期未复核的承诺（现场核实项记为待核实）"
    )
    p.add_argument("--data-year", type=int, help="实际数据年度（默认取复核日期前最近年度）")
    p.add_argument("--investment", help="核实固定资产投资（万元）")
    p.add_argument("--far", help="核实容积率")
    p.add_argument("--on", help="复核日期 YYYY-MM-DD（默认今天）")
    p.add_argument("--rules", default="post-evaluation-default")
    p.add_argument("--xlsx", help="导出差额清单 xlsx 的路径")
    p.add_argument("--user", default="admin")
    p.set_defaults(func=post_eval_command)
