"""Decisions on cases, with four-eyes approval: propose, approve, reject, and apply.

Every service runs in one transaction that locks the case (then the decision, then the
credit line, then its blocks: always in that order), writes the change with its history
row, its audit entry and its timeline event. A decision that policy says needs a second
pair of eyes waits as ``proposed`` (the case as ``pending_approval``) for a supervisor who
is not the proposer, whoever proposed it (a supervisor's own decision too); approval
applies it in the approver's transaction. Deciding on a case makes it the decider's: it is
assigned to them and leaves "new" in the same transaction.

Audit data and timeline events hold ids, codes and amounts only: the officer's
justification and the approver's comment stay on the decision row, where erasure reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from cases import notifications, policy
from cases.decisions.policy import (
    approval_limit_threshold,
    assessment_fresh_since,
    decision_needs_approval,
)
from cases.decisions.validation import (
    COMMENT_MAX_LENGTH,
    clean_proposal,
)
from cases.models import (
    Case,
    CaseEventKind,
    CaseStatus,
    Decision,
    DecisionKind,
    DecisionReason,
    DecisionState,
)
from cases.permissions import (
    ensure_can_approve,
    ensure_can_approve_decisions,
    ensure_can_decide_on,
    ensure_can_propose_decisions,
)
from cases.services.primitives import (
    case_bump,
    case_ensure_version,
    case_event_record,
    case_lock,
)
from portal.errors import Conflict
from scoring.assessments import services as jobs
from scoring.lines.blocks import block_lift
from scoring.lines.services import credit_line_set_usable_limit
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
)

# --- helpers --------------------------------------------------------------------------------


class AssessmentOnRecord(NamedTuple):
    """What the four-eyes policy needs of the customer's latest succeeded assessment."""

    recommended_limit: Decimal | None
    finished_at: datetime | None


def latest_assessment_on_record(*, customer_id: int) -> AssessmentOnRecord:
    """The recommended limit and finish time of the customer's latest succeeded assessment
    (both ``None`` when there is none). A challenger's shadow run is not on record: it
    never decided anything about the customer."""
    row = (
        Assessment.objects.filter(customer_id=customer_id, status=AssessmentStatus.SUCCEEDED)
        .exclude(trigger=AssessmentTrigger.SHADOW)
        .order_by("-finished_at", "-id")
        .values_list("recommended_limit", "finished_at")
        .first()
    )
    return AssessmentOnRecord(*row) if row is not None else AssessmentOnRecord(None, None)


def _reason_label(decision: Decision) -> str:
    """The decision's reason in the project's language plus its id: what history and the
    block's lift reason record (never the officer's free text)."""
    with translation.override(None):
        label = str(DecisionReason(decision.reason_code).label)
    return f"{label} (decision #{decision.pk})"


def _save_decision(decision: Decision, *, actor: User, action: str, detail: str = "") -> None:
    """The decision's save where its audit entry comes later (after the case's own)."""
    save_with_history(decision, actor=actor, reason=change_reason(action, actor, detail))


def _working_status(case: Case) -> str:
    """Where a case goes back to after a decision: in review with its assignee, else new."""
    return CaseStatus.IN_REVIEW if case.assignee_id is not None else CaseStatus.NEW


def _audit_data(decision: Decision) -> dict[str, Any]:
    return {
        "case": decision.case_id,
        "kind": decision.kind,
        "reason_code": decision.reason_code,
        "state": decision.state,
        "requires_approval": decision.requires_approval,
        "approval_reason": decision.approval_reason,
        "usable_limit": decision.usable_limit,
        "usable_limit_before": decision.usable_limit_before,
        "blocks": list(decision.blocks),
    }


def _event_data(decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision": decision.pk,
        "kind": decision.kind,
        "reason_code": decision.reason_code,
    }
    if decision.usable_limit is not None:
        data["usable_limit"] = str(decision.usable_limit)
    if decision.usable_limit_before is not None:
        data["usable_limit_before"] = str(decision.usable_limit_before)
    if decision.blocks:
        data["blocks"] = list(decision.blocks)
    return data


# --- the credit line ------------------------------------------------------------------------


# --- applying -------------------------------------------------------------------------------


