"""Recording and verifying audit events (docs/audit.md).

One writer extends the chain at a time: ``audit_record`` locks the one-row chain head inside
the caller's transaction (SELECT … FOR UPDATE on PostgreSQL; on SQLite a write to the head row
takes the database's write lock) and links the new event to the head it reads after the lock
is granted. Links are HMACs under a key kept outside the database (pingtai.audit.keys); the
head is checkpointed to a file after each commit (pingtai.audit.checkpoint).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from pingtai.audit import checkpoint, keys
from pingtai.audit.chain import GENESIS, Walk, clean_json, clean_text, payload, walk
from pingtai.audit.models import AuditChainHead, AuditEvent

__all__ = [
    "GENESIS",
    "Verification",
    "audit_chain_head",
    "audit_record",
    "audit_verify",
    "audit_verify_chain",
    "clean_text",
]


def client_ip(request: HttpRequest | None) -> str | None:
    from pingtai.accounts.net import client_ip as proxied_client_ip  # trusted-proxy rule

    return proxied_client_ip(request)


def _seed_head() -> None:
    """Create the head row when it is missing: by the migration normally; otherwise (a table
    emptied by hand) from the newest event, so that the chain goes on from there and verify
    reports whatever is missing. Two processes may race here: one insert wins."""
    newest = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.bulk_create(
        [
            AuditChainHead(
                chain=uuid.uuid4().hex,
                seq=newest.seq if newest else 0,
                hash=newest.hash if newest else GENESIS,
                key_epoch=newest.key_epoch if newest else 0,
            )
        ],
        ignore_conflicts=True,
    )


def _locked_head() -> AuditChainHead:
    """The chain head, locked for this transaction and read after the lock was granted."""
    heads = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON)
    if connection.vendor != "postgresql":
        # SQLite has no row locks: a write takes the database's write lock (at BEGIN already,
        # with the IMMEDIATE transactions of pingtai.settings), and the read below follows it.
        heads.update(seq=models.F("seq"))
    head = heads.select_for_update().first()
    if head is None:
        _seed_head()
        head = heads.select_for_update().get()
    return head


def audit_record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor=None,
    obj: models.Model | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
    username: str | None = None,
) -> AuditEvent:
    """Append one event to the chain; called inside the caller's transaction so that a rolled
    back change leaves no audit row claiming it happened. Text is escaped, never refused."""
    user = actor or (
        request.user if request is not None and request.user.is_authenticated else None
    )
    name = username if username is not None else (user.get_username() if user else "")
    now = timezone.now()
    event = AuditEvent(
        # Millisecond precision: the precision of Django's JSON serialisation, so that a
        # restored backup reproduces every link of the chain.
        at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor=user,
        actor_username=clean_text(str(name))[:150],
        ip=client_ip(request),
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=clean_text(str(obj.pk))[:64] if obj is not None else "",
        object_repr=clean_text(str(obj))[:300] if obj is not None else "",
        before=clean_json(before),
        after=clean_json(after),
        detail=clean_text(str(detail)),
    )
    with transaction.atomic():
        head = _locked_head()
        ring = keys.keyring(create_epoch=head.key_epoch + 1)
        if ring.current_epoch < head.key_epoch:
            raise keys.AuditKeyError(
                f"当前审计密钥是第 {ring.current_epoch} 代，审计链已用到第 {head.key_epoch} 代："
                f"密钥配置（{ring.source}）被换成了旧的"
            )
        event.seq = head.seq + 1
        event.key_epoch = ring.current_epoch
        event.prev_hash = head.hash
        event.hash = ring.sign(event.key_epoch, payload(event))
        event.save()
        head.seq, head.hash, head.key_epoch = event.seq, event.hash, event.key_epoch
        head.save(update_fields=["seq", "hash", "key_epoch"])
        chain, seq, hash_, epoch = head.chain, head.seq, head.hash, head.key_epoch
        transaction.on_commit(lambda: checkpoint.record(chain, seq, hash_, epoch))
    return event


def audit_chain_head() -> str:
    """The chain head as printed in backups and written into issued documents' properties."""
    head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON).first()
    if head is None or head.seq == 0:
        return "（审计日志为空）"
    return f"第{head.seq}条 {head.hash}"


