"""The keyed audit chain (docs/audit.md): one writer of the head at a time, an HMAC that a
rewrite without the key cannot reproduce, truncation caught by the head row and the file
checkpoint, every way of replacing a row refused by the database, and text escaped, never
refused."""

from __future__ import annotations

import contextlib
import os
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from pingtai.audit import keys
from pingtai.audit.chain import payload
from pingtai.audit.models import AuditChainHead, AuditEvent
from pingtai.audit.services import audit_record, audit_verify
from pingtai.cli import main

pytestmark = pytest.mark.django_db

SQLITE_TRIGGERS = [
    "audit_no_update",
    "audit_no_delete",
    "audit_no_replace",
    "audit_head_no_delete",
    "audit_head_no_replace",
    "audit_head_forward_only",
]


@pytest.fixture
def checkpoint_file(settings, tmp_path):
    """A checkpoint of this test's own: its writes are rolled back with the test."""
    settings.PINGTAI_AUDIT_HEAD_FILE = tmp_path / "audit_head.json"
    return settings.PINGTAI_AUDIT_HEAD_FILE


@contextlib.contextmanager
def _without_triggers():
    """What someone with the database's owner rights can do: switch the append-only triggers
    off. Inside the test's transaction, so the switch is rolled back with it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_auditchainhead DISABLE TRIGGER USER")
        else:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
    yield


def _sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _events(n: int, label: str) -> list[AuditEvent]:
    return [audit_record(AuditEvent.Action.EXPORT, detail=f"{label}{i}") for i in range(n)]


def test_each_link_is_an_hmac_under_the_key_with_its_epoch_and_place():
    first, second = _events(2, "链")
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    ring = keys.keyring()
    assert second.key_epoch == ring.current_epoch
    assert second.hash == ring.sign(second.key_epoch, payload(second))
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (second.seq, second.hash)
    assert audit_verify(use_checkpoint=False).ok


def test_the_key_is_kept_outside_the_database_in_a_private_file(settings, tmp_path):
    settings.PINGTAI_AUDIT_KEY = ""
    settings.PINGTAI_AUDIT_KEY_FILE = tmp_path / "var" / "audit_key"
    ring = keys.keyring(create_epoch=1)
    assert settings.PINGTAI_AUDIT_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert keys.keyring().keys == ring.keys  # created once, then read
    key = ring.keys[1].decode()
    dumped = str(list(AuditEvent.objects.values())) + str(list(AuditChainHead.objects.values()))
    assert key not in dumped


def test_a_full_rewrite_without_the_key_does_not_verify(checkpoint_file):
    """Rewriting one event and re-linking every later one (unkeyed, or under a guessed key)
    gives a self-consistent chain that the real key rejects at the first rewritten link."""
    events = _events(4, "原文")
    forger = keys.KeyRing(dict.fromkeys(keys.keyring().keys, b"g" * 40), "伪造")
    with _without_triggers():
        rows = list(AuditEvent.objects.order_by("seq"))
        prev = rows[0].prev_hash
        for row in rows:
            if row.pk == events[1].pk:
                row.detail = "篡改后的说明"
            row.prev_hash = prev
            row.hash = forger.sign(row.key_epoch, payload(row))
            prev = row.hash
            _sql(
                "UPDATE audit_auditevent SET detail = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row.detail, row.prev_hash, row.hash, row.pk],
            )
        _sql("UPDATE audit_auditchainhead SET hash = %s", [prev])
    result = audit_verify(use_checkpoint=False)
    assert not result.ok
    assert result.first_broken_seq == rows[0].seq
    assert "密钥校验不通过" in result.problems[0]


def test_deleting_the_newest_events_is_detected(
    checkpoint_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _events(5, "最新")
    assert audit_verify().ok
    newest = AuditEvent.objects.order_by("-seq")[:2]
    kept = AuditEvent.objects.order_by("-seq")[2]
    with _without_triggers():
        for event in newest:
            _sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
        # Without rewinding the head row: the head names events that are gone.
        found = audit_verify(use_checkpoint=False)
        assert not found.ok and "被删除" in found.problems[0]
        # The head row rewound too: only the checkpoint outside the database still knows.
        _sql("UPDATE audit_auditchainhead SET seq = %s, hash = %s", [kept.seq, kept.hash])
    assert audit_verify(use_checkpoint=False).ok
    found = audit_verify()
    assert not found.ok
    assert any("截断" in p and f"只到第 {kept.seq} 条" in p for p in found.problems)


def test_verify_command_names_the_first_broken_link(checkpoint_file, capsys):
    events = _events(3, "命令")
    assert main(["audit", "verify"]) == 0
    assert "审计链校验通过" in capsys.readouterr().out
    with _without_triggers(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET detail = %s WHERE id = %s", ["改", events[1].pk]
        )
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"第一处断开在第 {events[1].seq} 条" in err and "被改动" in err


def _refused(sql: str, params=()) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


COLUMNS = "id, at, actor_username, action, object_type, object_id, object_repr, detail, prev_hash, hash, seq, key_epoch"


def test_replace_and_upsert_cannot_overwrite_an_event():
    event = audit_record(AuditEvent.Action.EXPORT, detail="原样")
    copy = (
        f"SELECT id, at, actor_username, action, object_type, object_id, object_repr, "
        f"'篡改', prev_hash, hash, seq, key_epoch FROM audit_auditevent WHERE id = {event.pk}"
    )
    if connection.vendor == "sqlite":
        # REPLACE deletes the old row without a delete trigger; the insert trigger refuses.
        _refused(f"INSERT OR REPLACE INTO audit_auditevent ({COLUMNS}) {copy}")
        _refused(f"REPLACE INTO audit_auditevent ({COLUMNS}) {copy}")
    _refused(
        f"INSERT INTO audit_auditevent ({COLUMNS}) {copy} "
        "ON CONFLICT (id) DO UPDATE SET detail = excluded.detail"
    )
    _refused("DELETE FROM audit_auditchainhead")
    _refused("UPDATE audit_auditchainhead SET seq = seq - 1")
    if connection.vendor == "postgresql":
        _refused("TRUNCATE audit_auditevent")
        _refused("TRUNCATE audit_auditchainhead")
    assert AuditEvent.objects.get(pk=event.pk).detail == "原样"
    assert audit_verify(use_checkpoint=False).ok


def test_control_characters_are_escaped_never_refused():
    event = audit_record(
        AuditEvent.Action.LOGIN_FAILED,
        username="张\x00三\r\n管理员",
        detail="任务\x00标题\x1b[31m\u2028",
        after={"名称\x00": ["值\x07", 1.5, float("nan")]},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_username == "张\\x00三\\r\\n管理员"
    assert stored.detail == "任务\\x00标题\\x1b[31m\\u2028"
    assert stored.after == {"名称\\x00": ["值\\x07", 1.5, "nan"]}
    assert audit_verify(use_checkpoint=False).ok


def test_a_missing_key_starts_a_new_epoch_and_verify_names_the_unverifiable_span(
    settings, tmp_path
):
    before = _events(1, "旧密钥")[0]
    settings.PINGTAI_AUDIT_KEY = ""
    settings.PINGTAI_AUDIT_KEY_FILE = tmp_path / "audit_key"  # the old key file is lost
    after = audit_record(AuditEvent.Action.EXPORT, detail="新密钥")
    assert after.key_epoch == before.key_epoch + 1
    result = audit_verify(use_checkpoint=False)
    assert not result.ok
    assert any(f"缺少第 {before.key_epoch} 代审计密钥" in p for p in result.problems)


def test_rotation_keeps_old_links_verifiable(settings, tmp_path, capsys):
    ring = keys.keyring()
    settings.PINGTAI_AUDIT_KEY = ""
    settings.PINGTAI_AUDIT_KEY_FILE = tmp_path / "audit_key"  # a copy: the rotation stays here
    settings.PINGTAI_AUDIT_KEY_FILE.write_text(
        "".join(f"{epoch} {key.decode()}\n" for epoch, key in ring.keys.items())
    )
    old = audit_record(AuditEvent.Action.EXPORT, detail="轮换前")
    assert main(["audit", "rotate-key"]) == 0
    assert "第 2 代" in capsys.readouterr().out or ring.current_epoch != 1
    new = audit_record(AuditEvent.Action.EXPORT, detail="轮换后")
    assert new.key_epoch == old.key_epoch + 1
    assert audit_verify(use_checkpoint=False).ok
    settings.PINGTAI_AUDIT_KEY_FILE.write_text(  # the new key lost: the newest links fail
        "".join(f"{epoch} {key.decode()}\n" for epoch, key in ring.keys.items())
    )
    assert not audit_verify(use_checkpoint=False).ok


def _writer(start: threading.Barrier, label: str, errors: list) -> None:
    from django.db import connections

    try:
        start.wait()
        for i in range(25):
            audit_record(AuditEvent.Action.EXPORT, username=label, detail=f"{label} 第{i}次")
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(repr(error))
    finally:
        connections.close_all()


def test_sixteen_concurrent_writers_leave_a_chain_that_verifies():
    """16 connections, 25 events each, all released at once: every event gets its own place
    and the chain verifies (before the head-row lock, 16 processes broke it reproducibly)."""
    if connection.vendor != "postgresql":
        reason = (
            "needs PostgreSQL: the SQLite test database is in memory, private to one connection"
        )
        if os.environ.get("PINGTAI_EXPECT_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    before = AuditChainHead.objects.get().seq
    start, errors = threading.Barrier(16), []
    threads = [
        threading.Thread(target=_writer, args=(start, f"并发{n}", errors)) for n in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    written = AuditEvent.objects.filter(seq__gt=before)
    assert written.count() == 400
    assert sorted(written.values_list("seq", flat=True)) == list(range(before + 1, before + 401))
    result = audit_verify()
    assert result.ok, result.problems
    assert result.head_seq == before + 400


UPGRADE = """
import hashlib, json, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

