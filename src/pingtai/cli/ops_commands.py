"""Operations: backup, restore, upgrade."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.site_commands import setup_django


def _say(text: str) -> None:
    print(f"  {text}…", flush=True)


def backup(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.ops.backup import backup as make_backup

    manifest = make_backup(Path(args.output), progress=_say)
    rows = sum(manifest["counts"].values())
    print(f"已备份 {rows} 条记录（{len(manifest['counts'])} 张表）到 {args.output}")
    print(f"数据校验值 SHA-256 {manifest['data_sha256']}")
    return 0


def restore(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.refusal import Refused
    from pingtai.ops.backup import restore as do_restore

    try:
        manifest = do_restore(Path(args.file), progress=_say)
    except Refused as refused:
        print(f"恢复失败：{refused}", file=sys.stderr)
        return 1
    print(
        f"已恢复 {sum(manifest['counts'].values())} 条记录（备份时间 {manifest['created_at']}），"
        "记录数与审计日志哈希链均已核对"
    )
    return 0


def upgrade(args: argparse.Namespace) -> int:
    """One command for an upgrade: migrations, static files, deployment checks."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("check", deploy=True)
    print("升级完成")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="备份全部数据（含上传的原始文件）")
    p.add_argument("-o", "--output", required=True, help="备份文件路径（.zip）")
    p.set_defaults(func=backup)
    p = sub.add_parser("restore", help="把备份恢复到空数据库")
    p.add_argument("file")
    p.set_defaults(func=restore)
    p = sub.add_parser("upgrade", help="升级：执行数据库迁移、收集静态文件并检查部署配置")
    p.set_defaults(func=upgrade)
