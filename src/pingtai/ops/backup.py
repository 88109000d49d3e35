"""Backups are one zip: every row of every table (uploaded files live in the database, so they
are included) as Django's JSON serialisation, plus a manifest with counts and hashes.

A restore goes only into an empty database, migrates it, loads everything in one transaction,
and checks the counts and the audit hash chain before it reports success. Because the data is
serialised by Django, a backup of SQLite restores into PostgreSQL and back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

import pingtai
from pingtai.core.refusal import Refused

FORMAT = "pingtai-backup/1"
# Rebuilt by migrate (content types, permissions) or ephemeral (sessions).
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]
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


def table_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in _models()}


def _applied_migrations() -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backup(out: Path, progress: Progress = lambda _: None) -> dict:
    """Write a consistent backup (one read transaction) and return its manifest."""
    with transaction.atomic():
        progress("导出数据")
        buffer = io.StringIO()
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            indent=None,
            stdout=buffer,
            verbosity=0,
        )
        data = buffer.getvalue().encode()
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "pingtai_version": pingtai.__version__,
            "database_vendor": connection.vendor,
            "migrations": _applied_migrations(),
            "counts": table_counts(),
            "data_sha256": hashlib.sha256(data).hexdigest(),
            "data_bytes": len(data),
        }
    progress("写入备份文件")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.writestr("data.json", data)
    return manifest


def read_backup(path: Path) -> tuple[dict, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            data = archive.read("data.json")
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as bad:
        raise Refused(f"{path} 不是有效的 pingtai 备份文件：{bad}") from bad
    if manifest.get("format") != FORMAT:
        raise Refused(f"备份格式 {manifest.get('format')!r} 不受支持（需要 {FORMAT}）")
    if hashlib.sha256(data).hexdigest() != manifest.get("data_sha256"):
        raise Refused("备份文件已损坏：数据校验值不符")
    return manifest, data


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


def _load(data: bytes) -> None:
    """Insert the serialised rows in bulk (loaddata saves them one at a time, which is many
    times slower). Rows of models with natural keys (users, groups) are inserted first, in a
    pass of their own, so that references to them by natural key resolve; all other references
    are plain ids, checked once at the end as loaddata does."""
    from django.core import serializers
    from django.core.management.color import no_style

    natural = {m._meta.label_lower for m in apps.get_models() if hasattr(m, "natural_key")}
    rows = json.loads(data)
    loaded: list[type] = []
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


def restore(path: Path, progress: Progress = lambda _: None) -> dict:
    """Restore a backup into an empty database; refuse anything else."""
    manifest, data = read_backup(path)
    if not _database_is_empty():
        raise Refused("目标数据库不是空库。恢复只能在空数据库上进行，以免覆盖现有数据。")
    progress("建立数据库结构")
    call_command("migrate", interactive=False, verbosity=0)
    known = _applied_migrations()
    missing = {
        app: sorted(set(names) - set(known.get(app, [])))
        for app, names in manifest["migrations"].items()
    }
    missing = {app: names for app, names in missing.items() if names}
    if missing:
        raise Refused(f"备份来自更新的版本，本系统缺少迁移：{missing}")
    progress("导入数据")
    with transaction.atomic():
        _load(data)
        counts = table_counts()
        differing = {
            k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v
        }
        if differing:
            raise Refused(f"恢复后的记录数与备份不符：{differing}")
    from pingtai.audit.services import audit_verify_chain

    broken = audit_verify_chain()
    if broken:
        raise Refused(f"审计日志哈希链校验失败：{broken[:10]}")
    return manifest
