"""The chain head checkpointed outside the database.

After every committed audit write the head (chain, sequence number, hash) is written to
``PINGTAI_AUDIT_HEAD_FILE`` (default ``var/audit_head.json``). Deleting the newest events and
the head row together leaves a chain that is internally consistent; the checkpoint, which the
database cannot reach, still names the later head, and ``pingtai audit verify`` reports the
difference (docs/audit.md).

Several processes write the file: a lock file serialises them and a write never moves the
checkpoint backwards, so a process whose commit came earlier cannot overwrite a later head.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)


def path() -> Path:
    return Path(settings.PINGTAI_AUDIT_HEAD_FILE)


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.with_name(target.name + ".lock")
    descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def read(target: Path | None = None) -> dict | None:
    target = target or path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"unreadable": True}
    return data if isinstance(data, dict) else {"unreadable": True}


def _write(target: Path, head: dict) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(head, handle, ensure_ascii=False, indent=1)
    os.replace(temporary, target)


def record(chain: str, seq: int, hash_: str, epoch: int) -> None:
    """Move the checkpoint forward to this head (never backwards). A checkpoint of another
    chain (the database was replaced) is kept beside it under that chain's name."""
    target = path()
    head = {
        "chain": chain,
        "seq": seq,
        "hash": hash_,
        "key_epoch": epoch,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    try:
        with _locked(target):
            current = read(target)
            if current and current.get("chain") == chain and int(current.get("seq", 0)) >= seq:
                return
            if current and current.get("chain") and current.get("chain") != chain:
                other = "".join(c for c in str(current["chain"]) if c.isalnum())[:32]
                os.replace(target, target.with_name(f"{target.stem}.{other}.json"))
            _write(target, head)
    except OSError as error:
        # The write itself is committed; a checkpoint that cannot be written is reported by
        # verify (it lags), never turned into a failure of the user's action.
        log.warning("审计链检查点写入失败：%s", error)


def replace(chain: str, seq: int, hash_: str, epoch: int, reason: str) -> Path | None:
    """After a restore: set the checkpoint to the restored head, keeping the previous file
    (returned) for the record when it named a different head."""
    target = path()
    kept = None
    with _locked(target):
        current = read(target)
        if current and (current.get("chain"), current.get("seq"), current.get("hash")) != (
            chain,
            seq,
            hash_,
        ):
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            kept = target.with_name(f"{target.stem}.{reason}-{stamp}.json")
            os.replace(target, kept)
        _write(
            target,
            {
                "chain": chain,
                "seq": seq,
                "hash": hash_,
                "key_epoch": epoch,
                "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )
    return kept
