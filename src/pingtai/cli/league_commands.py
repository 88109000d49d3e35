"""Platform league from the command line: pingtai league load-demo / run / publish / lists /
proposals / decide / pay-pool / targets."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from pingtai.cli.evaluation_commands import add_publish_options
from pingtai.cli.runner import city_admin, lookup, setup_django
from pingtai.core import terms


def _refuse(message: str, code: int = 1) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


def _print_ranking(run) -> None:
    from pingtai.league import selectors

    data = selectors.ranking(run)
    print(f"{run.name}（{run.get_status_display()}）")
    print(f"  方法 {terms.method_name(run.method_id, run.method_version)}")
    # Identifiers and fingerprints for a reviewer, on one line of their own (the pages' closed
    # 核验信息 box, docs/glossary.md).
    print(
        f"  核验信息：方法 {run.method_id}，规则 {run.rules_version}，"
        f"输入 {run.input_hash}，结果 {run.result_hash}"
    )
    for w in run.warnings:
        print(f"  提示：{w}")
    for w in selectors.run_decisions(run).warnings:
        print(f"  待决定：{w}")
    for g in data.groups:
        print(f"  【{g.label}】")
        for row in g.rows:
            r = row.result
            change = row.score_change["同比"]
            yoy = "" if change is None else f"  同比 {change:+.2f}"
            print(
                f"    {r.rank}. {row.platform.short_name:<8} {r.score:7.2f} {r.klass}  末位概率 {r.p_last or 0:.2f}{yoy}"
            )


def load_demo(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.demo import load_demo as load

    admin = city_admin(args.user)
    if admin is None:
        return 2
    report = load(admin=admin)
    print(
        f"平台季报演示数据（合成）：开启填报期 {report.periods_opened} 个，上传并审核 {report.uploaded} 份，"
        f"已存在 {report.skipped} 份，模拟逾期 {report.late} 份，关闭填报期 {report.periods_closed} 个"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.league.services import run_create, run_publish

    admin = city_admin(args.user)
    if admin is None:
        return 2
    league_run = run_create(
        args.cycle,
        args.period,
        user=admin,
        grouping=args.grouping,
        robustness_draws=args.robustness,
        seed=args.seed,
    )
    if args.publish:
        try:
            league_run = run_publish(
                league_run,
                user=admin,
                supersede=args.supersede,
                reason=args.reason,
                override_reason=args.override_reason,
            )
        except Refused as refused:
            _print_ranking(league_run)
            return _refuse(f"{league_run.name}未发布：{refused}")
    _print_ranking(league_run)
    return 0


def publish(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.models import LeagueRun
    from pingtai.league.services import run_publish

    admin = city_admin(args.user)
    if admin is None:
        return 2
    league_run = lookup(LeagueRun.objects, LeagueRun.name_of(args.run), pk=args.run)
    run_publish(
        league_run,
        user=admin,
        supersede=args.supersede,
        reason=args.reason,
        override_reason=args.override_reason,
    )
    print(f"{league_run.name}已发布")
    print(f"  核验信息：结果 {league_run.result_hash}")
    return 0


def reproduce(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.cli.evaluation_commands import reproduce_run
    from pingtai.league.models import LeagueRun

    return reproduce_run(LeagueRun, args.run)


def lists(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league import selectors
    from pingtai.league.models import LeagueRun
    from pingtai.league.runs import LEAGUE_RUNS

    league_run = lookup(LeagueRun.objects, LeagueRun.name_of(args.run), pk=args.run)
    interview, _ = selectors.interview_list(league_run)
    bottom_name, top_name = selectors.list_names(league_run)
    found = selectors.run_decisions(league_run)
    # One section per list on standard output, headed by its name, one platform per indented
    # line (the contract scripts read); the basis and open questions go to standard error.
    print(bottom_name)
    for e in interview:
        r = e.result
        print(
            f"  {r.platform.short_name}  {e.reason}  得分 {r.score:.2f}  排名区间 {selectors.rank_band(r)}  {e.robustness}"
        )
    print(top_name)
    for e in selectors.top_list(league_run):
        print(f"  {e.result.platform.short_name}  {e.reason}  得分 {e.result.score:.2f}")
    print("名单依据：", file=sys.stderr)
    for line in [*found.basis, *found.notes]:
        print(f"  {line}", file=sys.stderr)
    if found.warnings:
        print("需要决定或注意的事项：", file=sys.stderr)
        for line in found.warnings:
            print(f"  {line}", file=sys.stderr)
    if found.open_ties:
        print("待决定的并列位次：", file=sys.stderr)
        for line in LEAGUE_RUNS.open_questions(league_run):
            print(f"  {line}", file=sys.stderr)
    return 0


def decide_tie(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.models import LeagueRun
    from pingtai.league.services import tie_decide

    admin = city_admin(args.user)
    if admin is None:
        return 2
    league_run = lookup(LeagueRun.objects, LeagueRun.name_of(args.run), pk=args.run)
    decision = tie_decide(
        league_run,
        args.place,
        args.platforms.replace("，", ",").split(","),
        user=admin,
        reason=args.reason,
    )
    from pingtai.registry.models import Platform

    names = dict(Platform.objects.values_list("code", "short_name"))
    print(
        f"{league_run.name}“{decision.place}”已决定："
        f"{'、'.join(names[c] for c in decision.platforms)}列入（理由：{decision.reason}）"
    )
    return 0


def proposals(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.models import LeagueRun
    from pingtai.league.services import proposals_make

    admin = city_admin(args.user)
    if admin is None:
        return 2
    league_run = lookup(LeagueRun.objects, LeagueRun.name_of(args.run), pk=args.run)
    made = proposals_make(league_run, user=admin)
    print(f"进退档建议 {len(made)} 条（待市级管理员审批）：")
    for p in made:
        print(
            f"  #{p.pk} {p.platform.short_name} {terms.tier_name(p.from_tier)} → "
            f"{terms.tier_name(p.to_tier)}：{p.reason}"
        )
    return 0


def decide(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.models import TierProposal
    from pingtai.league.services import proposal_decide

    admin = city_admin(args.user)
    if admin is None:
        return 2
    proposal = lookup(TierProposal.objects, f"建议 #{args.proposal}", pk=args.proposal)
    proposal_decide(proposal, user=admin, approve=args.approve, note=args.note)
    print(f"建议 #{proposal.pk} 已{'批准' if args.approve else '不批准'}")
    return 0


def pay_pool(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.models import LeagueRun
    from pingtai.league.services import parse_amount, pay_pool_create

    admin = city_admin(args.user)
    if admin is None:
        return 2
    league_run = lookup(LeagueRun.objects, LeagueRun.name_of(args.run), pk=args.run)
    pool = pay_pool_create(league_run, parse_amount(args.total), user=admin, note=args.note)
    print(
        f"薪酬池 #{pool.pk}：总额 {pool.total_wan} 万元，托底 {pool.floor_wan}，限高 {pool.cap_wan}"
    )
    total = Decimal(0)
    for s in pool.shares.select_related("platform").order_by("-amount_wan", "platform__code"):
        mark = "（托底）" if s.at_floor else "（限高）" if s.at_cap else ""
        print(f"  {s.platform.short_name:<8} {s.score:7.2f} {s.amount_wan:>12} 万元{mark}")
        total += s.amount_wan
    print(f"  合计 {total} 万元")
    return 0


def targets(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.league.board import build_board

    board = build_board(args.year)
    if board.year is None:
        return _refuse("没有年度数据")
    print(f"{board.year} 年目标预警（红灯、黄灯 {len(board.warnings)} 项）：")
    for scope, a in board.warnings:
        need = "" if a.required_growth is None else f" 需年均 {a.required_growth:.1%}"
        done = "" if a.achieved_growth is None else f"，已实现 {a.achieved_growth:.1%}"
        print(
            f"  [{a.label}] {scope} {a.target.name}（{a.target.goal_text}）{need}{done}：{a.reason}"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    league = sub.add_parser(
        "league", help="重大平台考评（季度比评、年中督查、年终考核）"
    ).add_subparsers(dest="league_command", required=True, metavar="子命令")
    p = league.add_parser(
        "load-demo", help="通过填报流程录入 2023Q1—2024Q4 平台季报演示数据（合成，可重复执行）"
    )
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=load_demo)
    p = league.add_parser("run", help="计算一个批次，如 --cycle quarter --period 2024Q4")
    p.add_argument(
        "--cycle",
        choices=["quarter", "half", "year"],
        required=True,
        help="quarter 季度比评 / half 年中督查 / year 年终考核",
    )
    p.add_argument("--period", required=True, help="期别：2024Q4、2024H1 或 2024")
    p.add_argument(
        "--grouping",
        choices=["role", "size"],
        default=None,
        help="role 一心两翼三片区 / size 产值规模梯队",
    )
    p.add_argument("--robustness", type=int, default=2000, help="权重扰动抽样次数")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--publish", action="store_true", help="计算后立即发布")
    add_publish_options(p)
    p.add_argument("--user", default="admin")
    p.set_defaults(func=run)
    p = league.add_parser("publish", help="发布批次（先按快照重算核对）")
    p.add_argument("run", type=int)
    p.add_argument("--user", default="admin")
    add_publish_options(p)
    p.set_defaults(func=publish)
    p = league.add_parser(
        "reproduce", help="核对某批次：结果行与文件是否与发布时一致，并用冻结的输入重算"
    )
    p.add_argument("run", type=int)
    p.set_defaults(func=reproduce)
    p = league.add_parser("lists", help="约谈名单（含末位稳健性）与前列名单")
    p.add_argument("run", type=int)
    p.set_defaults(func=lists)
    p = league.add_parser(
        "decide-tie", help="决定并列位次：并列的平台中由哪几个列入名单（发布前，须填理由）"
    )
    p.add_argument("run", type=int)
    p.add_argument(
        "--place",
        required=True,
        help="并列位次，如 末位:两翼、末位:全市、前列:三片区、前列:全市、国家级推荐（见 lists 的提示）",
    )
    p.add_argument(
        "--platforms", required=True, help="列入的平台代码或简称，多个用逗号分隔，如 LS03"
    )
    p.add_argument("--reason", required=True, help="决定理由")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=decide_tie)
    p = league.add_parser("proposals", help="依据已发布的年终考核批次生成进退档建议")
    p.add_argument("run", type=int)
    p.add_argument("--user", default="admin")
    p.set_defaults(func=proposals)
    p = league.add_parser("decide", help="审批进退档建议")
    p.add_argument("proposal", type=int)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--approve", action="store_true")
    group.add_argument("--reject", action="store_true")
    p.add_argument("--note", default="")
    p.add_argument("--user", default="admin")
    p.set_defaults(func=decide)
    p = league.add_parser("pay-pool", help="按已发布批次的得分分配绩效薪酬池（托低、限高）")
    p.add_argument("run", type=int)
    p.add_argument("--total", required=True, help="总额（万元）")
    p.add_argument("--note", default="")
    p.add_argument("--user", default="admin")
    p.set_defaults(func=pay_pool)
    p = league.add_parser("targets", help="方案目标完成情况与预警")
    p.add_argument("--year", type=int, default=None)
    p.set_defaults(func=targets)
