"""亩均 evaluation from the command line: pingtai mujun run / publish / reproduce."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from pingtai.cli.site_commands import city_admin, setup_django


def _progress(done: int, total: int, label: str) -> None:
    print(f"\r  {label}（{done}/{total}）".ljust(40), end="", flush=True)


def run(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.evaluation.services import run_evaluation, run_publish

    user = city_admin(args.user)
    if user is None:
        return 2
    try:
        run_row, assembly = run_evaluation(
            args.year,
            args.method,
            user=user,
            robustness_draws=args.robustness,
            seed=args.seed,
            progress=_progress,
        )
        print()
        if args.publish:
            run_row = run_publish(run_row, user=user)
    except Refused as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    print(f"批次 #{run_row.pk}：{run_row}")
    print(f"  输入 {run_row.input_hash}\n  结果 {run_row.result_hash}")
    print(
        f"  来源冲突 {len(assembly.conflicts)} 项，名录外代码 {len(assembly.orphans)} 个，"
        f"无当年数据企业 {len(assembly.missing)} 家"
    )
    counts: dict[str, Counter] = {}
    for county, klass in run_row.results.values_list("county_code", "klass"):
        counts.setdefault(county, Counter())[klass] += 1
    from pingtai.registry.models import County

    names = dict(County.objects.values_list("code", "name"))
    print(f"  {'县（市、区）':<10}" + "".join(f"{k:>6}" for k in "ABCDT"))
    for county in sorted(counts):
        print(
            f"  {names.get(county, county):<10}"
            + "".join(f"{counts[county][k]:>6}" for k in "ABCDT")
        )
    return 0


def reproduce(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.evaluation.services import run_reproduces

    run_row = EvaluationRun.objects.filter(pk=args.run).first()
    if run_row is None:
        print(f"错误：批次 #{args.run} 不存在", file=sys.stderr)
        return 2
    try:
        same = run_reproduces(run_row)
    except Refused as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    print(
        f"批次 #{run_row.pk} 重算{'结果一致' if same else '结果不一致！'}（{run_row.result_hash}）"
    )
    return 0 if same else 1


def register(sub: argparse._SubParsersAction) -> None:
    mujun = sub.add_parser("mujun", help="工业企业亩均效益评价").add_subparsers(
        dest="mujun_command", required=True, metavar="子命令"
    )
    p = mujun.add_parser("run", help="汇总当年数据并评价（默认生成预览）")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--method", default="lishui-mujun-default")
    p.add_argument("--robustness", type=int, default=0, help="权重扰动抽样次数")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--publish", action="store_true", help="计算后立即发布")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=run)
    p = mujun.add_parser("reproduce", help="用保存的输入快照重算某批次并核对结果哈希")
    p.add_argument("run", type=int)
    p.set_defaults(func=reproduce)
