"""Tampering with the audit table as someone with the database's own rights would (the
``tamper`` fixture, registered in ``tests/conftest.py`` for every test folder)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection


def bypass_triggers_and_execute(sql: str, params: list[Any] | None = None) -> None:
    """Run SQL with the append-only triggers stepped around, inside the current transaction,
    as only someone with the database's own rights can: on PostgreSQL a superuser's
    ``SET LOCAL session_replication_role`` (it ends with the transaction); on SQLite, whose
    DDL is transactional, the triggers are dropped and created again from their own SQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'compliance_auditentry'"
            )
            triggers = cursor.fetchall()
            assert triggers, "the audit table has no append-only triggers"
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
            cursor.execute(sql, params or [])
            for _name, trigger_sql in triggers:
                cursor.execute(trigger_sql)
            return
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.fixture
def tamper() -> Callable[[str, list[Any] | None], None]:
    return bypass_triggers_and_execute
