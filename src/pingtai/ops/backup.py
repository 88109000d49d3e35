"""Backups are one zip: every row of every table (uploaded files live in the database, so they
are included) as Django's JSON serialisation, plus a manifest with counts, hashes and the
audit chain head (docs/audit.md, docs/deployment.md).

One snapshot per backup, without stopping the office:

* PostgreSQL: the whole dump runs in one REPEATABLE READ, READ ONLY transaction, so the counts
  in the manifest and the rows in the data are the same snapshot;
* SQLite: the online backup API copies the database into a private temporary file while
  writers go on (in WAL mode a reader never blocks a writer), and the dump is made from that
  copy. The earlier dump inside an IMMEDIATE transaction held the write lock for its whole
  duration.

Secrets (TOTP keys, API token hashes, password hashes) are encrypted in the backup with a key
derived from the audit key, which is kept outside the database and outside the backup; the
restore needs that key anyway to verify the audit chain. Backup files are created mode 0600.

A restore checks the whole backup before it writes anything — manifest hash, row counts per
table, the audit chain with the key, the secrets' authentication — then loads everything in
one transaction, which rolls back entirely on any failure, so a second try starts from the
same empty database.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model

import pingtai
from pingtai.core.refusal import Refused

FORMAT = "pingtai-backup/2"
# Rebuilt by migrate (content types, permissions), ephemeral (sessions), or carried in the
# manifest and set by the restore (the audit chain head, a row that only moves forward).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "audit.auditchainhead"]
# Fields that would let a reader of the backup log in or pass the second factor.
SECRET_FIELDS = {
    "accounts.user": ["password"],
    "otp_totp.totpdevice": ["key"],
    "api.apitoken": ["token_hash"],
}
SECRET_PREFIX = "pingtai-enc:"
SNAPSHOT_ALIAS = "pingtai_backup_snapshot"
Progress = Callable[[str], None]


def _models():
    excluded_apps = {e for e in EXCLUDED if "." not in e}
    excluded_models = {e for e in EXCLUDED if "." in e}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in excluded_apps or label in excluded_models:
            continue
        if model._meta.proxy or not model._meta.managed:
            continue
        yield model


def table_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.using(using).count() for m in _models()}


def _applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _secret_cipher(ring, epoch: int):
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(ring.derived(epoch, "backup-secrets")))


def _encrypt_secrets(rows: list[dict], ring, epoch: int) -> int:
    cipher, done = _secret_cipher(ring, epoch), 0
    for row in rows:
        for name in SECRET_FIELDS.get(row["model"], ()):
            value = row["fields"].get(name)
            if value:
                token = cipher.encrypt(value.encode()).decode()
                row["fields"][name] = SECRET_PREFIX + token
                done += 1
    return done


def _decrypt_secrets(rows: list[dict], ring, epoch: int) -> None:
    from cryptography.fernet import InvalidToken

    cipher = _secret_cipher(ring, epoch)
    for row in rows:
        for name in SECRET_FIELDS.get(row["model"], ()):
            value = row["fields"].get(name)
            if not value:
                continue
            if not value.startswith(SECRET_PREFIX):
                raise Refused(f"备份中的密钥字段（{row['model']} {name}）未加密：备份被改动过")
            try:
                row["fields"][name] = cipher.decrypt(value[len(SECRET_PREFIX) :]).decode()
            except InvalidToken:
                raise Refused(
                    "备份中的加密字段无法解密：审计密钥与备份时不同，或备份被改动过"
                ) from None


@contextlib.contextmanager
def _sqlite_snapshot() -> Iterator[str]:
    """Copy the live SQLite database with the online backup API into a private temporary
    file and yield a database alias reading that copy.

    The copy is one step (pages=-1): the source is read inside one read transaction, which
    in WAL mode (pingtai.settings) does not block writers, and the copy is one consistent
    snapshot. A copy in small steps would release the read lock between steps, but SQLite
    restarts a stepped backup whenever another connection writes, so under a steady write
    load it might never finish."""
    source_name = str(connection.settings_dict["NAME"])
    directory = Path(tempfile.mkdtemp(prefix="pingtai-backup-"))  # mode 0700
    copy = directory / "snapshot.sqlite3"
    try:
        source = sqlite3.connect(source_name, timeout=30)  # only read from
        target = sqlite3.connect(copy)
        try:
            source.backup(target, pages=-1)
        finally:
            target.close()
            source.close()
        connections.databases[SNAPSHOT_ALIAS] = {**connection.settings_dict, "NAME": str(copy)}
        try:
            yield SNAPSHOT_ALIAS
        finally:
            connections[SNAPSHOT_ALIAS].close()
            del connections[SNAPSHOT_ALIAS]
            del connections.databases[SNAPSHOT_ALIAS]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def _snapshot() -> Iterator[tuple[str, str]]:
    """(alias, how) of one consistent snapshot of the whole database."""
    if connection.in_atomic_block:
        # Called inside a transaction (a test, or a caller that wants its own view): that
        # transaction is the snapshot.
        with transaction.atomic():
            yield DEFAULT_DB_ALIAS, "调用方事务"
    elif connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield DEFAULT_DB_ALIAS, "PostgreSQL 可重复读只读事务"
    elif connection.vendor == "sqlite" and not connection.is_in_memory_db():  # type: ignore[attr-defined]  # SQLite's wrapper only
        with _sqlite_snapshot() as alias, transaction.atomic(using=alias):
            yield alias, "SQLite 在线备份副本"
    else:
        with transaction.atomic():
            yield DEFAULT_DB_ALIAS, "单一事务"


def _audit_head(using: str) -> dict:
    from pingtai.audit.models import AuditChainHead

    head = AuditChainHead.objects.using(using).filter(pk=AuditChainHead.SINGLETON).first()
    if head is None:
        return {"chain": "", "seq": 0, "hash": "", "key_epoch": 0}
    return {"chain": head.chain, "seq": head.seq, "hash": head.hash, "key_epoch": head.key_epoch}


def _private_file(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write ``path`` readable by its owner only (0600), whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def backup(out: Path, progress: Progress = lambda _: None) -> dict:
    """Write a consistent backup (one snapshot) and return its manifest."""
    from pingtai.audit import keys
    from pingtai.audit.keys import fingerprint

    progress("取得数据库快照")
    with _snapshot() as (alias, how):
        progress("导出数据")
        buffer = io.StringIO()
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            indent=None,
            stdout=buffer,
            verbosity=0,
            database=alias,
        )
        counts = table_counts(alias)
        migrations = _applied_migrations(alias)
        head = _audit_head(alias)
        vendor = connections[alias].vendor
    progress("加密密钥类字段")
    ring = keys.keyring(create_epoch=head["key_epoch"] + 1)
    epoch = ring.current_epoch
    rows = json.loads(buffer.getvalue())
    del buffer
    encrypted = _encrypt_secrets(rows, ring, epoch)
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    del rows
    head["key_fingerprint"] = (
        fingerprint(ring, head["key_epoch"]) if ring.key(head["key_epoch"]) else ""
    )
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "pingtai_version": pingtai.__version__,
        "database_vendor": vendor,
        "snapshot": how,
        "migrations": migrations,
        "counts": counts,
        "audit_head": head,
        "secrets": {
            "cipher": "Fernet（AES-128-CBC + HMAC-SHA256），密钥由审计密钥派生",
            "key_epoch": epoch,
            "key_fingerprint": fingerprint(ring, epoch),
            "fields": SECRET_FIELDS,
            "encrypted_values": encrypted,
        },
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "data_bytes": len(data),
    }
    progress("写入备份文件")

    def write(handle) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            archive.writestr("data.json", data)

    _private_file(Path(out), write)
    return manifest


def read_backup(path: Path) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            data = archive.read("data.json")
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as bad:
        raise Refused(f"{path} 不是有效的平台备份文件：{bad}") from bad
    if manifest.get("format") == "pingtai-backup/1":
        raise Refused(
            "这是旧版本的备份（格式 pingtai-backup/1，审计链无密钥）：请用备份时的版本恢复，"
            "再执行 pingtai upgrade 升级"
        )
    if manifest.get("format") != FORMAT:
        raise Refused(f"备份格式 {manifest.get('format')!r} 不受支持（需要 {FORMAT}）")
    if hashlib.sha256(data).hexdigest() != manifest.get("data_sha256"):
        raise Refused("备份文件已损坏：数据校验值不符")
    return manifest, data


def backup_rows(path: Path) -> list[dict]:
    """The rows of a backup with their secrets decrypted (needs the audit key)."""
    from pingtai.audit import keys

    manifest, data = read_backup(path)
    rows = json.loads(data)
    _decrypt_secrets(rows, keys.keyring(), manifest["secrets"]["key_epoch"])
    return rows


def _check_backup(manifest: dict, data: bytes) -> list[dict]:
    """Everything that can be checked without writing: counts per table, known migrations,
    the keys, the secrets and the audit chain. Returns the rows, secrets decrypted."""
    try:
        return _check_backup_contents(manifest, data)
    except (KeyError, TypeError, AttributeError) as missing:
        raise Refused(f"备份清单或数据不完整，缺少 {missing}：备份被改动过或已损坏") from None


def _check_backup_contents(manifest: dict, data: bytes) -> list[dict]:
    from django.core import serializers
    from django.db.migrations.loader import MigrationLoader

    from pingtai.audit import keys
    from pingtai.audit.chain import walk
    from pingtai.audit.services import compare_head

    try:
        rows = json.loads(data)
        found = Counter(row["model"] for row in rows)
    except (ValueError, TypeError, KeyError) as bad:
        raise Refused(f"备份数据无法读取：{bad}") from None
    expected = {label: n for label, n in manifest.get("counts", {}).items() if n}
    if dict(found) != expected:
        differing = {
            label: (expected.get(label, 0), found.get(label, 0))
            for label in sorted(set(found) | set(expected))
            if expected.get(label, 0) != found.get(label, 0)
        }
        raise Refused(f"备份中的记录数与清单不符（清单, 实际）：{differing}")
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    missing = {
        app: sorted(n for n in names if (app, n) not in known)
        for app, names in manifest.get("migrations", {}).items()
    }
    missing = {app: names for app, names in missing.items() if names}
    if missing:
        raise Refused(f"备份来自更新的版本，本系统缺少迁移：{missing}")
    try:
        ring = keys.keyring()
    except keys.AuditKeyError as no_key:
        raise Refused(
            f"{no_key}。恢复需要备份时使用的审计密钥（密钥文件 audit_key 或环境变量 "
            "PINGTAI_AUDIT_KEY），见 docs/audit.md"
        ) from None
    head = manifest.get("audit_head", {})
    needed = {manifest["secrets"]["key_epoch"]}
    needed |= {row["fields"]["key_epoch"] for row in rows if row["model"] == "audit.auditevent"}
    absent = sorted(e for e in needed if ring.key(e) is None)
    if absent:
        raise Refused(
            f"缺少第 {'、'.join(map(str, absent))} 代审计密钥（{ring.source}）："
            "恢复需要备份时使用的审计密钥文件，见 docs/audit.md"
        )
    _decrypt_secrets(rows, ring, manifest["secrets"]["key_epoch"])
    # The actor (a user, by natural key) is not part of a link and cannot be resolved before
    # the users are loaded; the username the link seals is in the row itself.
    events = [
        {**r, "fields": {k: v for k, v in r["fields"].items() if k != "actor"}}
        for r in rows
        if r["model"] == "audit.auditevent"
    ]
    try:
        objects = sorted(
            (item.object for item in serializers.deserialize("python", events)),
            key=lambda e: e.seq,  # type: ignore[attr-defined]  # the objects are AuditEvent rows
        )
    except Exception as bad:
        raise Refused(f"备份中的审计日志无法读取：{bad}") from None
    result = walk(objects, ring)
    problems = result.problems + compare_head(
        result,
        SimpleNamespace(seq=head.get("seq", 0), hash=head.get("hash", "")),
        "备份清单的审计链头",
    )
    if problems:
        raise Refused("备份中的审计日志校验不通过：" + "；".join(problems[:5]))
    return rows


def _database_is_empty() -> bool:
    from pingtai.accounts.models import User
    from pingtai.registry.models import Platform

    tables = set(connection.introspection.table_names())
    if Platform._meta.db_table not in tables:
        return True
    return not Platform.objects.exists() and not User.objects.exists()


def _insert_raw(model, objects: list, batch: int = 2000) -> None:
    """INSERT the rows exactly as they were, as loaddata's raw saves do: bulk_create would let
    auto_now/auto_now_add fields (e.g. login-attempt times) stamp the restore time instead."""
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    for start in range(0, len(objects), batch):
        model._base_manager._insert(
            objects[start : start + batch], fields=fields, raw=True, using=connection.alias
        )


def _load(rows: list[dict]) -> None:
    """Insert the serialised rows in bulk (loaddata saves them one at a time, which is many
    times slower). Rows of models with natural keys (users, groups) are inserted first, in a
    pass of their own, so that references to them by natural key resolve; all other references
    are plain ids, checked once at the end as loaddata does."""
    from django.core import serializers
    from django.core.management.color import no_style

    natural = {m._meta.label_lower for m in apps.get_models() if hasattr(m, "natural_key")}
    loaded: list[type[Model]] = []
    m2m: list[tuple[object, dict]] = []
    with connection.constraint_checks_disabled():
        for phase in (
            [r for r in rows if r["model"] in natural],
            [r for r in rows if r["model"] not in natural],
        ):
            batches: dict[type, list] = {}
            for item in serializers.deserialize("python", phase):
                batches.setdefault(type(item.object), []).append(item.object)
                if item.m2m_data:
                    m2m.append((item.object, item.m2m_data))
            for model, objects in batches.items():
                _insert_raw(model, objects)
                loaded.append(model)
        for obj, relations in m2m:
            for field_name, values in relations.items():
                getattr(obj, field_name).set(values)
    connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
            cursor.execute(sql)


def _set_head(head: dict) -> None:
    from pingtai.audit.models import AuditChainHead

    if not AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON).exists():
        AuditChainHead.objects.create(chain=head["chain"] or "restored", hash="0" * 64)
    AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON).update(
        chain=head["chain"],
        seq=head["seq"],
        hash=head["hash"] or "0" * 64,
        key_epoch=head["key_epoch"],
    )


def restore(path: Path, progress: Progress = lambda _: None) -> dict:
    """Restore a backup into an empty database; refuse anything else. Nothing is written
    before the whole backup has been checked, and the data go in as one transaction."""
    from pingtai.audit import checkpoint
    from pingtai.audit.services import audit_verify

    progress("校验备份文件（清单、记录数、审计链、加密字段）")
    manifest, data = read_backup(path)
    rows = _check_backup(manifest, data)
    del data
    if not _database_is_empty():
        raise Refused("目标数据库不是空库。恢复只能在空数据库上进行，以免覆盖现有数据。")
    progress("建立数据库结构")
    call_command("migrate", interactive=False, verbosity=0)
    progress("导入数据")
    head = manifest["audit_head"]
    try:
        with transaction.atomic():
            _load(rows)
            counts = table_counts()
            differing = {
                k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v
            }
            if differing:
                raise Refused(f"恢复后的记录数与备份不符：{differing}")
            _set_head(head)
            result = audit_verify(use_checkpoint=False)
            if not result.ok:
                raise Refused("恢复后的审计日志校验不通过：" + "；".join(result.problems[:5]))
    except Refused:
        raise
    except Exception as error:
        raise Refused(
            f"导入数据时出错，已全部撤销，数据库仍为空库，可修正后重试：{error}"
        ) from error
    previous = checkpoint.read()
    kept = checkpoint.replace(
        head["chain"], head["seq"], head["hash"], head["key_epoch"], "before-restore"
    )
    manifest["checkpoint_note"] = ""
    if kept is not None and previous and previous.get("chain") == head["chain"]:
        later = int(previous.get("seq", 0)) - head["seq"]
        if later > 0:
            manifest["checkpoint_note"] = (
                f"本机检查点记录审计链到第 {previous['seq']} 条，备份只到第 {head['seq']} 条："
                f"备份之后的 {later} 条审计记录不在备份中。原检查点已另存为 {kept}"
            )
    return manifest