@dataclass
class Verification:
    """What ``pingtai audit verify`` reports."""

    events: int
    head_seq: int
    head_hash: str
    chain: str
    problems: list[str] = field(default_factory=list)  # the first broken link first
    warnings: list[str] = field(default_factory=list)
    first_broken_seq: int | None = None
    broken_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def compare_head(result: Walk, head: Any, label: str) -> list[str]:
    """The head row against the last link: a head ahead of the log means newest events were
    deleted; a head behind or elsewhere means the head row was rewritten."""
    if head is None:
        return [] if result.count == 0 else [f"{label}缺失"]
    if head.seq > result.last_seq:
        return [
            (
                f"{label}记录到第 {head.seq} 条，日志只到第 {result.last_seq} 条："
                f"最新的 {head.seq - result.last_seq} 条被删除"
            )
        ]
    if (head.seq, head.hash) != (result.last_seq, result.last_hash):
        return [f"{label}（第 {head.seq} 条）与日志最后一条（第 {result.last_seq} 条）不符"]
    return []


def compare_checkpoint(result: Walk, chain: str, saved: dict | None, hashes: dict[int, str]):
    """The file checkpoint against the chain: (problems, warnings)."""
    where = checkpoint.path()
    if saved is None:
        return [], [f"没有审计链检查点文件 {where}（首次写入审计日志后生成）"]
    if saved.get("unreadable"):
        return [f"审计链检查点文件 {where} 无法读取"], []
    if saved.get("chain") != chain:
        return [], [f"检查点文件 {where} 属于另一条审计链（另一个数据库），未用于比对"]
    seq = int(saved.get("seq", 0))
    if seq > result.last_seq:
        return [
            (
                f"检查点记录审计链到第 {seq} 条，日志只到第 {result.last_seq} 条："
                f"最新的 {seq - result.last_seq} 条被删除（日志被截断）"
            )
        ], []
    if seq and hashes.get(seq) != saved.get("hash"):
        return [f"第 {seq} 条与检查点文件记录的哈希不符：该条之前的日志被改写"], []
    if seq < result.last_seq:
        return [], [f"检查点停在第 {seq} 条，日志已到第 {result.last_seq} 条（检查点写入滞后）"]
    return [], []


def audit_verify(*, use_checkpoint: bool = True) -> Verification:
    """Check the whole chain with the keys, the head row and (by default) the file checkpoint."""
    ring = None
    warnings: list[str] = []
    try:
        ring = keys.keyring()
    except keys.AuditKeyError as missing:
        warnings.append(str(missing))
    head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON).first()
    saved = checkpoint.read() if use_checkpoint else None
    wanted = int(saved.get("seq", 0)) if saved and not saved.get("unreadable") else 0
    hashes: dict[int, str] = {}

    def events():
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            if event.seq == wanted:
                hashes[wanted] = event.hash
            yield event

    result = walk(events(), ring)
    problems = list(result.problems)
    if ring is None and result.count:
        problems.append("没有审计密钥，无法校验任何一条（见 docs/audit.md：恢复时带上密钥文件）")
    problems += compare_head(result, head, "审计链头")
    if use_checkpoint:
        found, noted = compare_checkpoint(result, head.chain if head else "", saved, hashes)
        problems += found
        warnings += noted
    return Verification(
        events=result.count,
        head_seq=result.last_seq,
        head_hash=result.last_hash,
        chain=head.chain if head else "",
        problems=problems,
        warnings=warnings,
        first_broken_seq=result.first_broken_seq,
        broken_ids=result.broken_ids,
    )


def audit_verify_chain() -> list[int]:
    """The ids of events whose link or HMAC does not verify (empty when intact)."""
    return audit_verify(use_checkpoint=False).broken_ids
