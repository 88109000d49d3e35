"""The audit key ring: the HMAC keys that seal the audit chain, kept outside the database.

A database dump alone (or someone able to write to the database) cannot produce a chain that
verifies, because every link is an HMAC under a key that is not in the database
(docs/audit.md). Keys are numbered by epoch; each audit row records the epoch of the key that
sealed it, so a rotated key starts a new epoch and the older keys stay for verification.

Where the keys come from, first match wins:

* ``PINGTAI_AUDIT_KEY`` (setting or environment): ``KEY`` alone (epoch 1) or
  ``EPOCH:KEY,EPOCH:KEY,…``;
* the key file ``PINGTAI_AUDIT_KEY_FILE`` (default ``var/audit_key``, beside the secret key),
  one ``EPOCH KEY`` per line, mode 0600. When no key is configured the file is created on first
  use.

Backups carry no key; docs/audit.md says how the key file travels with them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_CHARS = 32


class AuditKeyError(ImproperlyConfigured):
    """The configured keys cannot be used (malformed, or a needed epoch is missing)."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[int, bytes]
    source: str  # "环境变量 PINGTAI_AUDIT_KEY" or the key file's path, for messages

    @property
    def current_epoch(self) -> int:
        return max(self.keys)

    def key(self, epoch: int) -> bytes | None:
        return self.keys.get(epoch)

    def sign(self, epoch: int, payload: bytes) -> str:
        key = self.keys.get(epoch)
        if key is None:
            raise AuditKeyError(f"缺少第 {epoch} 代审计密钥（{self.source}）")
        return hmac.new(key, payload, hashlib.sha256).hexdigest()

    def derived(self, epoch: int, purpose: str) -> bytes:
        """A 32-byte key for another purpose (backup secrets), derived so that it never equals
        the chain key itself."""
        key = self.keys.get(epoch)
        if key is None:
            raise AuditKeyError(f"缺少第 {epoch} 代审计密钥（{self.source}）")
        return hmac.new(key, f"pingtai/{purpose}".encode(), hashlib.sha256).digest()


def key_file() -> Path:
    return Path(settings.PINGTAI_AUDIT_KEY_FILE)


def _configured_value() -> str:
    return (
        getattr(settings, "PINGTAI_AUDIT_KEY", "") or os.environ.get("PINGTAI_AUDIT_KEY", "")
    ).strip()


def _parse(entries: list[tuple[str, str]], source: str) -> KeyRing:
    keys: dict[int, bytes] = {}
    for raw_epoch, value in entries:
        try:
            epoch = int(raw_epoch)
        except ValueError:
            raise AuditKeyError(f"审计密钥的代号 {raw_epoch!r} 不是整数（{source}）") from None
        if epoch < 1:
            raise AuditKeyError(f"审计密钥的代号必须从 1 开始（{source}）")
        if len(value) < MIN_KEY_CHARS:
            raise AuditKeyError(
                f"第 {epoch} 代审计密钥太短，至少 {MIN_KEY_CHARS} 个字符（{source}）"
            )
        if epoch in keys:
            raise AuditKeyError(f"第 {epoch} 代审计密钥出现了两次（{source}）")
        keys[epoch] = value.encode()
    if not keys:
        raise AuditKeyError(f"没有审计密钥（{source}）")
    return KeyRing(keys, source)


def _from_setting(value: str) -> KeyRing:
    source = "环境变量 PINGTAI_AUDIT_KEY"
    entries = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        epoch, sep, key = item.partition(":")
        entries.append((epoch, key) if sep and epoch.isdigit() else ("1", item))
    return _parse(entries, source)


def _from_file(path: Path) -> KeyRing:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            epoch, _, key = line.strip().partition(" ")
            entries.append((epoch, key.strip()))
    return _parse(entries, str(path))


def _write_new_file(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 atomically and only if it does not exist yet, so that two
    processes starting at once end up with the same key (the loser reads the winner's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _line(epoch: int) -> str:
    return f"{epoch} {secrets.token_urlsafe(32)}\n"


def keyring(create_epoch: int | None = None) -> KeyRing:
    """The configured key ring. With ``create_epoch`` and nothing configured, the key file is
    created holding a new key of that epoch (first use)."""
    if value := _configured_value():
        return _from_setting(value)
    path = key_file()
    if not path.exists():
        if create_epoch is None:
            raise AuditKeyError(
                f"未配置审计密钥：既没有环境变量 PINGTAI_AUDIT_KEY，也没有密钥文件 {path}"
            )
        _write_new_file(
            path,
            "# 平台审计日志密钥（每行：代号 密钥）。与备份分开保管，恢复时需要；见 docs/audit.md\n"
            + _line(create_epoch),
        )
    return _from_file(path)


def rotate() -> KeyRing:
    """Add a key of the next epoch to the key file; new audit rows are sealed with it."""
    if _configured_value():
        raise AuditKeyError(
            "审计密钥由环境变量 PINGTAI_AUDIT_KEY 提供：请在其中追加“新代号:新密钥”（保留旧密钥）后重启"
        )
    path = key_file()
    ring = keyring()
    with path.open("a", encoding="utf-8") as handle:
        handle.write(_line(ring.current_epoch + 1))
    return _from_file(path)


def fingerprint(ring: KeyRing, epoch: int) -> str:
    """Eight hex characters identifying a key without revealing it, for messages and backups."""
    return base64.b16encode(ring.derived(epoch, "fingerprint")[:4]).decode().lower()
