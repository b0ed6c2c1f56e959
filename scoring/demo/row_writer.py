"""Inserting demo rows, live or historical: ``COPY`` on PostgreSQL, beside the
``bulk_create`` it replaces elsewhere (SQLite for ``make run``)."""

from __future__ import annotations

from typing import Any

from django.db import connection, models

from portal.pii.fields import EncryptedTextField

Row = dict[str, Any]  # column attname → Python value, as the model field holds it


def can_copy() -> bool:
    return connection.vendor == "postgresql"


class RowWriter:
    """Inserts rows of a model, live or historical, and returns the new ids.

    PostgreSQL: ids are drawn from the table's sequence and the rows go in with ``COPY``
    (the ORM's per-value preparation dominated the run time otherwise; fields that
    transform values on the way in, like ``EncryptedTextField``, still go through their
    own ``get_db_prep_save``). Elsewhere (SQLite for ``make run``): ``bulk_create``.
    """

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.copy = can_copy()

    def insert(self, model: type[models.Model], rows: list[Row], *, ids: bool) -> list[int]:
        if not rows:
            return []
        if not self.copy:
            objs = model._default_manager.bulk_create(
                [model(**row) for row in rows], batch_size=self.batch_size
            )
            return [int(obj.pk) for obj in objs] if ids else []
        table = model._meta.db_table
        new_ids: list[int] = []
        pk = model._meta.pk
        assert pk is not None
        with connection.cursor() as cursor:
            if ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk.column, len(rows)],
                )
                new_ids = [int(r[0]) for r in cursor.fetchall()]
                rows = [{pk.attname: i, **row} for i, row in zip(new_ids, rows, strict=True)]
            fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
            prepare = [
                (index, f) for index, f in enumerate(fields) if isinstance(f, EncryptedTextField)
            ]
            columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
            names = [f.attname for f in fields]
            with cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    values = [row[name] for name in names]
                    for index, f in prepare:
                        values[index] = f.get_db_prep_save(values[index], connection)
                    copy.write_row(values)
        return new_ids
