"""A backup restored into an empty database holds exactly the same data (R-19/R-20)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile

import pytest

from pingtai.core.refusal import Refused
from pingtai.ops.backup import backup, backup_rows, read_backup, restore

pytestmark = pytest.mark.django_db


def _cli(
    args: list[str], database_url: str, var_dir, *, carry_key: bool = True
) -> subprocess.CompletedProcess:
    """Run ``pingtai`` on another machine's set-up: its own var/ directory, into which the
    audit key file is carried, as docs/audit.md tells the operator to do."""
    from django.conf import settings

    from pingtai.audit import keys

    var_dir.mkdir(parents=True, exist_ok=True)
    if carry_key and not (var_dir / "audit_key").exists():
        ring = keys.keyring()
        (var_dir / "audit_key").write_text(
            "".join(f"{epoch} {key.decode()}\n" for epoch, key in ring.keys.items())
        )
    env = {**os.environ, "DATABASE_URL": database_url, "PINGTAI_VAR_DIR": str(var_dir)}
    for name in ("PINGTAI_EXPECT_POSTGRES", "PINGTAI_AUDIT_KEY", "PINGTAI_AUDIT_KEY_FILE"):
        env.pop(name, None)
    env["PINGTAI_AUDIT_HEAD_FILE"] = str(var_dir / "audit_head.json")
    assert settings.PINGTAI_AUDIT_HEAD_FILE != var_dir / "audit_head.json"
    return subprocess.run(
        [sys.executable, "-m", "pingtai.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _rows(path) -> dict:
    """model → {pk: fields}, so the comparison ignores only serialisation order (secrets
    decrypted: each backup encrypts them afresh)."""
    table: dict = {}
    for obj in backup_rows(path):
        table.setdefault(obj["model"], {})[json.dumps(obj.get("pk"))] = obj["fields"]
    return table


@pytest.fixture
def postgres_database():
    """An empty PostgreSQL database for the restore, dropped afterwards."""
    import psycopg

    name = f"pingtai_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _round_trip(tmp_path, target_url: str) -> None:
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record

    audit_record(AuditEvent.Action.EXPORT, detail="备份前的最后一条")
    first = tmp_path / "first.zip"
    manifest = backup(first)
    assert manifest["counts"]["registry.enterpriseyear"] == 23382
    assert manifest["counts"]["audit.auditevent"] >= 1
    restored = _cli(["restore", str(first)], target_url, tmp_path / "var")
    assert restored.returncode == 0, restored.stderr
    assert "已恢复" in restored.stdout
    second = tmp_path / "second.zip"
    assert _cli(["backup", "-o", str(second)], target_url, tmp_path / "var").returncode == 0
    before, after = _rows(first), _rows(second)
    assert before.keys() == after.keys()
    for model in before:
        assert before[model] == after[model], model
    again = _cli(["restore", str(first)], target_url, tmp_path / "var")
    assert again.returncode == 1 and "不是空库" in again.stderr


def test_backup_restores_into_an_empty_sqlite_database(tmp_path):
    _round_trip(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")


@pytest.mark.skipif(
    os.environ.get("PINGTAI_EXPECT_POSTGRES") != "1",
    reason="restore into PostgreSQL runs in the PostgreSQL pass of CI",
)
def test_backup_restores_into_an_empty_postgresql_database(tmp_path, postgres_database):
    _round_trip(tmp_path, postgres_database)


def test_a_damaged_backup_is_refused(tmp_path):
    path = tmp_path / "b.zip"
    backup(path)
    with zipfile.ZipFile(path) as archive:
        manifest, data = archive.read("manifest.json"), archive.read("data.json")
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("data.json", data.replace(b"Lishui", b"Lishux", 1) + b" ")
    with pytest.raises(Refused, match="校验值不符"):
        read_backup(tmp_path / "bad.zip")


def test_restore_refuses_a_database_that_has_data(tmp_path):
    path = tmp_path / "b.zip"
    backup(path)
    with pytest.raises(Refused, match="不是空库"):
        restore(path)


def test_automatic_timestamps_keep_their_backed_up_values(tmp_path):
    """A task's creation time (auto_now_add) must come back as it was, not as the restore time."""
    import datetime as dt

    from pingtai.registry.models import Platform
    from pingtai.supervision.models import Task

    long_ago = dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    entry = Task.objects.create(
        platform=Platform.objects.order_by("code").first(),
        title="备份时间戳测试",
        owner="测试",
        start_date=dt.date(2025, 1, 1),
        deadline=dt.date(2025, 12, 31),
    )
    Task.objects.filter(pk=entry.pk).update(created_at=long_ago)
    first = tmp_path / "first.zip"
    backup(first)
    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    assert _cli(["restore", str(first)], target, tmp_path / "var").returncode == 0
    second = tmp_path / "second.zip"
    assert _cli(["backup", "-o", str(second)], target, tmp_path / "var").returncode == 0
    restored = _rows(second)["supervision.task"][json.dumps(entry.pk)]
    assert restored["created_at"] == "2025-01-02T03:04:05.678Z"
