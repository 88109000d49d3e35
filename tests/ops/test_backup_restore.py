"""A backup restored into an empty database holds exactly the same data (docs/deployment.md, backup and restore)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
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
    return subprocess.run(
        [sys.executable, "-m", "pingtai.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


_WHOLE_SECOND = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.000(Z|[+-]\d\d:\d\d)$")


def _same_instant(value):
    """Django's JSON encoder keeps milliseconds: a time of 12:00:00.000400 is written
    "12:00:00.000Z", restored as 12:00:00 and written again as "12:00:00Z" - the same instant."""
    if isinstance(value, str):
        return _WHOLE_SECOND.sub(r"\1\2", value)
    return value


def _rows(path) -> dict:
    """model → {pk: fields}, so the comparison ignores only serialisation order (secrets
    decrypted: each backup encrypts them afresh)."""
    table: dict = {}
    for obj in backup_rows(path):
        table.setdefault(obj["model"], {})[json.dumps(obj.get("pk"))] = {
            name: _same_instant(value) for name, value in obj["fields"].items()
        }
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


def _tables(database_url: str) -> int:
    """How many tables the target database has (0: nothing was written)."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if not os.path.exists(path):
            return 0
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[
                0
            ]
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]


def _rows_in(database_url: str, table: str) -> int:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _tampered(source, target, change) -> None:
    """A copy of the backup whose data ``change`` rewrote, with the manifest's checksum made to
    match (what someone editing the file would do)."""
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        rows = json.loads(archive.read("data.json"))
    change(rows)
    data = json.dumps(rows, ensure_ascii=False).encode()
    manifest["data_sha256"] = hashlib.sha256(data).hexdigest()
    manifest["data_bytes"] = len(data)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))
        archive.writestr("data.json", data)


def _rewrite_audit_detail(rows) -> None:
    event = next(r for r in rows if r["model"] == "audit.auditevent")
    event["fields"]["detail"] = "被改写的记录"


def _duplicate_platform_code(rows) -> None:
    """Passes every check before writing (counts, chain) but violates a unique constraint while
    loading: the load must roll back entirely."""
    first, second = [r for r in rows if r["model"] == "registry.platform"][:2]
    second["fields"]["code"] = first["fields"]["code"]


def _round_trip(tmp_path, target_url: str) -> None:
    from pingtai.audit.models import AuditEvent
    from pingtai.audit.services import audit_record

    audit_record(
        AuditEvent.Action.LOGIN_FAILED,
        username="管理\x00员\x1b",
        detail="任务标题\x00含控制字符\x07",
        after={"标题": "计划\x00"},
    )
    from pingtai.accounts.models import User
    from pingtai.accounts.services import accounts_start_totp
    from pingtai.api.services import token_create

    admin = User.objects.get(username="admin")
    device, _ = accounts_start_totp(admin)
    token, _ = token_create(admin, "备份测试", actor=admin)
    audit_record(AuditEvent.Action.EXPORT, detail="备份前的最后一条")
    first = tmp_path / "first.zip"
    manifest = backup(first)
    assert first.stat().st_mode & 0o777 == 0o600
    assert manifest["counts"]["registry.enterpriseyear"] == 23382
    assert manifest["counts"]["audit.auditevent"] >= 2
    assert manifest["audit_head"]["seq"] == AuditEvent.objects.order_by("-seq").first().seq
    raw = zipfile.ZipFile(first).read("data.json").decode()
    assert "\\u0000" not in raw and "pingtai-enc:" in raw
    assert not any(pw in raw for pw in _password_hashes())
    assert device.key not in raw and token.token_hash not in raw  # TOTP key, token hash

    # Without the audit key: refused before anything is written.
    nokey = _cli(["restore", str(first)], target_url, tmp_path / "var-nokey", carry_key=False)
    assert nokey.returncode == 1 and "审计密钥" in nokey.stderr, nokey.stderr
    assert _tables(target_url) == 0
    # One audit row rewritten, checksum fixed up: the keyed chain refuses it, nothing written.
    _tampered(first, tmp_path / "tampered.zip", _rewrite_audit_detail)
    tampered = _cli(["restore", str(tmp_path / "tampered.zip")], target_url, tmp_path / "var")
    assert tampered.returncode == 1 and "审计日志校验不通过" in tampered.stderr, tampered.stderr
    assert _tables(target_url) == 0
    # A failure while loading: everything rolled back, the database stays empty.
    _tampered(first, tmp_path / "clash.zip", _duplicate_platform_code)
    clash = _cli(["restore", str(tmp_path / "clash.zip")], target_url, tmp_path / "var")
    assert clash.returncode == 1 and "已全部撤销" in clash.stderr, clash.stderr
    for table in ("registry_platform", "accounts_user", "audit_auditevent"):
        assert _rows_in(target_url, table) == 0, table

    # The second (fourth) try, with the good backup, works.
    restored = _cli(["restore", str(first)], target_url, tmp_path / "var")
    assert restored.returncode == 0, restored.stderr
    assert "已恢复" in restored.stdout
    verified = _cli(["audit", "verify"], target_url, tmp_path / "var")
    assert verified.returncode == 0, verified.stderr
    second = tmp_path / "second.zip"
    assert _cli(["backup", "-o", str(second)], target_url, tmp_path / "var").returncode == 0
    before, after = _rows(first), _rows(second)
    assert before.keys() == after.keys()
    for model in before:
        assert before[model] == after[model], model
    again = _cli(["restore", str(first)], target_url, tmp_path / "var")
    assert again.returncode == 1 and "不是空库" in again.stderr


