"""Returning stale claims to the queue (``cases_release_stale``, a periodic task)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.actions import AuditAction
from cases import policy
from cases.models import Case, CaseEventKind, CaseStatus
from cases.services.primitives import PendingAudit, audit_batch, case_bump, case_event_record
from portal.permissions import SystemActor

RELEASE_ACTOR = SystemActor("cases.release_stale")


def cases_release_stale(*, now: datetime | None = None, batch_size: int = 200) -> list[int]:
    """Return claimed cases untouched for ``CASES_CLAIM_TIMEOUT_MINUTES`` to the queue.

    Each batch is one transaction; rows another transaction holds are skipped (they are
    being worked on right now) and the conditions are re-checked under the lock, so a
    second run, or one racing an officer's note, changes nothing twice.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=policy.claim_timeout_minutes())
    stale = Q(status=CaseStatus.ASSIGNED) & (
        Q(last_touched_at__lt=cutoff) | Q(last_touched_at__isnull=True, assigned_at__lt=cutoff)
    )
    released: list[int] = []
    while True:
        with transaction.atomic():
            batch = list(
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(stale)
                .order_by("id")[:batch_size]
            )
            audits: list[PendingAudit] = []
            for case in batch:
                previous = case.assignee_id
                case.status = CaseStatus.NEW
                case.assignee = None
                case.assigned_at = None
                case_bump(
                    case=case,
                    actor=RELEASE_ACTOR,
                    reason=AuditAction.CASE_RELEASED,
                    fields=["status", "assignee", "assigned_at"],
                )
                data = {
                    "previous_assignee": previous,
                    "timeout_minutes": policy.claim_timeout_minutes(),
                }
                case_event_record(
                    case=case, kind=CaseEventKind.RELEASED, actor=RELEASE_ACTOR, data=data
                )
                audits.append(PendingAudit("case.released", case, data))
                released.append(case.pk)
            audit_batch(RELEASE_ACTOR, audits)
        if len(batch) < batch_size:
            return released
