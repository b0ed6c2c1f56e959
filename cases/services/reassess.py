"""Asking for a new assessment of a case's customer (``case_reassess``)."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from audit.actions import AuditAction
from audit.log import audit_record
from cases.models import CaseEvent, CaseEventKind
from cases.permissions import ensure_can_reassess_case, ensure_can_work_cases
from cases.services.primitives import case_bump, case_ensure_version, case_event_record, case_lock
from scoring.assessments import services as jobs
from scoring.models import Assessment, AssessmentTrigger


@transaction.atomic
def case_reassess(*, actor: User, case_id: int, version: int | None = None) -> Assessment:
    """Queue a new assessment of the case's customer and credit line (trigger: officer).

    A double click returns the assessment already queued or running and records nothing
    twice. Raises ``PermissionDenied``, ``Conflict`` (stale version) and the scoring
    service's ``ValidationError`` (consent missing, no champion scorecard). Only the case's
    assignee or a supervisor re-runs it (``PermissionDenied`` for anyone else).
    """
    ensure_can_work_cases(actor)
    case = case_lock(case_id=case_id)
    ensure_can_reassess_case(actor, case)
    case_ensure_version(case=case, version=version)
    assessment = jobs.assessment_request(
        actor=actor,
        customer_id=case.customer_id,
        trigger=AssessmentTrigger.OFFICER,
        credit_line_id=case.credit_line_id,
    )
    already = CaseEvent.objects.filter(
        case=case, kind=CaseEventKind.ASSESSMENT, data__assessment=assessment.pk
    ).exists()
    if not already:
        case_bump(case=case, actor=actor, reason=AuditAction.CASE_REASSESSED, fields=[])
        case_event_record(
            case=case,
            kind=CaseEventKind.ASSESSMENT,
            actor=actor,
            data={"assessment": assessment.pk},
        )
        audit_record(
            actor=actor,
            action=AuditAction.CASE_REASSESSED,
            target=case,
            data={"assessment": assessment.pk},
        )
    return assessment
