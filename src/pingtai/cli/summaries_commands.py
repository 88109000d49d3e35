"""The pages' summaries: rebuild them from the data (docs/dashboard.md, "Summaries")."""

from __future__ import annotations

import argparse
import time

from pingtai.cli.runner import setup_django


def rebuild(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record
    from pingtai.summaries.services import summaries_rebuild

    start = time.perf_counter()
    report = summaries_rebuild()
    seconds = time.perf_counter() - start
    audit_record(
        AuditEvent.Action.UPDATE,
        username="cli",
        detail=f"重建汇总数据：年度数据汇总 {report.figure_rows} 行，评价类别汇总 {report.runs} 个批次",
    )
    print(
        f"已重建汇总数据（用时 {seconds:.1f} 秒）：年度数据汇总 {report.figure_rows} 行"
        f"（年度×平台×县（市、区）），平台中心点 {report.platforms_located} 个，"
        f"已发布的亩均评价批次 {report.runs} 个的类别汇总 {report.class_rows} 行。"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "summaries", help="汇总数据：驾驶舱、地图和平台页面所用的年度汇总与评价类别汇总"
    )
    commands = p.add_subparsers(dest="summaries_command", required=True, metavar="操作")
    q = commands.add_parser(
        "rebuild", help="按企业年度数据和已发布的评价结果重新计算全部汇总（在一个事务中）"
    )
    q.set_defaults(func=rebuild)