def _decision_apply(
    *, actor: User, case: Case, decision: Decision, case_fields: Sequence[str] = ()
) -> Decision:
    """Carry out a decision (the caller holds the case and decision locks).

    Shared by immediate application and approval; ``actor`` is who makes the change happen
    (the proposer, or the approver). ``case_fields``: fields of ``case`` the caller has
    changed already (the assignment to the decider), saved in the same history row.
    """
    case_fields = list(case_fields)
    extra: dict[str, Any] = {}
    kind = decision.kind
    if kind == DecisionKind.LIFT_BLOCK:
        reason = _reason_label(decision)
        for block_id in decision.blocks:
            block_lift(actor=actor, block_id=int(block_id), reason=reason)
        case.status = _working_status(case)
        case_fields.append("status")
    elif kind == DecisionKind.OVERRIDE_LIMIT:
        if case.credit_line_id is None or decision.usable_limit is None:
            raise ValidationError({"usable_limit": [_("Enter the new usable limit.")]})
        before, _after = credit_line_set_usable_limit(
            actor=actor,
            credit_line_id=case.credit_line_id,
            usable_limit=decision.usable_limit,
            reason=_reason_label(decision),
            audit_data={
                "decision": decision.pk,
                "case": decision.case_id,
                "reason_code": decision.reason_code,
            },
        )
        decision.usable_limit_before = before
        case.status = _working_status(case)
        case_fields.append("status")
    elif kind == DecisionKind.REASSESS:
        assessment = jobs.assessment_request(
            actor=actor,
            customer_id=case.customer_id,
            trigger=AssessmentTrigger.OFFICER,
            credit_line_id=case.credit_line_id,
        )
        extra["assessment"] = assessment.pk
        case.status = _working_status(case)
        case_fields.append("status")
    elif kind == DecisionKind.ESCALATE:
        case.priority = policy.escalated_priority(case.priority)
        case.status = CaseStatus.NEW
        case.assignee = None
        case.assigned_at = None
        case_fields += ["priority", "status", "assignee", "assigned_at"]
        case_fields = list(dict.fromkeys(case_fields))
        extra["priority"] = case.priority
    elif kind == DecisionKind.RESOLVE:
        case.status = CaseStatus.RESOLVED
        case.closed_at = timezone.now()
        case_fields += ["status", "closed_at"]
    else:  # keep_block: the line stays as it is
        case.status = _working_status(case)
        case_fields.append("status")

    decision.state = DecisionState.APPLIED
    decision.applied_at = timezone.now()
    _save_decision(decision, actor=actor, action=AuditAction.DECISION_APPLIED, detail=decision.kind)
    case_bump(
        case=case,
        actor=actor,
        reason=AuditAction.DECISION_APPLIED,
        ref=f"#{decision.pk}",
        fields=case_fields,
    )
    audit_record(
        actor=actor,
        action=AuditAction.DECISION_APPLIED,
        target=decision,
        data={**_audit_data(decision), **extra},
    )
    case_event_record(
        case=case,
        kind=CaseEventKind.ESCALATED
        if kind == DecisionKind.ESCALATE
        else CaseEventKind.DECISION_APPLIED,
        actor=actor,
        data={**_event_data(decision), **extra},
    )
    return decision


# --- propose --------------------------------------------------------------------------------


def _assign_to_decider(*, actor: User, case: Case) -> list[str]:
    """Make the case the decider's (a supervisor deciding on an unassigned case or on an
    officer's): its timeline event and audit entry now, its history row with the decision's
    own save of the case. Returns the case fields changed (none when it was theirs)."""
    if case.assignee_id == actor.pk:
        return []
    previous = case.assignee_id
    case.assignee = actor
    case.assigned_at = timezone.now()
    data = {"previous_assignee": previous, "assignee": actor.pk}
    case_event_record(case=case, kind=CaseEventKind.ASSIGNED, actor=actor, data=data)
    audit_record(actor=actor, action=AuditAction.CASE_TAKEN, target=case, data=data)
    return ["assignee", "assigned_at"]


@transaction.atomic
def decision_propose(
    *,
    actor: User,
    case_id: int,
    version: int,
    kind: str,
    reason_code: str,
    justification: str,
    usable_limit: Decimal | int | str | None = None,
    blocks: Sequence[int] | None = None,
) -> Decision:
    """Decide on a case: applied at once, or ``proposed`` when policy needs four eyes.

    The same policy for every proposer; the case becomes the decider's and leaves "new"
    (in review, or pending approval when the decision waits; an escalation alone sends it
    back to the queue). Raises ``PermissionDenied`` (no permission; for an officer, a case
    not assigned to them),
    ``Conflict`` (stale ``version``: a second submit of the same form is one; case closed
    or already waiting for approval), ``ValidationError`` by field, ``Case.DoesNotExist``.
    """
    ensure_can_propose_decisions(actor)
    case = case_lock(case_id=case_id)
    ensure_can_decide_on(actor, case)
    case_ensure_version(case=case, version=version)
    if not case.is_open:
        raise Conflict(_("This case is closed."), code="case_closed")
    if case.status == CaseStatus.PENDING_APPROVAL:
        raise Conflict(
            _("A decision on this case is already waiting for approval."), code="pending"
        )
    justification, amount, block_ids, chosen = clean_proposal(
        case=case,
        kind=kind,
        reason_code=reason_code,
        justification=justification,
        usable_limit=usable_limit,
        blocks=blocks,
    )
    line = case.credit_line
    on_record = (
        latest_assessment_on_record(customer_id=case.customer_id)
        if kind == DecisionKind.OVERRIDE_LIMIT
        else AssessmentOnRecord(None, None)
    )
    needs_approval, approval_reason = decision_needs_approval(
        kind=kind,
        threshold=approval_limit_threshold(),
        usable_limit=amount,
        usable_limit_before=line.usable_limit if line is not None else None,
        recommended_limit=on_record.recommended_limit,
        assessed_at=on_record.finished_at,
        fresh_since=assessment_fresh_since(),
        block_reason_codes=[b.reason_code for b in chosen],
    )
    taken = _assign_to_decider(actor=actor, case=case)
    decision = Decision(
        case=case,
        kind=kind,
        reason_code=reason_code,
        justification=justification,
        usable_limit=amount,
        usable_limit_before=line.usable_limit if amount is not None and line else None,
        blocks=block_ids,
        requires_approval=needs_approval,
        approval_reason=approval_reason,
        state=DecisionState.PROPOSED,
        proposed_by=actor,
    )
    record_change(
        decision,
        actor=actor,
        action=AuditAction.DECISION_PROPOSED,
        detail=kind,
        data=_audit_data(decision),
    )
    case_event_record(
        case=case,
        kind=CaseEventKind.DECISION_PROPOSED,
        actor=actor,
        data={**_event_data(decision), "requires_approval": needs_approval},
    )
    if needs_approval:
        case.status = CaseStatus.PENDING_APPROVAL
        case_bump(
            case=case,
            actor=actor,
            reason=AuditAction.DECISION_PROPOSED,
            ref=f"#{decision.pk}",
            fields=["status", *taken],
        )
        notifications.notify_decision_to_approve(
            case_id=case.pk, decision_id=decision.pk, proposer_id=actor.pk
        )
        return decision
    return _decision_apply(actor=actor, case=case, decision=decision, case_fields=taken)


