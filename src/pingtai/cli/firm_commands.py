"""The enterprise side from the command line: enterprise accounts (docs/enterprise.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.site_commands import setup_django


def _user(username: str):
    from pingtai.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        print(f"错误：用户 {username} 不存在或已停用", file=sys.stderr)
    return user


def enterprise_users(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.firm.accounts import accounts_xlsx, enterprise_accounts_create
    from pingtai.registry.models import Platform

    platform = Platform.objects.filter(code=args.platform.upper()).first()
    if platform is None:
        print(f"错误：平台 {args.platform} 不存在", file=sys.stderr)
        return 2
    user = _user(args.user)
    if user is None:
        return 2

    def progress(done: int, total: int) -> None:
        print(f"\r  开设账号：{done}/{total}", end="" if done < total else "\n", flush=True)

    try:
        lines = enterprise_accounts_create(platform, user=user, progress=progress)
    except Refused as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(accounts_xlsx(platform, lines))
    created = sum(1 for line in lines if line.password)
    print(
        f"{platform.name}：新开设企业账号 {created} 个，已有账号 {len(lines) - created} 个；"
        f"一次性初始密码已写入 {args.output}"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enterprise-users",
        help="为某平台的企业开设账号，一次性初始密码写入 Excel 名单（已有账号不重置）",
    )
    p.add_argument("--platform", required=True, metavar="CODE", help="平台代码，如 LS01")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="输出的名单文件")
    p.add_argument(
        "--user", default="admin", help="开设人：市级管理员或该平台的平台用户（默认 admin）"
    )
    p.set_defaults(func=enterprise_users)
