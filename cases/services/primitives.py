"""Primitives the other case services build on: a timeline row (``case_event_record``), a
versioned save of a locked case (``case_bump``), the stale-form check and the row lock, and
the batch audit writer of the sweeps and bulk changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.history_rows import change_reason, history_user, save_with_history
from audit.log import audit_record
from cases.models import Case, CaseEvent, CaseStatus
from portal.errors import Conflict
from portal.permissions import SystemActor, actor_label

Actor = User | SystemActor


def case_event_record(
    *,
    case: Case,
    kind: str,
    actor: Actor | None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Write one line of the case's timeline. ``data`` holds ids, codes and amounts only
    (no personal data, no free text: notes and justifications live on their own rows)."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=history_user(actor),
        actor_label=actor_label(actor),
        data=data or {},
    )


def case_bump(
    *, case: Case, actor: Actor | None, reason: str, fields: Sequence[str], ref: str = ""
) -> Case:
    """Save ``fields`` of ``case`` with ``version`` + 1 in one UPDATE, plus a history row
    whose reason is ``change_reason(reason, actor, ref=ref)`` (``reason`` an ``AuditAction``;
    ``ref`` the record the change came from, ``#7`` for a decision).

    The caller holds the row lock (``Case.objects.select_for_update()``) and has already set
    the new field values on ``case``. ``last_touched_at`` is set when a person acts (it
    keeps a claimed case from returning to the queue); the system's changes leave it alone.
    """
    case.version += 1
    update = {*fields, "version", "updated_at"}
    if isinstance(actor, User):
        case.last_touched_at = timezone.now()
        update.add("last_touched_at")
    save_with_history(
        case, actor=actor, reason=change_reason(reason, actor, ref=ref), fields=sorted(update)
    )
    return case


def case_ensure_version(*, case: Case, version: int | None) -> None:
    """Refuse a form or API call that started from another version of the case (409)."""
    if version is not None and int(version) != case.version:
        raise Conflict(
            _(
                "This case changed since you opened it (someone else worked on it). "
                "Reload the page and try again."
            ),
            code="stale_version",
        )


def case_lock(*, case_id: int) -> Case:
    """The case, locked for the rest of the caller's transaction (``Case.DoesNotExist``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_lock must be called inside a transaction.")
    return Case.objects.select_for_update(of=("self",)).get(pk=case_id)


WORKED_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW)


class PendingAudit(NamedTuple):
    action: str
    case: Case
    data: dict[str, Any]


def audit_batch(actor: User | SystemActor, audits: list[PendingAudit]) -> None:
    """A batch's audit entries, written last in its transaction: the chain's lock is taken
    by the first append and held to the commit, so every other audited write in the portal
    waits only for these appends, not for the whole batch's work."""
    for audit in audits:
        audit_record(actor=actor, action=audit.action, target=audit.case, data=audit.data)
