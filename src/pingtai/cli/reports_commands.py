"""Notices from the command line:

    pingtai notice --run RUN [--league] --format docx|pdf|xlsx -o FILE [--issue [--number N]]

Without --issue the file is a draft (no 文号). --issue takes the next 文号 from the register,
stores Word, PDF and Excel together and prints the 文号; asked again, it writes the stored
file. --number records a 文号 assigned outside the system, checked against the register."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.runner import city_admin, lookup, setup_django


def notice(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.league.models import LeagueRun
    from pingtai.reports import services
    from pingtai.reports.fonts import FontMissing
    from pingtai.reports.models import IssuedDocument

    if args.number and not args.issue:
        print("错误：--number 只在印发时登记文号，请同时使用 --issue", file=sys.stderr)
        return 2
    model = LeagueRun if args.league else EvaluationRun
    run = lookup(model.objects, model.name_of(args.run), pk=args.run)
    document: IssuedDocument | None
    try:
        if args.issue:
            user = city_admin(args.user)
            document = services.issue_notice(run, user=user, number=args.number or None)
            content = services.document_file(document, args.format)
        else:
            result = services.notice_file(run, args.format)
            document = result.document
            if document is not None:
                print(f"该批次通报已印发（{document.number}），以下为存档原件。")
            content = result.content
    except (Refused, FontMissing) as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(content)
    if args.issue and document is not None:
        print(document.number)
    else:
        kind = "通报" if document is not None else "通报草稿（未编文号）"
        print(f"已生成{kind}：{args.output}（{len(content)} 字节）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "notice", help="根据已发布的批次生成通报（Word/PDF/Excel）：亩均评价或平台考评"
    )
    p.add_argument("--run", type=int, required=True, help="批次编号")
    p.add_argument(
        "--league", action="store_true", help="平台考评批次（季度比评、年中督查、年终考核）"
    )
    p.add_argument("--format", choices=["docx", "pdf", "xlsx"], default="docx")
    p.add_argument(
        "--issue",
        action="store_true",
        help="印发：从文号登记簿取下一个文号，三种格式一并存档，并输出文号",
    )
    p.add_argument(
        "--number", default="", help="与 --issue 同用：登记系统外已编的文号，如 丽开整办〔2025〕3号"
    )
    p.add_argument("--user", default="admin", help="印发人（市级管理员用户名）")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=notice)
