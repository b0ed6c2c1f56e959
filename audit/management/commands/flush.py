"""``flush`` that can empty the append-only audit table in the test profile.

The audit table refuses TRUNCATE (see migration ``0002_audit_append_only``), and Django's
``flush`` truncates every table, which is how ``TransactionTestCase`` (pytest-django's
``transactional_db``) cleans up after each test. In the test profile only, the audit
table's triggers step aside for it: on PostgreSQL the flush runs with
``session_replication_role = replica`` (that needs a superuser, as the test harness is);
on SQLite, which refuses the DELETEs it flushes with, the triggers are dropped and created
again from their own SQL around the flush, in one transaction.
Anywhere else it is Django's flush unchanged, and the audit table keeps refusing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections, transaction


class Command(DjangoFlushCommand):
    help = DjangoFlushCommand.help

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if settings.PORTAL_ENV == "test" and connection.vendor == "sqlite":
            self._handle_sqlite(connection, **options)
            return
        if settings.PORTAL_ENV != "test" or connection.vendor != "postgresql":
            super().handle(**options)
            return
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")

    def _handle_sqlite(self, connection: Any, **options: Any) -> None:
        # SQLite's DDL is transactional: if the flush fails, the triggers are back as well.
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
            super().handle(**options)
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
