"""One call for a change with history and audit: ``record_change``.

Most services save one object and audit it: the history row names the person (or, in its
reason, the system) and the action; the audit entry carries the same action code. Doing
both in one call keeps the two from drifting apart (a reason saying one thing, the entry
another) and keeps the audit append after the save, as the chain's lock wants it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import models

from audit.actions import ensure_action
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from portal.permissions import Actor

__all__ = ["record_change"]

M = TypeVar("M", bound=models.Model)


def record_change(
    obj: M,
    *,
    actor: Actor,
    action: str,
    data: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    detail: str = "",
    ref: str = "",
    update_fields: Sequence[str] | None = None,
    force_insert: bool = False,
    target: models.Model | tuple[str, str] | None = None,
    commit: bool = False,
) -> M:
    """Save ``obj`` with a history row and append the audit entry, in the caller's
    transaction; returns ``obj``.

    The history row's user is ``actor`` when a person acts, its reason
    ``change_reason(action, actor, detail, ref=ref)``; the entry's action is ``action``
    (an ``AuditAction``: ``ValueError`` otherwise, before anything is written), its target
    ``target`` or else ``obj``, its data ``data`` (or what ``data()`` gives, called after
    the save: for values read back, such as a line's usability with its new block).
    ``update_fields`` saves only those fields; ``force_insert`` insists on an INSERT (a new
    row). ``commit`` is ``audit_record``'s: only for a service whose last statement this is.
    """
    code = ensure_action(action)
    save_with_history(
        obj,
        actor=actor,
        reason=change_reason(code, actor, detail, ref=ref),
        fields=list(update_fields) if update_fields is not None else None,
        force_insert=force_insert,
    )
    audit_record(
        actor=actor,
        action=code,
        target=obj if target is None else target,
        data=data() if callable(data) else data,
        commit=commit,
    )
    return obj
