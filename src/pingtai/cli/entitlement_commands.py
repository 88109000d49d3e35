"""免申即享 lists from the command line:

    pingtai entitlements --run RUN --agency NAME -o FILE.xlsx [--user USER]

The first call generates and issues the agency's list from the published run (file and
SHA-256 stored); every later call writes the stored file again, byte for byte. A run that is
not published, or has been superseded, is refused (exit code 1)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.runner import city_admin, setup_django


def entitlements(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.entitlements import services
    from pingtai.evaluation.models import EvaluationRun

    run = EvaluationRun.objects.filter(pk=args.run).first()
    if run is None:
        print(f"错误：{EvaluationRun.name_of(args.run)}不存在", file=sys.stderr)
        return 2
    user = city_admin(args.user)
    if user is None:
        return 2
    result = services.generate(run, args.agency, user=user)
    content = services.list_file(result.record)
    record = result.record
    Path(args.output).write_bytes(content)
    if not result.created:
        print(f"该名单已于 {record.generated_at:%Y-%m-%d %H:%M} 生成，以下为存档原件。")
    print(
        f"{record.document.title}：{record.firms} 家企业，{record.line_count} 条；"
        f"企业应缴合计 {record.obligations_wan:,.4f} 万元，企业应享合计 {record.entitlements_wan:,.4f} 万元，"
        f"金额待执行单位核定 {record.uncomputed} 条；状态：{record.get_status_display()}"
    )
    print(
        f"已写入 {args.output}（{len(content)} 字节，SHA-256 {record.document.files.get().sha256}）"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "entitlements",
        help="免申即享：按已发布的亩均评价结果生成某执行单位的政策兑现名单（Excel，存档原件）",
    )
    p.add_argument("--run", type=int, required=True, help="已发布的亩均评价批次编号")
    p.add_argument(
        "--agency",
        required=True,
        help="执行单位：名称或代码，如 供电公司（电力公司）、税务局、财政局",
    )
    p.add_argument("--user", default="admin", help="生成人（市级管理员用户名）")
    p.add_argument("-o", "--output", required=True, help="输出的 .xlsx 文件")
    p.set_defaults(func=entitlements)
