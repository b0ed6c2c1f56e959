"""The SLA sweep: due-soon marks, breaches, escalation and the supervisors' notices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.actions import AuditAction
from audit.history_rows import change_reason, save_with_history
from cases import notifications, policy
from cases.models import OPEN_STATUSES, Case, CaseEventKind
from cases.services.primitives import PendingAudit, audit_batch, case_bump, case_event_record
from portal.permissions import SystemActor

SLA_ACTOR = SystemActor("cases.sla_sweep")


@dataclass(frozen=True)
class SlaSweepReport:
    due_soon: list[int]
    breached: list[int]


def cases_sla_sweep(*, now: datetime | None = None, batch_size: int = 200) -> SlaSweepReport:
    """Mark open cases due soon, and breached ones: breach sets ``sla_breached_at``, raises
    the priority one step (P1 at most), records ``sla_breached`` and ``escalated``, and
    notifies every supervisor in the portal (in the same transaction).

    Each case is marked once (the ``*_at`` column is the guard, re-checked under the lock);
    rows locked elsewhere are skipped and picked up by the next run.
    """
    now = now or timezone.now()
    soon = now + timedelta(minutes=policy.due_soon_minutes())
    open_ = Q(status__in=OPEN_STATUSES, sla_breached_at__isnull=True)
    supervisors: list[list[int]] = []  # looked up once, when the first breach is marked

    def breach(case: Case) -> PendingAudit:
        if not supervisors:
            supervisors.append(notifications.supervisor_ids())
        return _case_mark_breached(case, now, supervisors=supervisors[0])

    breached = _sla_batches(open_ & Q(sla_due_at__lt=now), batch_size, breach)
    due_soon = _sla_batches(
        open_ & Q(sla_due_soon_at__isnull=True, sla_due_at__gte=now, sla_due_at__lte=soon),
        batch_size,
        lambda case: _case_mark_due_soon(case, now),
    )
    return SlaSweepReport(due_soon=due_soon, breached=breached)


def _sla_batches(
    condition: Q, batch_size: int, mark: Callable[[Case], PendingAudit | None]
) -> list[int]:
    marked: list[int] = []
    while True:
        with transaction.atomic():
            batch = list(
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(condition)
                .order_by("sla_due_at", "id")[:batch_size]
            )
            audits = [audit for case in batch if (audit := mark(case)) is not None]
            marked.extend(case.pk for case in batch)
            audit_batch(SLA_ACTOR, audits)
        if len(batch) < batch_size:
            return marked


def _case_mark_due_soon(case: Case, now: datetime) -> None:
    # A timing mark, not a change of substance: no version bump (an officer's open form
    # stays valid), but a history row and the timeline event.
    case.sla_due_soon_at = now
    save_with_history(
        case,
        actor=SLA_ACTOR,
        reason=change_reason(AuditAction.CASE_SLA_DUE_SOON, SLA_ACTOR),
        fields=["sla_due_soon_at", "updated_at"],
    )
    case_event_record(
        case=case,
        kind=CaseEventKind.SLA_DUE_SOON,
        actor=SLA_ACTOR,
        data={"due": case.sla_due_at.isoformat()},
    )


def _case_mark_breached(case: Case, now: datetime, *, supervisors: list[int]) -> PendingAudit:
    before = case.priority
    case.sla_breached_at = now
    case.priority = policy.escalated_priority(before)
    case_bump(
        case=case,
        actor=SLA_ACTOR,
        reason=AuditAction.CASE_SLA_BREACHED,
        fields=["sla_breached_at", "priority"],
    )
    data = {
        "due": case.sla_due_at.isoformat(),
        "priority_before": before,
        "priority": case.priority,
    }
    case_event_record(case=case, kind=CaseEventKind.SLA_BREACHED, actor=SLA_ACTOR, data=data)
    case_event_record(
        case=case,
        kind=CaseEventKind.ESCALATED,
        actor=SLA_ACTOR,
        data={"priority_before": before, "priority": case.priority},
    )
    notifications.notify_sla_breached(
        case_id=case.pk,
        data={"case": case.pk, "priority_before": before, "priority": case.priority},
        supervisors=supervisors,
    )
    return PendingAudit("case.sla_breached", case, data)
