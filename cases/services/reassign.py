"""A supervisor's reassignment of open cases (``case_reassign``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from cases.models import Case, CaseEventKind, CaseStatus
from cases.permissions import can_work_cases, ensure_can_reassign
from cases.services.primitives import (
    WORKED_STATUSES,
    PendingAudit,
    audit_batch,
    case_bump,
    case_event_record,
)
from portal.errors import Conflict


@transaction.atomic
def case_reassign(*, actor: User, case_ids: list[int], assignee_id: int | None) -> list[Case]:
    """A supervisor gives open cases to an officer (``assignee_id``) or back to the queue
    (``None``). All or nothing; each case gets its event, history row and audit entry."""
    ensure_can_reassign(actor)
    ids = sorted(set(case_ids))
    if not ids:
        raise ValidationError({"case_ids": [_("Choose at least one case.")]})
    assignee: User | None = None
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not can_work_cases(assignee):
            raise ValidationError({"assignee": [_("Choose an active officer or supervisor.")]})
    # Locked in id order, so two supervisors reassigning overlapping sets cannot deadlock.
    cases = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("id"))
    if len(cases) != len(ids):
        raise ValidationError({"case_ids": [_("Some of these cases do not exist.")]})
    closed = [c.pk for c in cases if not c.is_open]
    if closed:
        raise Conflict(
            _("Cases %(ids)s are already resolved or closed; nothing was reassigned.")
            % {"ids": ", ".join(f"#{pk}" for pk in closed)},
            code="case_closed",
        )
    now = timezone.now()
    audits: list[PendingAudit] = []
    for case in cases:
        previous = case.assignee_id
        if assignee is not None:
            case.assignee = assignee
            case.assigned_at = now
            if case.status == CaseStatus.NEW:
                case.status = CaseStatus.ASSIGNED
            kind = CaseEventKind.ASSIGNED
        else:
            case.assignee = None
            case.assigned_at = None
            if case.status in WORKED_STATUSES:
                case.status = CaseStatus.NEW
            kind = CaseEventKind.RELEASED
        case_bump(
            case=case,
            actor=actor,
            reason=AuditAction.CASE_REASSIGNED,
            fields=["status", "assignee", "assigned_at"],
        )
        data = {"previous_assignee": previous, "assignee": assignee_id}
        case_event_record(case=case, kind=kind, actor=actor, data=data)
        audits.append(PendingAudit("case.reassigned", case, data))
    audit_batch(actor, audits)
    return cases
