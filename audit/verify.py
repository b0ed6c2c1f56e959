"""Verifying the hash-chained audit log: walk it in id order, recompute each entry's hash
(``audit.encoding.entry_hash``) and check each link, and an earlier verification's anchor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import router
from django.utils.translation import gettext_noop

from audit.encoding import entry_hash
from audit.models import GENESIS_HASH, AuditEntry

__all__ = [
    "REASON_ALTERED",
    "REASON_ANCHOR_CHANGED",
    "REASON_ANCHOR_MISSING",
    "REASON_BROKEN_LINK",
    "REASON_NOT_GENESIS",
    "ChainReport",
    "timed_verify_chain",
    "verify_chain",
]

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


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries_checked: int
    first_bad: int | None
    reason: str
    last_id: int | None = None
    last_hash: str = ""


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
