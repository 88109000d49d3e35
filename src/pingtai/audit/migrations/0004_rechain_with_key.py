"""Re-seal the existing audit log as a keyed chain (docs/audit.md).

Existing rows were linked by an unkeyed SHA-256, which anybody able to write to the database
could recompute after a rewrite. This migration first checks that old chain as it stands, then
gives every row, in id order, its sequence number and an HMAC-SHA256 link under the audit key
(epoch 1; the key file is created under var/ if no key is configured), and finally appends one
event that records the conversion and the result of the old chain's check. The old hashes are
replaced: what they proved is carried over by that recorded check, made before any change.
Text that older versions stored unescaped (NUL and other control characters, which PostgreSQL
cannot hold and which would block a SQLite→PostgreSQL restore) is escaped the way new events
are; the recorded event says how many rows that touched.

The append-only triggers are dropped for the re-sealing and created again, extended, by 0006
(after 0005 has rebuilt the table on SQLite, which drops a table's triggers).
"""

import datetime as dt
import hashlib
import json
import uuid

from django.db import migrations

TABLE = "audit_auditevent"
HEAD = "audit_auditchainhead"
GENESIS = "0" * 64
TEXT = ["actor_username", "object_type", "object_id", "object_repr", "detail"]
JSON = ["before", "after"]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update;",
    "DROP TRIGGER IF EXISTS audit_no_delete;",
]
POSTGRES_DROP = f"DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};"


def _old_digest(prev_hash, event):
    """The unkeyed link of migrations 0001–0003, frozen here to check the old chain."""
    payload = json.dumps(
        [
            prev_hash,
            event.at.isoformat(),
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
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _drop(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


def forwards(apps, schema_editor):
    from pingtai.audit.chain import clean_json, clean_text, payload
    from pingtai.audit.keys import keyring

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    _drop(schema_editor)
    events = list(Event.objects.order_by("id"))
    head = Head(id=1, chain=uuid.uuid4().hex, seq=0, hash=GENESIS, key_epoch=0)
    if events:
        ring = keyring(create_epoch=1)
        epoch = ring.current_epoch
        broken, prev = [], GENESIS
        for event in events:
            if event.prev_hash != prev or _old_digest(event.prev_hash, event) != event.hash:
                broken.append(event.id)
            prev = event.hash
        seq, prev, escaped = 0, GENESIS, 0
        for event in events:
            original = [getattr(event, name) for name in TEXT + JSON]
            for name in TEXT:
                setattr(event, name, clean_text(getattr(event, name) or ""))
            for name in JSON:
                setattr(event, name, clean_json(getattr(event, name)))
            escaped += original != [getattr(event, name) for name in TEXT + JSON]
            seq += 1
            event.seq, event.key_epoch, event.prev_hash = seq, epoch, prev
            event.hash = ring.sign(epoch, payload(event))
            prev = event.hash
        Event.objects.bulk_update(
            events, ["seq", "key_epoch", "prev_hash", "hash", *TEXT, *JSON], batch_size=500
        )
        finding = (
            "旧链逐条校验完好"
            if not broken
            else f"旧链有 {len(broken)} 条校验不通过，首条编号 {broken[0]}，编号：{broken[:50]}"
        )
        now = dt.datetime.now(dt.UTC)
        note = Event(
            at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            actor_username="系统",
            action="update",
            object_type="audit.AuditEvent",
            object_repr=clean_text("审计日志"),
            before=clean_json({"方案": "SHA-256 哈希链（无密钥）", "条数": len(events)}),
            after=clean_json({"方案": "HMAC-SHA256 带密钥哈希链", "密钥代号": epoch}),
            detail=(
                f"升级审计链：{len(events)} 条按编号顺序重新封链；{finding}；"
                f"其中 {escaped} 条含控制字符，已转义"
            ),
            seq=seq + 1,
            key_epoch=epoch,
            prev_hash=prev,
        )
        note.hash = ring.sign(epoch, payload(note))
        note.save()
        head.seq, head.hash, head.key_epoch = note.seq, note.hash, epoch
    head.save()


def backwards(apps, schema_editor):
    if apps.get_model("audit", "AuditEvent").objects.exists():
        raise migrations.exceptions.IrreversibleError(
            "带密钥的审计链不能退回无密钥的旧链（旧哈希已被替换）"
        )
    apps.get_model("audit", "AuditChainHead").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain_fields")]
    operations = [migrations.RunPython(forwards, backwards)]
