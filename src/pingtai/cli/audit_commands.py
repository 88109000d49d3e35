"""Audit log: verify the keyed chain, rotate its key (docs/audit.md)."""

from __future__ import annotations

import argparse
import sys

from pingtai.cli.runner import setup_django


def verify(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.audit.services import audit_verify

    result = audit_verify()
    print(f"审计日志共 {result.events} 条，链头：第 {result.head_seq} 条 {result.head_hash}")
    for warning in result.warnings:
        print(f"  提示：{warning}")
    if result.ok:
        print("审计链校验通过：每条记录的密钥校验、前后衔接、链头与检查点均一致")
        return 0
    if result.first_broken_seq is not None:
        print(f"审计链校验不通过：第一处断开在第 {result.first_broken_seq} 条", file=sys.stderr)
    else:
        print("审计链校验不通过", file=sys.stderr)
    for problem in result.problems:
        print(f"  {problem}", file=sys.stderr)
    if len(result.broken_ids) > len(result.problems):
        print(f"  共 {len(result.broken_ids)} 条不通过", file=sys.stderr)
    return 1


def rotate_key(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.audit import keys
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record

    try:
        ring = keys.rotate()
    except keys.AuditKeyError as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    audit_record(
        AuditEvent.Action.UPDATE,
        username="cli",
        detail=f"审计密钥轮换：启用第 {ring.current_epoch} 代密钥（指纹 {keys.fingerprint(ring, ring.current_epoch)}）",
    )
    print(
        f"已启用第 {ring.current_epoch} 代审计密钥，旧密钥保留用于校验。"
        f"请把密钥文件 {keys.key_file()} 重新备份到与数据备份分开的地方。"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="审计日志：校验哈希链、轮换密钥")
    commands = p.add_subparsers(dest="audit_command", required=True, metavar="操作")
    q = commands.add_parser(
        "verify", help="逐条校验审计链（密钥、衔接、链头、检查点），报告第一处断开"
    )
    q.set_defaults(func=verify)
    q = commands.add_parser("rotate-key", help="启用新一代审计密钥（旧密钥保留用于校验）")
    q.set_defaults(func=rotate_key)
