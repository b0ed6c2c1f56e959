"""Make the audit table append-only in the database itself.

PostgreSQL: a row-level BEFORE UPDATE OR DELETE trigger and a statement-level BEFORE
TRUNCATE trigger raise ``restrict_violation`` (SQLSTATE 23001, an IntegrityError in
Django). django-pgtrigger's ``Protect`` cannot protect against TRUNCATE (it needs a
transition table, which TRUNCATE has not), so plain SQL is used, per vendor.
SQLite (the zero-setup local run): BEFORE UPDATE / BEFORE DELETE triggers that
``RAISE(ABORT, …)``; SQLite has no TRUNCATE.

Only a superuser can step around this (``SET session_replication_role = replica``), which
is what the integrity tests do to simulate tampering.
"""

from django.db import migrations

TABLE = "compliance_auditentry"
MESSAGE = "compliance_auditentry is append-only: audit entries cannot be changed or deleted"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION compliance_auditentry_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Record a new audit entry that corrects or annuls the earlier one.';
    END;
    $$;
    """,
    f"""
    CREATE TRIGGER compliance_auditentry_no_update_delete
        BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION compliance_auditentry_refuse_change();
    """,
    f"""
    CREATE TRIGGER compliance_auditentry_no_truncate
        BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION compliance_auditentry_refuse_change();
    """,
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS compliance_auditentry_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS compliance_auditentry_no_update_delete ON {TABLE};",
    "DROP FUNCTION IF EXISTS compliance_auditentry_refuse_change();",
]

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER compliance_auditentry_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END;
    """,
    f"""
    CREATE TRIGGER compliance_auditentry_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS compliance_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS compliance_auditentry_no_delete;",
]


def _run(schema_editor, statements_by_vendor):
    statements = statements_by_vendor.get(schema_editor.connection.vendor)
    if statements is None:
        raise RuntimeError(
            f"No append-only triggers for the {schema_editor.connection.vendor} backend; "
            "the audit log must be protected in the database."
        )
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD})


def backwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
