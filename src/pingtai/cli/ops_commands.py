"""Operations: backup, restore, upgrade."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pingtai.cli.runner import setup_django


def _say(text: str) -> None:
    print(f"  {text}…", flush=True)


def backup(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.audit.keys import key_file
    from pingtai.ops.backup import backup as make_backup

    manifest = make_backup(Path(args.output), progress=_say)
    rows = sum(manifest["counts"].values())
    head, secrets = manifest["audit_head"], manifest["secrets"]
    print(f"已备份 {rows} 条记录（{len(manifest['counts'])} 张表）到 {args.output}")
    print(f"一致性快照：{manifest['snapshot']}")
    print(f"数据校验值 SHA-256 {manifest['data_sha256']}")
    print(f"审计链头：第 {head['seq']} 条 {head['hash']}（链标识 {head['chain']}）")
    print(
        f"密钥类字段 {secrets['encrypted_values']} 个已加密（第 {secrets['key_epoch']} 代审计密钥，"
        f"指纹 {secrets['key_fingerprint']}）。恢复需要审计密钥：请把 {key_file()} "
        "（或环境变量 PINGTAI_AUDIT_KEY 的值）与备份分开保管"
    )
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
    head = manifest["audit_head"]
    print(
        f"已恢复 {sum(manifest['counts'].values())} 条记录（备份时间 {manifest['created_at']}），"
        f"记录数与审计链（带密钥校验）均已核对；审计链头：第 {head['seq']} 条 {head['hash']}"
    )
    if manifest.get("checkpoint_note"):
        print(f"注意：{manifest['checkpoint_note']}")
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
    p = sub.add_parser("restore", help="把备份恢复到空数据库（先完整校验备份，再在一个事务中导入）")
    p.add_argument("file")
    p.set_defaults(func=restore)
    p = sub.add_parser("upgrade", help="升级：执行数据库迁移、收集静态文件并检查部署配置")
    p.set_defaults(func=upgrade)
