"""The one command line, ``pingtai``: every job of the system is a sub-command here.

Engine commands run without Django; the others set Django up first. The web views and
these commands call the same service functions.
"""

from __future__ import annotations

import argparse
import sys

from pingtai.cli import engine_commands, evaluation_commands, reporting_commands, site_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pingtai", description="开发区（园区）整合提升平台管理系统 命令行"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    engine_commands.register(sub)
    site_commands.register(sub)
    reporting_commands.register(sub)
    evaluation_commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
