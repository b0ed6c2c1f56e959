"""The officers' triage of unmatched feedback: link it to a customer's case, or close it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.changes import record_change
from intake.feedback.processing import link_to_case
from intake.models import Feedback, FeedbackStatus, TriageCloseReason
from intake.permissions import ensure_can_triage_feedback
from portal.errors import Conflict
from scoring.models import Customer

if TYPE_CHECKING:
    from accounts.models import User


def _feedback_in_triage(feedback_id: int) -> Feedback:
    feedback = Feedback.objects.select_for_update(of=("self",)).filter(pk=feedback_id).first()
    if feedback is None:
        raise ValidationError(_("This feedback does not exist."), code="not_found")
    if feedback.status != FeedbackStatus.TRIAGE:
        raise Conflict(
            _("This feedback is no longer waiting for triage (someone else handled it)."),
            code="not_in_triage",
        )
    return feedback


@transaction.atomic
def feedback_triage_link(*, actor: User, feedback_id: int, customer_id: int) -> Feedback:
    """An officer identifies the customer of unmatched feedback: it is linked to the case
    its kind and the customer's lines suggest (opened or attached, as processing would)."""
    ensure_can_triage_feedback(actor)
    feedback = _feedback_in_triage(feedback_id)
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": [_("No customer has this customer number.")]})
    return link_to_case(
        feedback=feedback, customer_id=customer_id, actor=actor, action=AuditAction.FEEDBACK_LINKED
    )


@transaction.atomic
def feedback_triage_close(*, actor: User, feedback_id: int, reason: str) -> Feedback:
    """An officer closes unmatched feedback with a reason from ``TriageCloseReason``."""
    ensure_can_triage_feedback(actor)
    if reason not in TriageCloseReason.values:
        raise ValidationError({"reason": [_("Choose a reason for closing from the list.")]})
    feedback = _feedback_in_triage(feedback_id)
    feedback.status = FeedbackStatus.CLOSED
    feedback.close_reason = reason
    feedback.processed_at = feedback.processed_at or timezone.now()
    return record_change(
        feedback,
        actor=actor,
        action=AuditAction.FEEDBACK_CLOSED,
        detail=reason,
        update_fields=["status", "close_reason", "processed_at"],
        data={"reason": reason},
    )
