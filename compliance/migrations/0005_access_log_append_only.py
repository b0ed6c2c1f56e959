"""Make the personal-data access log append-only, and keep every row at least six months.

PostgreSQL: UPDATE and TRUNCATE are refused outright; DELETE only of rows younger than
``ACCESS_LOG_MIN_RETENTION_DAYS`` (183 days), so a retention policy set too short cannot
cut the log below the floor. SQLite (the local run): the same rules as triggers.
"""

from django.db import migrations

TABLE = "compliance_personaldataaccess"
DAYS = 183  # scoring.customers.access.ACCESS_LOG_MIN_RETENTION_DAYS at the time of writing
MESSAGE = "compliance_personaldataaccess is append-only and keeps rows at least six months"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION compliance_pda_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{DAYS} days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    f"""
    CREATE TRIGGER compliance_pda_no_update_delete
        BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION compliance_pda_refuse_change();
    """,
    f"""
    CREATE TRIGGER compliance_pda_no_truncate
        BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION compliance_pda_refuse_change();
    """,
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS compliance_pda_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS compliance_pda_no_update_delete ON {TABLE};",
    "DROP FUNCTION IF EXISTS compliance_pda_refuse_change();",
]

SQLITE_FORWARD = [
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
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS compliance_pda_no_update;",
    "DROP TRIGGER IF EXISTS compliance_pda_young_no_delete;",
]


def _run(schema_editor, statements_by_vendor):
    statements = statements_by_vendor.get(schema_editor.connection.vendor)
    if statements is None:
        raise RuntimeError(
            f"No append-only triggers for the {schema_editor.connection.vendor} backend; "
            "the personal-data access log must be protected in the database."
        )
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD})


def backwards(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_privacy")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
