"""``flush`` that can empty the append-only audit table in the test profile.

The audit table refuses TRUNCATE (see migration ``0002_audit_append_only``), and Django's
``flush`` truncates every table, which is how ``TransactionTestCase`` (pytest-django's
``transactional_db``) cleans up after each test. In the test profile only, and only on
PostgreSQL, this flush runs with ``session_replication_role = replica`` so the audit
table's triggers step aside for it (that needs a superuser, as the test harness is).
Anywhere else it is Django's flush unchanged, and the audit table keeps refusing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import connections


class Command(DjangoFlushCommand):
    help = DjangoFlushCommand.help

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
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
