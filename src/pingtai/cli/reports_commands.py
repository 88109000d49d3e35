"""Notices from the command line: pingtai notice --run ID --format docx|pdf|xlsx -o FILE."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.site_commands import setup_django


def notice(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.league.models import LeagueRun
    from pingtai.reports.charts import FontMissing
    from pingtai.reports.documents import PdfUnavailable
    from pingtai.reports.notices import league_notice, mujun_notice
    from pingtai.reports.views import render_notice

    model, build = (LeagueRun, league_notice) if args.league else (EvaluationRun, mujun_notice)
    run = model.objects.filter(pk=args.run).first()
    if run is None:
        print(f"错误：批次 #{args.run} 不存在", file=sys.stderr)
        return 2
    try:
        content = render_notice(build(run, number=args.number), args.format)
    except (Refused, FontMissing, PdfUnavailable) as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(content)
    print(f"已生成通报：{args.output}（{len(content)} 字节）")
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
    p.add_argument("--number", default="", help="文号，如 丽开整办〔2025〕3号")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=notice)
