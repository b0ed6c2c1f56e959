"""Claiming the next case: ``case_claim_next``, and the portable ORM claim (SQLite, the
local run) that the PostgreSQL fast path (``cases.services.claim_pg``) replaces."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.log import audit_record
from cases import policy
from cases.models import Case, CaseEventKind, CaseStatus
from cases.permissions import ensure_can_work_cases
from cases.services import claim_pg
from cases.services.primitives import WORKED_STATUSES, case_bump, case_event_record
from portal.errors import Conflict


@transaction.atomic
def case_claim_next(*, actor: User) -> Case | None:
    """Assign the most urgent unassigned case (priority, then earliest due) to ``actor``.

    ``FOR UPDATE SKIP LOCKED`` on the claimable partial index: concurrent claimers each
    take a different row and never wait for one another. ``None`` when the queue is empty;
    ``Conflict`` when the officer already holds ``CASES_WIP_LIMIT`` cases in work (the
    officer's own row is locked first, so two tabs cannot both pass the check).

    On PostgreSQL the claim is one statement after the officer's lock: it counts the
    officer's work in progress, picks and updates the case, and writes its history row and
    timeline event (``claim_pg.claim``); then the audit entry, with the COMMIT in the
    same round trip. Three round trips in all (BEGIN, claim, audit and commit) instead of
    about fourteen, with the same rows written.
    """
    ensure_can_work_cases(actor)
    limit = policy.wip_limit()
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        held, case = claim_pg.claim(actor=actor, limit=limit)
    else:
        held, case = _claim_orm(actor=actor, limit=limit)
    if held >= limit:
        raise Conflict(
            _(
                "You already have %(held)d cases in work, your limit of %(limit)d. "
                "Finish one before claiming another."
            )
            % {"held": held, "limit": limit},
            code="wip_limit",
        )
    if case is None:
        return None
    # The last statement: its COMMIT rides along, so the audit chain's lock is released
    # without waiting for this process to be scheduled again.
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CLAIMED,
        target=case,
        data={"assignee": actor.pk, "priority": case.priority},
        commit=True,
    )
    return case


def _claim_orm(*, actor: User, limit: int) -> tuple[int, Case | None]:
    """The portable claim (SQLite, the local run): lock and count, pick, save."""
    # One round trip: lock the officer's row and count the cases they hold.
    held_cases = (
        Case.objects.filter(assignee=OuterRef("pk"), status__in=WORKED_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    held = (
        User.objects.select_for_update(of=("self",))
        .filter(pk=actor.pk)
        .annotate(held=Subquery(held_cases))
        .values_list("held", flat=True)
        .get()
    ) or 0
    if held >= limit:
        return held, None
    case = (
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=CaseStatus.NEW, assignee__isnull=True)
        .order_by("priority", "sla_due_at", "id")
        .first()
    )
    if case is None:
        return held, None
    now = timezone.now()
    case.status = CaseStatus.ASSIGNED
    case.assignee = actor
    case.assigned_at = now
    case_bump(
        case=case,
        actor=actor,
        reason=AuditAction.CASE_CLAIMED,
        fields=["status", "assignee", "assigned_at"],
    )
    case_event_record(
        case=case, kind=CaseEventKind.ASSIGNED, actor=actor, data={"assignee": actor.pk}
    )
    return held, case
