"""The PostgreSQL claim: one statement that counts the officer's work in progress, picks
and updates the case (``SKIP LOCKED``), and writes its history row and timeline event.

The raw-SQL fast path of ``cases.services.claiming.case_claim_next``, beside the ORM path
it replaces (``claiming._claim_orm``); the claim tests run on both databases."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from accounts.models import User
from audit.actions import AuditAction
from audit.history_rows import change_reason
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus
from cases.services.primitives import WORKED_STATUSES
from portal.permissions import actor_label


@functools.cache
def claim_sql() -> tuple[str, list[str]]:
    """The claim statement: count, pick (``SKIP LOCKED``), update, history row, event.

    Built once from the models' metadata, so the history row copies every column of the
    case as django-simple-history would (``history_type`` ``~``, user and change reason).
    """
    qn = transaction.get_connection().ops.quote_name
    case_table = qn(Case._meta.db_table)
    history_model = Case.history.model  # type: ignore[attr-defined,unused-ignore]
    case_columns = [str(f.column) for f in Case._meta.concrete_fields]
    history_columns = [f.column for f in history_model._meta.concrete_fields]
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}
    unknown = set(history_columns) - set(case_columns) - own
    if unknown:  # a history column we would not fill: refuse rather than write a bad row
        raise RuntimeError(f"Unexpected history columns: {sorted(unknown)}")
    copied = [c for c in history_columns if c in case_columns]
    worked = ", ".join(f"'{status}'" for status in WORKED_STATUSES)
    # Only identifiers from the models' metadata and our own constants are formatted in;
    # every value is a query parameter.
    sql = f"""
WITH held AS (
    SELECT count(*) AS n FROM {case_table}
    WHERE assignee_id = %(actor)s AND status IN ({worked})
), pick AS (
    SELECT id FROM {case_table}
    WHERE status = %(new)s AND assignee_id IS NULL AND (SELECT n FROM held) < %(limit)s
    ORDER BY priority, sla_due_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE {case_table} AS c
    SET status = %(assigned)s, assignee_id = %(actor)s, assigned_at = %(now)s,
        last_touched_at = %(now)s, updated_at = %(now)s, version = c.version + 1
    FROM pick WHERE c.id = pick.id
    RETURNING {", ".join(f"c.{qn(col)}" for col in case_columns)}
), history AS (
    INSERT INTO {qn(history_model._meta.db_table)}
        ({", ".join(qn(col) for col in copied)},
         history_date, history_change_reason, history_type, history_user_id)
    SELECT {", ".join(qn(col) for col in copied)}, %(now)s, %(reason)s, '~', %(actor)s
    FROM claimed
), event AS (
    INSERT INTO {qn(CaseEvent._meta.db_table)} (case_id, kind, at, actor_id, actor_label, data)
    SELECT id, %(kind)s, %(now)s, %(actor)s, %(label)s, %(data)s::jsonb FROM claimed
)
SELECT (SELECT n FROM held), claimed.* FROM (SELECT 1) AS one LEFT JOIN claimed ON TRUE
"""  # noqa: S608
    return sql, case_columns


def claim(*, actor: User, limit: int) -> tuple[int, Case | None]:
    """Lock the officer's row, then claim in one statement (``claim_sql``). Both go in one
    round trip but as two statements: the count in the second must see every claim
    committed while the first waited for the lock."""
    sql, _columns = claim_sql()
    now = timezone.now()
    connection = transaction.get_connection()
    user_table = connection.ops.quote_name(User._meta.db_table)
    lock_officer = f"SELECT 1 FROM {user_table} WHERE id = %(actor)s FOR UPDATE;\n"  # noqa: S608
    with connection.cursor() as cursor:
        # Two statements, one round trip (the parameters are bound client-side): under READ
        # COMMITTED the claim's snapshot is taken after the lock is granted.
        cursor.execute(
            lock_officer + sql,
            {
                "actor": actor.pk,
                "new": CaseStatus.NEW.value,
                "assigned": CaseStatus.ASSIGNED.value,
                "limit": limit,
                "now": now,
                "reason": change_reason(AuditAction.CASE_CLAIMED, actor),
                "kind": CaseEventKind.ASSIGNED.value,
                "label": actor_label(actor),
                "data": json.dumps({"assignee": actor.pk}),
            },
        )
        if cursor.fetchone() is None:
            raise User.DoesNotExist
        if not cursor.cursor.nextset():
            raise RuntimeError("The claim returned no result.")
        row = cursor.fetchone()
    held = int(row[0] or 0)
    if row[1] is None:
        return held, None
    fields = [f.attname for f in Case._meta.concrete_fields]  # the order of ``columns``
    values = list(row[1:])
    # What the ORM's compiler would apply to these columns (nothing on PostgreSQL today).
    for index, column, converters in case_converters(connection.alias):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    case = Case.from_db(connection.alias, fields, values)
    return held, case


@functools.cache
def case_converters(alias: str) -> tuple[tuple[int, Any, tuple[Callable[..., Any], ...]], ...]:
    """Per column of ``Case``, the database and field converters of a queryset's compiler."""
    connection = connections[alias]
    found = []
    for index, field in enumerate(Case._meta.concrete_fields):
        column = field.get_col(Case._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, column, tuple(converters)))
    return tuple(found)