def _password_hashes() -> list[str]:
    from pingtai.accounts.models import User

    return [p for p in User.objects.values_list("password", flat=True) if len(p) > 20]


def test_backup_restores_into_an_empty_sqlite_database(tmp_path):
    _round_trip(tmp_path, f"sqlite:///{tmp_path / 'restored.sqlite3'}")


def _postgres_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


@pytest.mark.skipif(
    os.environ.get("PINGTAI_EXPECT_POSTGRES") != "1" and not _postgres_reachable(),
    reason="no PostgreSQL server on 127.0.0.1:5432 (the PostgreSQL pass of CI has one)",
)
def test_backup_restores_into_an_empty_postgresql_database(tmp_path, postgres_database):
    """From the SQLite pass this is the documented SQLite→PostgreSQL move, with NUL and
    control characters in the audit log (PostgreSQL text cannot hold NUL)."""
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


WRITER = """
import json, os, sys, time
import django
django.setup()
from django.db import transaction
from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
stop, label = sys.argv[1], sys.argv[2]
written, worst = 0, 0.0
while not os.path.exists(stop):
    started = time.monotonic()
    with transaction.atomic():
        user = User.objects.create(username=f"{label}_{written}", password="!")
        audit_record(AuditEvent.Action.CREATE, obj=user, username="负载", detail=label)
    worst = max(worst, time.monotonic() - started)
    written += 1
print(json.dumps({"written": written, "worst_seconds": round(worst, 3)}))
"""


def _live_database(tmp_path, request) -> str:
    """A database of the session's kind that other processes can reach (the SQLite test
    database is in memory, private to this process)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return request.getfixturevalue("postgres_database")
    return f"sqlite:///{tmp_path / 'live.sqlite3'}"


def _count(database_url: str, sql: str) -> int:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_backup_under_concurrent_writes_is_one_snapshot_that_restores_row_for_row(
    tmp_path, request
):
    """Three processes keep creating users, each with its audit event in the same transaction,
    while the backup runs. The backup must hold exactly as many load users as load events
    (one snapshot), pass the restore's checks, and restore row for row; the live chain,
    written by three processes at once, verifies."""
    import time

    live = _live_database(tmp_path, request)
    var = tmp_path / "var"
    migrated = _cli(["manage", "migrate", "-v0"], live, var)
    assert migrated.returncode == 0, migrated.stderr
    stop = tmp_path / "stop"
    env = {
        **os.environ,
        "DATABASE_URL": live,
        "PINGTAI_VAR_DIR": str(var),
        "PINGTAI_AUDIT_HEAD_FILE": str(var / "audit_head.json"),
        "DJANGO_SETTINGS_MODULE": "pingtai.settings",
    }
    for name in ("PINGTAI_EXPECT_POSTGRES", "PINGTAI_AUDIT_KEY", "PINGTAI_AUDIT_KEY_FILE"):
        env.pop(name, None)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(stop), f"负载{n}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    try:
        deadline = time.monotonic() + 240
        while _count(live, "SELECT count(*) FROM audit_auditevent") < 60:
            assert time.monotonic() < deadline, "writers made no progress"
            assert all(w.poll() is None for w in writers), [w.communicate() for w in writers]
            time.sleep(0.5)
        during = tmp_path / "during.zip"
        made = _cli(["backup", "-o", str(during)], live, var)
        assert made.returncode == 0, made.stderr
        time.sleep(1)  # writes after the backup, which it must not contain
    finally:
        stop.touch()
        results = [w.communicate(timeout=120) for w in writers]
    reports = [json.loads(out) for out, _ in results]
    assert all(r["written"] > 0 for r in reports), results

    rows = backup_rows(during)
    users = [r for r in rows if r["model"] == "accounts.user"]
    created = [
        r for r in rows if r["model"] == "audit.auditevent" and r["fields"]["action"] == "create"
    ]
    assert len(users) == len(created) > 0
    assert len(users) < _count(live, "SELECT count(*) FROM accounts_user")  # writes went on
    assert _cli(["audit", "verify"], live, var).returncode == 0

    copy = (
        request.getfixturevalue("postgres_database")
        if live.startswith("postgres")
        else f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    )
    if copy == live:  # one PostgreSQL fixture per test: a second database by hand
        import psycopg

        name = f"pingtai_copy_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        copy = f"postgres://postgres@127.0.0.1:5432/{name}"
        request.addfinalizer(lambda: _drop_database(name))
    restored = _cli(["restore", str(during)], copy, tmp_path / "var-copy")
    assert restored.returncode == 0, restored.stderr
    again = tmp_path / "again.zip"
    assert _cli(["backup", "-o", str(again)], copy, tmp_path / "var-copy").returncode == 0
    before, after = _rows(during), _rows(again)
    assert before.keys() == after.keys()
    for model in before:
        assert before[model] == after[model], model
    print("写入进程最长单次事务耗时（秒）：", [r["worst_seconds"] for r in reports])


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
