"""The PostgreSQL fast path of ``audit.log.audit_record``: one round trip per entry.

The lock, the read of the last hash and the insert go to the server in one round trip (two
statements, so the read's snapshot is taken after the lock); the database supplies the time
and computes the SHA-256 over the canonical text (``audit.encoding.canonical_pieces``)
spliced around the time and the previous hash, and the writer checks it against
``entry_hash`` before going on. The encoding and the chain are those of the ORM path in
``audit.log``, which SQLite takes.

A writer takes a transaction-level advisory lock before it reads the last hash, so writers
queue instead of colliding; the lock is held until the caller's transaction ends, so ids,
times and chain order agree. (That serialises audited transactions; keep them short.)
"""

from __future__ import annotations

import json
import logging
from typing import Any

from audit.encoding import canonical_pieces, entry_hash
from audit.models import GENESIS_HASH, AuditEntry

logger = logging.getLogger(__name__)

__all__ = ["AUDIT_CHAIN_LOCK_ID", "append_postgresql", "may_commit_here"]

# pg_advisory_xact_lock key: the ASCII bytes of "AUDITLOG" as a signed 64-bit integer.
AUDIT_CHAIN_LOCK_ID = int.from_bytes(b"AUDITLOG", "big", signed=True)

# One round trip: take the chain lock, then (a second statement, so with a snapshot taken
# after the lock: it sees the previous writer's commit) read the last hash and append after
# it. The time is the database's clock after the lock, so id, chain and time order agree;
# SHA-256 over the canonical text is computed by the database (sha256(), PostgreSQL 11+)
# and checked here against ``entry_hash`` before anything else happens.
_APPEND_SQL = """
SELECT pg_advisory_xact_lock(%s);
WITH now_ AS (SELECT clock_timestamp() AS at),
last_ AS (SELECT COALESCE((SELECT hash FROM {table} ORDER BY id DESC LIMIT 1), %s::text)::text
          AS hash)
INSERT INTO {table} (created_at, actor_id, actor_label, action, target_type, target_id,
                     data, prev_hash, hash)
SELECT now_.at, %s::bigint, %s::text, %s::text, %s::text, %s::text, %s::jsonb, last_.hash,
       encode(sha256(convert_to(
           %s::text || to_char(now_.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
           || '+00:00' || %s::text || last_.hash || %s::text, 'UTF8')), 'hex')
FROM now_, last_
RETURNING id, created_at, prev_hash, hash
"""


def may_commit_here(connection: Any) -> bool:
    """True when the caller's block is the connection's only one (no savepoint, nothing
    already failed), so committing now is what its exit would do next."""
    return (
        len(connection.atomic_blocks) == 2  # the caller's and ``audit_record``'s own
        and not any(connection.savepoint_ids)  # ``None``: a block without a savepoint
        and not connection.needs_rollback
        and not connection.get_autocommit()
    )


def append_postgresql(
    connection: Any,
    using: str,
    *,
    commit: bool = False,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    data: dict[str, Any],
) -> AuditEntry:
    """Append on PostgreSQL in one round trip (``_APPEND_SQL``): the chain lock is held
    from then to the caller's commit, and the fewer wake-ups of this process it waits for
    in between, the more writers the chain serves per second."""
    one, two, three = canonical_pieces(
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
    sql = _APPEND_SQL.format(table=connection.ops.quote_name(AuditEntry._meta.db_table))
    if commit:
        # The transaction ends with the append: the lock is released at this COMMIT. The
        # block's own exit then finds the connection idle and commits nothing more
        # (psycopg skips COMMIT outside a transaction), and on_commit hooks run as usual.
        sql += ";\nCOMMIT"
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                AUDIT_CHAIN_LOCK_ID,
                GENESIS_HASH,
                actor_id,
                actor_label,
                action,
                target_type,
                target_id,
                json.dumps(data, ensure_ascii=False),
                one,
                two,
                three,
            ],
        )
        if not cursor.cursor.nextset():  # the INSERT's result follows the lock's
            raise RuntimeError("The audit append returned no row.")
        entry_id, created_at, prev_hash, stored_hash = cursor.fetchone()
    expected = entry_hash(
        prev_hash=prev_hash,
        created_at=created_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
    )
    if stored_hash != expected:  # never expected; refuse rather than keep a bad link
        if commit:  # too late to refuse: say so loudly; ``audit_verify`` names the entry
            logger.critical("audit entry %s committed with a hash that does not match", entry_id)
        raise RuntimeError("The audit entry's hash does not match its canonical encoding.")
    entry = AuditEntry(
        id=entry_id,
        created_at=created_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
        prev_hash=prev_hash,
        hash=stored_hash,
    )
    entry._state.adding = False
    entry._state.db = using
    return entry
