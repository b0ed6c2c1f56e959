"""Appending to the hash-chained audit log: ``audit_record``.

The encoding and the hash are ``audit.encoding``; checking the chain is ``audit.verify``;
the history rows' "who and why" are ``audit.history_rows``.

Chain
    The first entry's ``prev_hash`` is 64 zeros; every later one holds the previous
    entry's ``hash``. ``prev_hash`` is unique, so the database itself refuses a fork. On
    PostgreSQL the append is ``audit.append_pg`` (a chain lock, the read of the last hash
    and the insert in one round trip, the hash computed by the database and checked here);
    elsewhere (SQLite, which serialises writers by itself) it is the ORM path below. Both
    write the same encoding and the same chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from audit.actions import ensure_action
from audit.append_pg import append_postgresql, may_commit_here
from audit.encoding import entry_hash, normalise_data
from audit.models import GENESIS_HASH, AuditEntry
from portal.permissions import Actor, ChannelActor, SystemActor

__all__ = ["audit_record", "target_type_of"]

_ACTION = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_\-]+)+$")


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

    ``action`` is an ``AuditAction`` (``case.claimed``; ``ValueError`` for a code the list
    does not have, a programming error); ``target`` a saved model
    instance, a ``(target_type, target_id)`` pair, or ``None``. Raises ``ValueError`` for
    data that looks like raw personal data or holds floats.

    ``commit=True`` is for a hot service whose last statement this append is, called in its
    own outermost ``transaction.atomic`` (nothing may run on the connection after it but
    that block's exit): on PostgreSQL the ``COMMIT`` then travels in the same round trip as
    the append, so the chain lock is released by the server without waiting for this
    process to be scheduled again (see ``audit.append_pg``). Anywhere else (SQLite, a
    nested block, a test's wrapping transaction) the flag changes nothing.
    """
    if not _ACTION.match(action) or len(action) > 100:
        raise ValueError(
            f"Audit action {action!r} must be dotted lower case, e.g. 'credit_line.opened'."
        )
    action = ensure_action(action)
    payload = normalise_data(data)
    actor_id, actor_label = _actor_fields(actor)
    target_type, target_id = _target_fields(target)
    using = router.db_for_write(AuditEntry)
    connection = connections[using]
    # No savepoint inside the caller's transaction: a failed append must undo the caller's
    # change too (it is all or nothing), and two round trips per entry are saved.
    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            return append_postgresql(
                connection,
                using,
                commit=commit and may_commit_here(connection),
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
