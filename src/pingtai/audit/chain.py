"""The audit chain's pure parts: how text is normalised, what a link seals, and how a sequence
of links is checked. No database access here, so that the same check runs on the live log and
on the rows inside a backup before anything of it is written (pingtai.ops.backup).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pingtai.audit.keys import KeyRing

GENESIS = "0" * 64
SCHEME = "pingtai-audit/2"  # HMAC-SHA256, key epoch and sequence number sealed in every link

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return char


def clean_text(text: str) -> str:
    """Escape control characters, NUL, line separators and lone surrogates as visible text.

    The audit log records whatever a person typed, so it never refuses text; but a NUL cannot
    be stored in PostgreSQL (it would block the SQLite→PostgreSQL restore), a line break could
    forge a log line, and a lone surrogate is not UTF-8."""
    if text.isprintable() and not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return "".join(_escaped(c) for c in text)


def clean_json(value: Any) -> Any:
    """``clean_text`` through a JSON value (keys included); non-finite numbers, which JSON
    cannot hold, and other objects become text."""
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return clean_text(str(value))


def timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def payload(event: Any) -> bytes:
    """What a link seals: the event's content, its place in the chain and its key epoch."""
    return json.dumps(
        [
            SCHEME,
            event.seq,
            event.key_epoch,
            event.prev_hash,
            timestamp(event.at),
            event.actor_username,
            event.ip,
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            event.before,
            event.after,
            event.detail,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    ).encode()


@dataclass
class Walk:
    """The result of checking a sequence of links from the genesis on."""

    count: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    last_epoch: int = 0
    broken_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the first broken link first
    first_broken_seq: int | None = None
    missing_epochs: dict[int, list[int]] = field(default_factory=dict)  # epoch -> [first, last]

    def _broken(self, event: Any, text: str) -> None:
        self.broken_ids.append(event.id)
        if self.first_broken_seq is None:
            self.first_broken_seq = event.seq
        if len(self.problems) < 20:
            self.problems.append(text)


def walk(events: Iterable[Any], ring: KeyRing | None) -> Walk:
    """Check links in sequence order: sequence numbers without gaps, each link naming the
    previous link's hash, epochs never going back, and each HMAC (when the epoch's key is
    known; an epoch without key is reported, not taken as valid)."""
    result = Walk()
    for event in events:
        expected = result.last_seq + 1
        where = f"第 {event.seq} 条（编号 {event.id}，{timestamp(event.at)}，{event.actor_username or '系统'}）"
        if event.seq != expected:
            result._broken(
                event,
                f"第 {expected} 条缺失：序号从第 {result.last_seq} 条跳到第 {event.seq} 条"
                if event.seq > expected
                else f"{where}序号重复或倒退",
            )
        elif event.prev_hash != result.last_hash:
            result._broken(event, f"{where}没有接在第 {result.last_seq} 条之后：前一条哈希不符")
        elif event.key_epoch < result.last_epoch:
            result._broken(event, f"{where}的密钥代号比前一条小")
        else:
            key = ring.key(event.key_epoch) if ring is not None else None
            if key is None:
                span = result.missing_epochs.setdefault(event.key_epoch, [event.seq, event.seq])
                span[1] = event.seq
            elif not hmac.compare_digest(
                hmac.new(key, payload(event), hashlib.sha256).hexdigest(), event.hash
            ):
                result._broken(event, f"{where}的内容或哈希被改动（密钥校验不通过）")
        result.count += 1
        result.last_seq, result.last_hash = event.seq, event.hash
        result.last_epoch = max(result.last_epoch, event.key_epoch)
    for epoch, (first, last) in sorted(result.missing_epochs.items()):
        result.problems.append(f"缺少第 {epoch} 代审计密钥，第 {first}–{last} 条无法校验")
    return result
