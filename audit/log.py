"""The hash-chained audit log: writing entries and verifying the chain.

Canonical encoding
    An entry's ``hash`` is ``sha256(canonical(entry)).hexdigest()`` where ``canonical`` is
    ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded
    as UTF-8, over::

        {"prev_hash", "created_at", "actor_id", "actor_label", "action",
         "target_type", "target_id", "data"}

    ``created_at`` is ISO 8601 in UTC with microseconds (``2026-11-23T15:54:06.123456+00:00``).
    ``data`` is first normalised by a round trip through ``DjangoJSONEncoder`` (Decimals,
    dates, datetimes, UUIDs become strings; tuples become lists; keys become strings), so
    what is hashed is exactly what jsonb stores and gives back. Floats are refused: jsonb
    keeps numbers as ``numeric`` and gives some of them back in another spelling
    (``1e+20`` comes back as ``100000000000000000000``), which would break the hash; money
    and scores go in as ``Decimal`` (stored as strings) or ``int``.

Chain
    The first entry's ``prev_hash`` is 64 zeros; every later one holds the previous
    entry's ``hash``. ``prev_hash`` is unique, so the database itself refuses a fork. On
    PostgreSQL a writer takes a transaction-level advisory lock before it reads the last
    hash, so writers queue instead of colliding; the lock is held until the caller's
    transaction ends, so ids, times and chain order agree. (That serialises audited
    transactions; keep them short.) SQLite serialises writers by itself.

    On PostgreSQL the lock, the read of the last hash and the insert go to the server in
    one round trip (two statements, so the read's snapshot is taken after the lock); the
    database supplies the time and computes the SHA-256 over the canonical text spliced
    around the time and the previous hash, and the writer checks it against
    ``entry_hash`` before going on. The encoding and the chain are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from audit.models import GENESIS_HASH, AuditEntry
from portal.permissions import Actor, ChannelActor, SystemActor, is_person

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    pass

__all__ = [
    "AUDIT_CHAIN_LOCK_ID",
    "GENESIS_HASH",
    "ChainReport",
    "SystemActor",
    "audit_record",
    "change_reason",
    "entry_hash",
    "history_user",
    "normalise_data",
    "save_with_history",
    "target_type_of",
    "verify_chain",
]

# pg_advisory_xact_lock key: the ASCII bytes of "AUDITLOG" as a signed 64-bit integer.
AUDIT_CHAIN_LOCK_ID = int.from_bytes(b"AUDITLOG", "big", signed=True)

# Why a verification failed. Stored as English and translated when shown.
REASON_NOT_GENESIS = gettext_noop("The first entry does not start from the genesis hash.")
REASON_BROKEN_LINK = gettext_noop(
    "Its previous hash does not match the hash of the entry before it "
    "(an entry was removed or inserted)."
)
REASON_ALTERED = gettext_noop("Its content does not match its hash (the entry was altered).")
REASON_ANCHOR_CHANGED = gettext_noop(
    "Its hash differs from the one an earlier verification recorded."
)
REASON_ANCHOR_MISSING = gettext_noop(
    "An entry that an earlier verification checked is missing (the chain was cut)."
)

_ACTION = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_\-]+)+$")

# Keys that would hold raw personal data. Masked values and keyed hashes go under keys
# ending in one of _SAFE_SUFFIXES ("phone_masked", "phone_hash", "phone_last4").
_PII_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "customer_name",
        "real_name",
        "email",
        "address",
        "home_address",
        "birth_date",
        "date_of_birth",
        "birthday",
        "bank_account",
        "card_number",
    }
)
_PII_FRAGMENTS = (
    "phone",
    "mobile",
    "telephone",
    "national_id",
    "id_number",
    "id_card",
    "idcard",
    "passport",
)
_SAFE_SUFFIXES = ("_masked", "_hash", "_last4")


# --- who acted: labels and history fields shared by every app's services -----------------------

CHANGE_REASON_MAX_LENGTH = 100  # django-simple-history's history_change_reason column


def history_user(actor: Actor | None) -> Any:
    """The ``history_user`` of a history row: the person, or nobody for the system or a
    channel."""
    return actor if is_person(actor) else None


def change_reason(action: str, actor: Actor | None, detail: str = "") -> str:
    """A history row's change reason: ``block.lifted by system:rules: <detail>``.

    The system is named in the text; a person is the row's ``history_user`` instead.
    """
    text = f"{action} by {actor.label}" if isinstance(actor, SystemActor | ChannelActor) else action
    if detail:
        text += f": {detail}"
    return text[:CHANGE_REASON_MAX_LENGTH]


def save_with_history(obj: models.Model, *, actor: Actor, reason: str, fields: list[str]) -> None:
    """Save ``fields`` of ``obj`` so its history row names the actor and the reason."""
    obj._history_user = history_user(actor)  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save(update_fields=fields)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries_checked: int
    first_bad: int | None
    reason: str
    last_id: int | None = None
    last_hash: str = ""


# --- encoding ---------------------------------------------------------------------------------


def _refuse_floats_and_personal_keys(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise ValueError(
            f"Audit data at {path or 'the top level'} is a float; "
            "use Decimal or int so the stored value hashes the same after a round trip."
        )
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"Audit data at {path} contains a NUL character.")
    if isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            _refuse_personal_key(key_text)
            _refuse_floats_and_personal_keys(item, f"{path}.{key_text}" if path else key_text)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_floats_and_personal_keys(item, f"{path}[{index}]")


def _refuse_personal_key(key: str) -> None:
    lowered = key.strip().lower()
    if lowered.endswith(_SAFE_SUFFIXES):
        return
    if lowered in _PII_KEYS or any(fragment in lowered for fragment in _PII_FRAGMENTS):
        raise ValueError(
            f"Audit data key {key!r} looks like raw personal data; store a masked value "
            f"under {key + '_masked'!r} or a keyed hash under {key + '_hash'!r} instead."
        )


def normalise_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """What ``data`` will look like after jsonb gives it back; refuses PII keys and floats."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TypeError("Audit data must be a mapping.")
    _refuse_floats_and_personal_keys(data, "")
    normalised: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return normalised


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    data: Mapping[str, Any],
) -> str:
    """SHA-256 hex of the canonical encoding (see the module docstring)."""
    canonical = json.dumps(
        {
            "prev_hash": prev_hash,
            "created_at": _iso_utc(created_at),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- writing ----------------------------------------------------------------------------------


def _actor_fields(actor: Actor) -> tuple[int | None, str]:
    if isinstance(actor, ChannelActor):
        return None, actor.label
    if isinstance(actor, SystemActor):
        if not actor.name:
            raise ValueError("A SystemActor needs a name (the job or command acting).")
        return None, actor.label
    if actor is None or not getattr(actor, "is_authenticated", False) or actor.pk is None:
        raise ValueError("audit_record needs a saved, signed-in user or a SystemActor.")
    return int(actor.pk), actor.get_username()


def target_type_of(model: type[models.Model]) -> str:
    """The name an entry gives its target's type: ``app_label.model_name`` as the model had it
    when its first entry was written. Entries are permanent, so a model that moves to another
    app keeps its old name here (``audit_target_type`` on the model class), and filters by
    type keep finding every entry about it."""
    declared = getattr(model, "audit_target_type", None)
    if declared:
        return str(declared)
    meta = model._meta
    return f"{meta.app_label}.{meta.model_name}"


def _target_fields(target: models.Model | tuple[str, str] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        if target.pk is None:
            raise ValueError("An audit target must be saved first (it has no primary key).")
        return target_type_of(target._meta.model), str(target.pk)
    target_type, target_id = target
    return str(target_type), str(target_id)


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: models.Model | tuple[str, str] | None,
    data: Mapping[str, Any] | None = None,
    commit: bool = False,
) -> AuditEntry:
    """Append an entry to the chain in the caller's transaction (or its own, outside one).

    ``action`` is dotted lower case (``credit_line.block_lifted``); ``target`` a saved model
    instance, a ``(target_type, target_id)`` pair, or ``None``. Raises ``ValueError`` for
    data that looks like raw personal data or holds floats.

    ``commit=True`` is for a hot service whose last statement this append is, called in its
    own outermost ``transaction.atomic`` (nothing may run on the connection after it but
    that block's exit): on PostgreSQL the ``COMMIT`` then travels in the same round trip as
    the append, so the chain lock is released by the server without waiting for this
    process to be scheduled again (see ``_append_postgresql``). Anywhere else (SQLite, a
    nested block, a test's wrapping transaction) the flag changes nothing.
    """
    if not _ACTION.match(action) or len(action) > 100:
        raise ValueError(
            f"Audit action {action!r} must be dotted lower case, e.g. 'credit_line.block_lifted'."
        )
    payload = normalise_data(data)
    actor_id, actor_label = _actor_fields(actor)
    target_type, target_id = _target_fields(target)
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    # No savepoint inside the caller's transaction: a failed append must undo the caller's
    # change too (it is all or nothing), and two round trips per entry are saved.
    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            return _append_postgresql(
                connection,
                using,
                commit=commit and _may_commit_here(connection),
                actor_id=actor_id,
                actor_label=actor_label,
                action=action,
                target_type=target_type,
                target_id=target_id,
                data=payload,
            )
        prev_hash = (
            AuditEntry.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
        ) or GENESIS_HASH
        created_at = timezone.now()
        entry = AuditEntry(
            created_at=created_at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=payload,
            prev_hash=prev_hash,
        )
        entry.hash = entry_hash(
            prev_hash=prev_hash,
            created_at=created_at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=payload,
        )
        entry.save(using=using, force_insert=True)
    return entry


def _canonical_pieces(
    *,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    data: Mapping[str, Any],
) -> tuple[str, str, str]:
    """The canonical encoding in three pieces around the two values the database supplies:
    ``one + created_at + two + prev_hash + three`` is exactly what ``entry_hash`` hashes.

    ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` of a flat mapping is its
    members ``"key":value`` in key order joined by commas. ``created_at`` (ISO 8601 in UTC)
    and ``prev_hash`` (64 hex digits) are strings written without escapes between quotes.
    """
    members: dict[str, Any] = {
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
        "created_at": None,
        "prev_hash": None,
    }
    pieces = ["{"]
    for index, key in enumerate(sorted(members)):
        separator = "," if index else ""
        if key in ("created_at", "prev_hash"):
            pieces[-1] += f'{separator}"{key}":"'
            pieces.append('"')
            continue
        value = json.dumps(members[key], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        pieces[-1] += f"{separator}{json.dumps(key)}:{value}"
    pieces[-1] += "}"
    one, two, three = pieces
    return one, two, three


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


def _may_commit_here(connection: Any) -> bool:
    """True when the caller's block is the connection's only one (no savepoint, nothing
    already failed), so committing now is what its exit would do next."""
    return (
        len(connection.atomic_blocks) == 2  # the caller's and ``audit_record``'s own
        and not any(connection.savepoint_ids)  # ``None``: a block without a savepoint
        and not connection.needs_rollback
        and not connection.get_autocommit()
    )


def _append_postgresql(
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
    one, two, three = _canonical_pieces(
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


# --- verifying --------------------------------------------------------------------------------

_FIELDS = (
    "id",
    "prev_hash",
    "hash",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "data",
)


def _rows(batch_size: int, using: str) -> Iterator[tuple[Any, ...]]:
    """Every entry in id order, ``batch_size`` rows per query (keyset, constant memory)."""
    last_id = 0
    while True:
        batch = list(
            AuditEntry.objects.using(using)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list(*_FIELDS)[:batch_size]
        )
        if not batch:
            return
        yield from batch
        last_id = batch[-1][0]
        if len(batch) < batch_size:
            return


def verify_chain(
    *,
    batch_size: int = 5000,
    anchor: tuple[int, str] | None = None,
    using: str | None = None,
) -> ChainReport:
    """Walk the whole chain in id order, recomputing each hash and checking each link.

    ``anchor`` is an ``(id, hash)`` pair seen by an earlier verification: it must still be
    in the chain with the same hash, which catches a deleted tail that a walk alone cannot.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive.")
    using = using or router.db_for_read(AuditEntry)
    expected_prev = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    anchor_seen = anchor is None
    for (
        entry_id,
        prev_hash,
        stored_hash,
        created_at,
        actor_id,
        actor_label,
        action,
        target_type,
        target_id,
        data,
    ) in _rows(batch_size, using):
        checked += 1
        if prev_hash != expected_prev:
            reason = REASON_NOT_GENESIS if last_id is None else REASON_BROKEN_LINK
            return ChainReport(False, checked, entry_id, reason, last_id, expected_prev)
        computed = entry_hash(
            prev_hash=prev_hash,
            created_at=created_at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=data,
        )
        if computed != stored_hash:
            return ChainReport(
                False,
                checked,
                entry_id,
                REASON_ALTERED,
                last_id,
                expected_prev,
            )
        if anchor is not None and entry_id == anchor[0]:
            if stored_hash != anchor[1]:
                return ChainReport(
                    False,
                    checked,
                    entry_id,
                    REASON_ANCHOR_CHANGED,
                    last_id,
                    expected_prev,
                )
            anchor_seen = True
        expected_prev = stored_hash
        last_id = entry_id
    if not anchor_seen and anchor is not None:
        return ChainReport(
            False,
            checked,
            anchor[0],
            REASON_ANCHOR_MISSING,
            last_id,
            expected_prev,
        )
    return ChainReport(True, checked, None, "", last_id, expected_prev if last_id else "")


def timed_verify_chain(**kwargs: Any) -> tuple[ChainReport, int]:
    """``verify_chain`` and how long it took, in milliseconds."""
    started = time.monotonic()
    report = verify_chain(**kwargs)
    return report, int((time.monotonic() - started) * 1000)
