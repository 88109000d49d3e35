"""The database refuses every way of rewriting the audit log (docs/audit.md).

UPDATE, DELETE and TRUNCATE of events stay refused (as since 0002). New: on SQLite an INSERT
that would replace an existing event is refused — INSERT OR REPLACE / REPLACE deletes the old
row without firing delete triggers unless recursive triggers are on, so the refusal is on the
insert itself; on PostgreSQL an upsert (INSERT … ON CONFLICT DO UPDATE) fires the UPDATE
trigger. The head row cannot be deleted, replaced or moved back.

Any later migration that rebuilds audit_auditevent on SQLite (Django does that for most column
changes) drops these triggers and must create them again.
"""

from django.db import migrations

TABLE = "audit_auditevent"
HEAD = "audit_auditchainhead"

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update;",
    "DROP TRIGGER IF EXISTS audit_no_delete;",
    "DROP TRIGGER IF EXISTS audit_no_replace;",
    "DROP TRIGGER IF EXISTS audit_head_no_delete;",
    "DROP TRIGGER IF EXISTS audit_head_no_replace;",
    "DROP TRIGGER IF EXISTS audit_head_forward_only;",
]
SQLITE_CREATE = [
    f"CREATE TRIGGER audit_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END;",
    f"CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END;",
    f"CREATE TRIGGER audit_no_replace BEFORE INSERT ON {TABLE} "
    f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id OR seq = NEW.seq OR hash = NEW.hash) "
    "BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能覆盖已有记录'); END;",
    f"CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON {HEAD} "
    "BEGIN SELECT RAISE(ABORT, '审计链头不能删除'); END;",
    f"CREATE TRIGGER audit_head_no_replace BEFORE INSERT ON {HEAD} "
    f"WHEN EXISTS (SELECT 1 FROM {HEAD} WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, '审计链头不能覆盖'); END;",
    f"CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON {HEAD} "
    "WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id "
    "BEGIN SELECT RAISE(ABORT, '审计链头只能前进'); END;",
]
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};
DROP TRIGGER IF EXISTS audit_head_no_delete ON {HEAD};
DROP TRIGGER IF EXISTS audit_head_forward_only ON {HEAD};
DROP FUNCTION IF EXISTS pingtai_audit_head_forward_only();
"""
POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION pingtai_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION pingtai_audit_append_only();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR TRUNCATE ON {HEAD}
    FOR EACH STATEMENT EXECUTE FUNCTION pingtai_audit_append_only();
CREATE OR REPLACE FUNCTION pingtai_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION '审计链头只能前进';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON {HEAD}
    FOR EACH ROW EXECUTE FUNCTION pingtai_audit_head_forward_only();
"""



def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
        schema_editor.execute(POSTGRES_CREATE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP + SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_seq_required")]
    operations = [migrations.RunPython(forwards, backwards)]