# --- approve / reject -----------------------------------------------------------------------


def _lock_decision(*, decision_id: int) -> tuple[Case, Decision]:
    """Case first, then the decision: the same lock order as ``decision_propose``."""
    case_id = Decision.objects.values_list("case_id", flat=True).get(pk=decision_id)
    case = case_lock(case_id=case_id)
    decision = Decision.objects.select_for_update().get(pk=decision_id)
    return case, decision


@transaction.atomic
def decision_approve(*, actor: User, decision_id: int, comment: str = "") -> Decision:
    """Approve a proposed decision and apply it in the same transaction.

    Raises ``PermissionDenied`` (not a supervisor, or the proposer), ``Conflict`` (already
    decided: safe to retry), ``ValidationError``, ``Decision.DoesNotExist``.
    """
    ensure_can_approve_decisions(actor)
    case, decision = _lock_decision(decision_id=decision_id)
    ensure_can_approve(actor, decision)
    if decision.state != DecisionState.PROPOSED:
        raise Conflict(_("This decision has already been decided."), code="already_decided")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": [_("Keep the comment shorter.")]})
    decision.state = DecisionState.APPROVED
    decision.approver = actor
    decision.decided_at = timezone.now()
    decision.approver_comment = comment
    record_change(
        decision, actor=actor, action=AuditAction.DECISION_APPROVED, data=_audit_data(decision)
    )
    case_event_record(
        case=case, kind=CaseEventKind.DECISION_APPROVED, actor=actor, data=_event_data(decision)
    )
    notifications.notify_decision_decided(case_id=case.pk, decision_id=decision.pk)
    return _decision_apply(actor=actor, case=case, decision=decision)


@transaction.atomic
def decision_reject(*, actor: User, decision_id: int, comment: str) -> Decision:
    """Reject a proposed decision; the case returns to its officer with the comment.

    Raises ``PermissionDenied``, ``Conflict`` (already decided), ``ValidationError`` (no
    comment), ``Decision.DoesNotExist``.
    """
    ensure_can_approve_decisions(actor)
    case, decision = _lock_decision(decision_id=decision_id)
    ensure_can_approve(actor, decision)
    if decision.state != DecisionState.PROPOSED:
        raise Conflict(_("This decision has already been decided."), code="already_decided")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": [_("Say why the decision is rejected.")]})
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": [_("Keep the comment shorter.")]})
    decision.state = DecisionState.REJECTED
    decision.approver = actor
    decision.decided_at = timezone.now()
    decision.approver_comment = comment
    _save_decision(decision, actor=actor, action=AuditAction.DECISION_REJECTED)
    if case.status == CaseStatus.PENDING_APPROVAL:
        case.status = _working_status(case)
        case_bump(
            case=case,
            actor=actor,
            reason=AuditAction.DECISION_REJECTED,
            ref=f"#{decision.pk}",
            fields=["status"],
        )
    audit_record(
        actor=actor,
        action=AuditAction.DECISION_REJECTED,
        target=decision,
        data=_audit_data(decision),
    )
    case_event_record(
        case=case, kind=CaseEventKind.DECISION_REJECTED, actor=actor, data=_event_data(decision)
    )
    notifications.notify_decision_decided(case_id=case.pk, decision_id=decision.pk)
    notifications.notify_decision_rejected(
        case_id=case.pk, decision_id=decision.pk, proposer_id=decision.proposed_by_id
    )
    return decision