call_command("migrate", "audit", "0002", verbosity=0)
prev = "0" * 64
for detail in ["升级前一", "升级前二\\x00含NUL", "升级前三"]:
    at = timezone.now().replace(microsecond=123000)
    after = {"k": "v\\x01"}
    digest = hashlib.sha256(json.dumps(
        [prev, at.isoformat(), "admin", None, "export", "", "", "", None, after, detail],
        ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"),
    ).encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_username, ip, action, object_type, object_id,"
            " object_repr, before, after, detail, prev_hash, hash)"
            " VALUES (%s, 'admin', NULL, 'export', '', '', '', NULL, %s, %s, %s, %s)",
            [at, json.dumps(after), detail, prev, digest],
        )
    prev = digest
if sys.argv[1] == "tamper":
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_no_update")
        cursor.execute("UPDATE audit_auditevent SET detail = '改过' WHERE detail = '升级前三'")
call_command("migrate", "audit", verbosity=0)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_verify
result = audit_verify(use_checkpoint=False)
print(json.dumps({
    "ok": result.ok,
    "problems": result.problems,
    "rows": list(AuditEvent.objects.order_by("seq").values_list("seq", "detail")),
}, ensure_ascii=False))
"""


@pytest.mark.parametrize("history", ["intact", "tamper"])
def test_the_upgrade_reseals_the_old_log_and_records_the_old_chains_state(tmp_path, history):
    """Migration audit/0004 on a log written by the unkeyed version: every row re-sealed in id
    order under the key, control characters escaped, and one event saying whether the old
    chain verified before the conversion."""
    import json
    import subprocess
    import sys

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
        "PINGTAI_VAR_DIR": str(tmp_path / "var"),
        "PINGTAI_AUDIT_HEAD_FILE": str(tmp_path / "var" / "audit_head.json"),
        "DJANGO_SETTINGS_MODULE": "pingtai.settings",
    }
    for name in ("PINGTAI_AUDIT_KEY", "PINGTAI_AUDIT_KEY_FILE", "PINGTAI_EXPECT_POSTGRES"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", UPGRADE, history],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"], report["problems"]
    assert (tmp_path / "var" / "audit_key").stat().st_mode & 0o777 == 0o600
    details = [detail for _, detail in report["rows"]]
    assert [seq for seq, _ in report["rows"]] == [1, 2, 3, 4]
    assert details[1] == "升级前二\\x00含NUL"
    assert "3 条按编号顺序重新封链" in details[3]
    if history == "intact":
        assert "旧链逐条校验完好" in details[3]
    else:
        assert "旧链有 1 条校验不通过" in details[3]
