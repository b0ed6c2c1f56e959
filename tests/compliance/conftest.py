"""Helpers for the compliance tests: tampering with the audit table as a superuser would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection


def bypass_triggers_and_execute(sql: str, params: list[Any] | None = None) -> None:
    """Run SQL with the append-only triggers stepped around, inside the current transaction
    (``SET LOCAL`` ends with it), as only a database superuser can."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.fixture
def tamper() -> Callable[[str, list[Any] | None], None]:
    return bypass_triggers_and_execute
