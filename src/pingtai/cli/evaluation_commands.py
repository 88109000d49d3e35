"""亩均 evaluation from the command line: pingtai mujun run / publish / reproduce."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from pingtai.cli.runner import city_admin, setup_django, terminal_progress
from pingtai.core import terms


def run(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.evaluation.services import run_evaluation, run_publish

    user = city_admin(args.user)
    if args.supersede is not None:
        return _regrade(args, user)
    run_row, assembly = run_evaluation(
        args.year,
        args.method or "lishui-mujun-default",
        user=user,
        robustness_draws=args.robustness,
        seed=args.seed,
        progress=terminal_progress,
    )
    print(
        f"{run_row.name}：{terms.method_name(run_row.method_id, run_row.method_version)}"
        f"（{run_row.get_status_display()}）"
    )
    if args.publish:
        try:
            run_row = run_publish(
                run_row,
                user=user,
                supersede=args.supersede,
                reason=args.reason,
                override_reason=args.override_reason,
            )
        except Refused as refused:
            print(f"错误：{run_row.name}未发布：{refused}", file=sys.stderr)
            return 1
        print(f"已发布：{run_row.name}")
        _print_class_changes(run_row)
    print(f"  核验信息：输入 {run_row.input_hash}，结果 {run_row.result_hash}")
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


def _regrade(args: argparse.Namespace, user) -> int:
    """``--supersede RUN``: evaluate the year again with RUN's method and every correction
    accepted through objections; print each firm whose class changed; with ``--publish``
    replace RUN through the run kernel (docs/enterprise.md, "Re-grade")."""
    from pingtai.firm.regrade import regrade

    result = regrade(
        args.year,
        args.supersede,
        reason=args.reason,
        user=user,
        publish=args.publish,
        override_reason=args.override_reason,
    )
    new = result.new
    corrections = new.provenance.get("corrections", [])
    print(f"{new.name}（{new.get_status_display()}，用更正数据 {len(corrections)} 项重新评价）")
    state = "已发布，取代" if result.published else "预览，与"
    changes = result.class_changes()
    print(f"  {state}{result.old.name}；类别变化的企业 {len(changes)} 家：")
    for uscc, name, before, after in changes:
        print(f"{uscc} {name}: {before or '—'}→{after or '—'}")
    if not result.published:
        print("  （未发布；发布须加 --publish，由未受理更正数据的另一位市级管理员执行）")
    return 0


def _print_class_changes(run_row) -> None:
    """After a supersede: each firm whose class changed, as ``USCC 名称: 旧类别→新类别``."""
    if run_row.supersedes_id is None:
        return
    changed = [d for d in run_row.supersede_diff if "class" in d["changes"]]
    print(f"  取代{run_row.supersedes.name}；类别变化的企业 {len(changed)} 家：")
    for d in changed:
        before, after = d["changes"]["class"]
        print(f"{d['entity']} {d['name']}: {before or '—'}→{after or '—'}")


def reproduce_run(model, run_id: int) -> int:
    """``reproduce RUN`` for any kind of run: integrity, then recomputation; non-zero on any
    integrity difference or any recomputation difference under the same engine."""
    from pingtai.runs import kernel

    run_row = model.objects.filter(pk=run_id).first()
    if run_row is None:
        print(f"错误：{model.name_of(run_id)}不存在", file=sys.stderr)
        return 2
    report = kernel.reproduce(run_row)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def reproduce(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.evaluation.models import EvaluationRun

    return reproduce_run(EvaluationRun, args.run)


def publicize(args: argparse.Namespace) -> int:
    """Open a window on a run: the result 公示 by default (a preview becomes the 公示稿; on a
    published run it is the 复核 window), or 一企一单 confirmation or the land-area 公示."""
    import datetime as dt

    setup_django()
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.firm.windows import open_window, window_text

    user = city_admin(args.user)
    run_row = EvaluationRun.objects.filter(pk=args.run).first()
    if run_row is None:
        print(f"错误：{EvaluationRun.name_of(args.run)}不存在", file=sys.stderr)
        return 2
    try:
        opens_on = dt.date.fromisoformat(args.opens) if args.opens else None
    except ValueError:
        print(f"错误：起始日“{args.opens}”不是日期（应为 YYYY-MM-DD）", file=sys.stderr)
        return 2
    window = open_window(run_row, args.kind, user=user, days=args.days, opens_on=opens_on)
    run_row.refresh_from_db()
    print(
        f"{run_row.name}（{run_row.get_status_display()}）{window.get_kind_display()}："
        f"{window_text(window)}"
    )
    return 0


def add_publish_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--supersede", type=int, metavar="RUN", help="以本批次取代该现行批次（须同时给出 --reason）"
    )
    p.add_argument("--reason", default="", help="更正理由（取代现行结果时必填）")
    p.add_argument(
        "--override-reason", default="", help="报送未齐仍发布的理由（仅市级管理员，记录在批次上）"
    )


def register(sub: argparse._SubParsersAction) -> None:
    mujun = sub.add_parser("mujun", help="工业企业亩均效益评价").add_subparsers(
        dest="mujun_command", required=True, metavar="子命令"
    )
    p = mujun.add_parser("run", help="汇总当年数据并评价（默认生成预览）")
    p.add_argument("--year", type=int, required=True)
    p.add_argument(
        "--method",
        default=None,
        help="评价方法（默认 lishui-mujun-default；--supersede 时沿用被取代批次的方法）",
    )
    p.add_argument("--robustness", type=int, default=0, help="权重扰动抽样次数")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--publish", action="store_true", help="计算后立即发布")
    add_publish_options(p)
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=run)
    p = mujun.add_parser(
        "publicize", help="开启评价结果公示期（按工作日计算），也可开启一企一单确认期或用地公示期"
    )
    p.add_argument("run", type=int, metavar="RUN")
    p.add_argument("--days", type=int, default=None, metavar="N", help="期限（工作日）")
    p.add_argument(
        "--kind",
        choices=["result", "confirm", "land"],
        default="result",
        help="result 结果公示（默认）、confirm 一企一单确认、land 用地面积公示",
    )
    p.add_argument("--opens", default="", metavar="YYYY-MM-DD", help="起始日（默认今天）")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=publicize)
    p = mujun.add_parser(
        "reproduce", help="核对某批次：结果行与文件是否与发布时一致，并用冻结的输入重算"
    )
    p.add_argument("run", type=int)
    p.set_defaults(func=reproduce)
