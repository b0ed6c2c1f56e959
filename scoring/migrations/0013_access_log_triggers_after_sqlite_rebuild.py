"""Put the access log's append-only triggers back on SQLite.

Adding ``request_id`` and ``purpose_code`` (0009, 0010) made Django's SQLite schema editor
rebuild the table (create a copy, move the rows, drop the old one), and triggers do not
survive a dropped table: on the embedded default the log could be changed and cut short.
PostgreSQL adds columns in place and keeps its triggers; nothing to do there. The SQL is
the one ``compliance.0005_access_log_append_only`` installed.
"""

from django.db import migrations

TABLE = "compliance_personaldataaccess"
DAYS = 183  # scoring.customers.access.ACCESS_LOG_MIN_RETENTION_DAYS at the time of writing
MESSAGE = "compliance_personaldataaccess is append-only and keeps rows at least six months"

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS compliance_pda_no_update;",
    "DROP TRIGGER IF EXISTS compliance_pda_young_no_delete;",
]
SQLITE_CREATE = [
    f"""
    CREATE TRIGGER compliance_pda_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END;
    """,
    f"""
    CREATE TRIGGER compliance_pda_young_no_delete BEFORE DELETE ON {TABLE}
    WHEN OLD.at >= datetime('now', '-{DAYS} days')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END;
    """,
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in SQLITE_DROP + SQLITE_CREATE:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0012_reveal_allowance_permission")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
