"""The one command line, ``pingtai``: every job of the system is a sub-command here.

Each ``pingtai.cli.<area>_commands`` module adds its sub-commands through ``register``;
engine commands run without Django, the others set Django up first. What they share — set-up,
the acting user, refusals and exit codes, progress — is in ``runner``. The web views and these
commands call the same service functions.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from pingtai.cli.runner import permission_denied, report
from pingtai.core.refusal import Refused

COMMAND_MODULES = sorted(
    info.name for info in pkgutil.iter_modules(__path__) if info.name.endswith("_commands")
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pingtai", description="开发区（园区）整合提升平台管理系统 命令行"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Refused as refused:
        return report(refused)
    except Exception as exc:
        if denied := permission_denied(exc):
            return report(denied)
        raise
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
