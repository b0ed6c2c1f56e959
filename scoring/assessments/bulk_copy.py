"""The PostgreSQL fast path for inserting many assessments: ``COPY`` of the rows and of
their history rows, beside the ORM path it replaces (``batch.insert_with_history``, which
picks one or the other by database vendor)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

from scoring.models import Assessment


def copy_with_history(
    rows: list[Assessment], *, change_reason: str, history_date: datetime
) -> None:
    """Insert ``rows`` and their "+" history rows (no user) with ``COPY``, in the caller's
    transaction; ids are drawn from the table's sequence first and set on each row."""
    history_model = Assessment.history.model
    table = Assessment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
    # Plain values: ids, strings, Decimals, aware datetimes and None go to COPY as they are;
    # JSON is serialised once and used for both tables (jsonb parses the text).
    fields = list(Assessment._meta.concrete_fields)
    json_attnames = {f.attname for f in fields if isinstance(f, models.JSONField)}
    values = []
    for row in rows:
        value = {f.attname: getattr(row, f.attname) for f in fields}
        for attname in json_attnames:
            value[attname] = json.dumps(value[attname], cls=DjangoJSONEncoder)
        values.append(value)
    _copy_rows(
        table, [str(f.column) for f in fields], ([v[f.attname] for f in fields] for v in values)
    )
    extra = {
        "history_date": history_date,
        "history_change_reason": change_reason,
        "history_type": "+",
        "history_user_id": None,
    }
    history_fields = [f for f in history_model._meta.concrete_fields if f.attname != "history_id"]
    _copy_rows(
        history_model._meta.db_table,
        [f.column for f in history_fields],
        ([{**v, **extra}[f.attname] for f in history_fields] for v in values),
    )


def _copy_rows(table: str, columns: list[str], rows: Iterable[list[Any]]) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for values in rows:
            copy.write_row(values)
