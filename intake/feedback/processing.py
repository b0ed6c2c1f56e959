"""Processing received feedback: match → case or triage, give up after ``MAX_ATTEMPTS``,
and the sweep.

``feedback_process`` runs through ``FEEDBACK_INBOX`` (``intake.inbox``, shared with
signals): it counts the run, claims the row with a conditional update from ``received``
and re-checks the status under the row lock, so a message delivered twice (or re-sent by
the sweep) opens or attaches to a case exactly once. After ``MAX_ATTEMPTS`` runs the
feedback waits in triage marked as failed, and the sweep stops sending it.

Matching: customers whose phone's keyed hash equals the feedback's; several → narrowed by
the name's keyed hash; exactly one → matched, otherwise triage. A matched customer always
ends linked to a case (``matched`` requires one): the case the cause of a shown-but-unusable
line suggests (the same one nightly detection opens, so they meet), the kind's category for
a failed payment or activation, and a ``complaint`` case otherwise, so every customer who
took the trouble to write gets an officer's answer and a status that moves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.changes import record_change
from cases import policy
from cases.models import CaseCategory, CaseSource, Priority
from cases.services.opening import case_open_or_attach
from intake.inbox import Inbox
from intake.models import Feedback, FeedbackKind, FeedbackStatus
from portal.permissions import SystemActor
from scoring.models import CreditLine, CreditLineState, Customer
from scoring.selectors import credit_line_active_reason_codes, credit_lines_shown_but_unusable

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

FEEDBACK_ACTOR = SystemActor("feedback")

# Feedback stays "received" this long before the sweeper re-sends its message.
SWEEP_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500
# Processing runs claimed (each counted in ``attempts``, the task's own retries included)
# before automatic processing gives up and hands the feedback to an officer in triage.
MAX_ATTEMPTS = 5
# What ``error`` says then (a code, like the exception class names stored otherwise).
GAVE_UP_ERROR = "gave_up_after_max_attempts"

FEEDBACK_INBOX: Inbox[Feedback] = Inbox(
    model=Feedback,
    task="intake.tasks.feedback_process",
    received=FeedbackStatus.RECEIVED,
    label="feedback",
    max_attempts=MAX_ATTEMPTS,
    resend_after=SWEEP_AFTER,
    batch_size=SWEEP_BATCH,
)

_KIND_CATEGORY: dict[str, str] = {
    FeedbackKind.PAYMENT_FAILED: CaseCategory.PAYMENT_FAILED,
    FeedbackKind.CANNOT_ACTIVATE: CaseCategory.ACTIVATION_FAILED,
}


@dataclass(frozen=True)
class _CasePlan:
    category: str
    credit_line_id: int | None
    reason_code: str
    priority: int | None


def _case_plan(*, kind: str, customer_id: int) -> _CasePlan:
    """Which case a matched customer's feedback belongs to (see the module docstring)."""
    unusable = (
        credit_lines_shown_but_unusable()
        .filter(customer_id=customer_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if unusable is not None:
        codes = credit_line_active_reason_codes(credit_line_id=unusable)
        reason, detected, priority = policy.detected_case(codes)
        category = _KIND_CATEGORY.get(kind, detected)
        if category == detected:
            return _CasePlan(category, unusable, reason, int(priority))
        return _CasePlan(category, unusable, "", None)
    if kind in _KIND_CATEGORY:
        lines = (
            CreditLine.objects.filter(customer_id=customer_id)
            .exclude(state=CreditLineState.CLOSED)
            .order_by("pk")
        )
        line = None
        if kind == FeedbackKind.CANNOT_ACTIVATE:
            # A line not yet activated is the one the customer means.
            line = (
                lines.filter(state=CreditLineState.NOT_ACTIVATED)
                .values_list("pk", flat=True)
                .first()
            )
        if line is None:
            line = lines.values_list("pk", flat=True).first()
        return _CasePlan(_KIND_CATEGORY[kind], line, "", None)
    return _CasePlan(CaseCategory.COMPLAINT, None, "", int(Priority.P3))


def _match_customer(feedback: Feedback) -> int | None:
    """The one customer with the feedback's phone (narrowed by name when several)."""
    if not feedback.phone_hash:
        return None
    candidates = list(
        Customer.objects.filter(phone_hash=feedback.phone_hash)
        .order_by("pk")
        .values_list("pk", "name_hash")[:20]
    )
    if len(candidates) > 1:
        candidates = [c for c in candidates if feedback.name_hash and c[1] == feedback.name_hash]
    return candidates[0][0] if len(candidates) == 1 else None


def link_to_case(
    *, feedback: Feedback, customer_id: int, actor: User | SystemActor, action: str
) -> Feedback:
    plan = _case_plan(kind=feedback.kind, customer_id=customer_id)
    case, created = case_open_or_attach(
        actor=actor,
        customer_id=customer_id,
        category=plan.category,
        source=CaseSource.FEEDBACK,
        credit_line_id=plan.credit_line_id,
        reason_code=plan.reason_code,
        priority=plan.priority,
        event={"feedback": feedback.pk, "kind": feedback.kind},
    )
    feedback.status = FeedbackStatus.MATCHED
    feedback.customer_id = customer_id
    feedback.case = case
    feedback.processed_at = timezone.now()
    return record_change(
        feedback,
        actor=actor,
        action=action,
        update_fields=["status", "customer", "case", "processed_at"],
        data={
            "customer": customer_id,
            "case": case.pk,
            "case_opened": created,
            "category": plan.category,
        },
    )


def feedback_process(*, feedback_id: int) -> str:
    """Match and link one received feedback, or send it to triage. Returns its status
    afterwards (``"skipped"`` when it was no longer ``received``: a repeated message).

    Every run is counted in ``attempts`` (committed before the work, so a run that crashes
    still counts); a run past ``MAX_ATTEMPTS`` does no work and hands the feedback to an
    officer in triage, marked as failed (``GAVE_UP_ERROR``)."""
    return FEEDBACK_INBOX.process(
        feedback_id, work=_match_or_triage, give_up=_give_up, skipped=lambda: "skipped"
    )


def _match_or_triage(feedback: Feedback) -> str:
    customer_id = _match_customer(feedback)
    if customer_id is not None:
        link_to_case(
            feedback=feedback,
            customer_id=customer_id,
            actor=FEEDBACK_ACTOR,
            action=AuditAction.FEEDBACK_MATCHED,
        )
        return str(feedback.status)
    feedback.status = FeedbackStatus.TRIAGE
    feedback.processed_at = timezone.now()
    record_change(
        feedback,
        actor=FEEDBACK_ACTOR,
        action=AuditAction.FEEDBACK_TRIAGE,
        update_fields=["status", "processed_at"],
        data={"kind": feedback.kind},
    )
    return str(feedback.status)


def _give_up(feedback: Feedback) -> str:
    _to_triage_failed(feedback, error=GAVE_UP_ERROR)
    return str(feedback.status)


def _to_triage_failed(feedback: Feedback, *, error: str) -> None:
    """Automatic processing failed for good: the (locked, ``received``) feedback waits in
    triage with ``error`` set, which the triage page shows, for an officer to identify the
    customer. Audited and logged with ids, counts and the error code only."""
    feedback.status = FeedbackStatus.TRIAGE
    feedback.error = error[:300]
    feedback.processed_at = timezone.now()
    record_change(
        feedback,
        actor=FEEDBACK_ACTOR,
        action=AuditAction.FEEDBACK_PROCESSING_FAILED,
        detail=error,
        update_fields=["status", "error", "processed_at"],
        data={"error": error[:100], "attempts": feedback.attempts},
    )
    logger.warning(
        "feedback %s: automatic processing failed after %d attempts (%s); sent to triage",
        feedback.pk,
        feedback.attempts,
        error[:100],
    )


def feedback_process_failed(*, feedback_id: int, error: str) -> bool:
    """A processing error that retrying will not fix (``error`` is an exception class name
    or ``GAVE_UP_ERROR``, never an exception's text): the feedback goes to triage, where
    an officer sees it. ``False`` when it was no longer ``received``."""
    with transaction.atomic():
        feedback = FEEDBACK_INBOX.lock_received(feedback_id)
        if feedback is None:
            return False
        _to_triage_failed(feedback, error=error)
    return True


def feedback_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> list[int]:
    """Re-send the processing message of feedback still ``received`` after ``SWEEP_AFTER``
    (its message was lost, or the broker was down when it was stored); returns the ids
    sent. Stops at the first broker error: the next sweep tries again. Processing is
    idempotent, so a message that was only slow costs one skipped run.

    Feedback that used all ``MAX_ATTEMPTS`` and is still ``received`` (its runs crashed) is
    not sent again: it goes to triage, marked as failed, without a message."""
    return FEEDBACK_INBOX.sweep(
        now=now,
        batch_size=batch_size,
        give_up=lambda feedback_id: feedback_process_failed(
            feedback_id=feedback_id, error=GAVE_UP_ERROR
        ),
    )
