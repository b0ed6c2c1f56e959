"""Every action the portal records, in the audit log and in history rows' change reasons.

An entry's ``action`` is a permanent code (``case.claimed``): filters, exports and proofs name
it, so a code is never renamed or reused. ``AuditAction`` lists them all with a name people
read; ``audit_record`` and ``change_reason`` refuse a code that is not listed, so the
auditor's action filter (a list, not free text) offers every action there is.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditAction", "action_families", "action_label", "ensure_action"]


class AuditAction(models.TextChoices):
    # sign-in and refused access
    AUTH_SIGNED_IN = "auth.signed_in", _("Signed in")
    AUTH_SIGNED_OUT = "auth.signed_out", _("Signed out")
    AUTH_SIGN_IN_FAILED = "auth.sign_in_failed", _("Sign-in failed")
    AUTH_LOCKED_OUT = "auth.locked_out", _("Locked out after failed sign-ins")
    AUTH_SIGN_IN_DELAYED = "auth.sign_in_delayed", _("Sign-in refused: waiting after failures")
    AUTH_OTP_ENROLLED = "auth.otp_enrolled", _("Authenticator app set up")
    AUTH_OTP_FAILED = "auth.otp_failed", _("Wrong authenticator code")
    AUTH_OTP_REMOVED = "auth.otp_removed", _("Authenticator app removed")
    AUTH_LOCKOUT_LIFTED = "auth.lockout_lifted", _("Sign-in lockout lifted")
    ACCESS_DENIED = "access.denied", _("Refused: not allowed for this role")
    STAFF_CHANGE_PROPOSED = "staff.change_proposed", _("Staff change proposed")
    STAFF_CHANGE_APPROVED = "staff.change_approved", _("Staff change approved and applied")
    STAFF_CHANGE_REJECTED = "staff.change_rejected", _("Staff change rejected")
    STAFF_CHANGE_REFUSED = "staff.change_refused", _("Staff change refused")
    STAFF_INVITED = "staff.invited", _("Staff account created, waiting for approval")
    # the audit log itself
    AUDIT_CHAIN_VERIFIED = "audit.chain_verified", _("Audit chain verified")
    # customers and their personal data
    CUSTOMER_CREATED = "customer.created", _("Customer created")
    CUSTOMER_SEARCHED = "customer.searched", _("Customers searched")
    CUSTOMER_REVEALED = "customer.revealed", _("Personal data revealed")
    REVEAL_ALLOWANCE_GRANTED = "reveal.allowance_granted", _("Extra reveals granted for today")
    CUSTOMER_CORRECTED = "customer.corrected", _("Personal data corrected")
    CUSTOMER_CONSENT_WITHDRAWN = "customer.consent_withdrawn", _("Consent withdrawn")
    CUSTOMER_ERASED = "customer.erased", _("Personal data erased")
    DEMO_SEEDED = "demo.seeded", _("Demo data loaded")
    # credit lines and blocks
    CREDIT_LINE_OPENED = "credit_line.opened", _("Credit line opened")
    CREDIT_LINE_USABLE_LIMIT_SET = "credit_line.usable_limit_set", _("Usable limit changed")
    CREDIT_LINE_RECOMMENDATION_APPLIED = (
        "credit_line.recommendation_applied",
        _("Recommended limit applied"),
    )
    BLOCK_RAISED = "block.raised", _("Block raised")
    BLOCK_LIFTED = "block.lifted", _("Block lifted")
    # scorecards and assessments
    SCORECARD_CREATED = "scorecard.created", _("Scorecard version created")
    SCORECARD_EDITED = "scorecard.edited", _("Scorecard draft edited")
    SCORECARD_ACTIVATED = "scorecard.activated", _("Scorecard activated as champion")
    SCORECARD_SHADOW_COMPARED = "scorecard.shadow_compared", _("Challenger compared")
    ASSESSMENT_REQUESTED = "assessment.requested", _("Assessment requested")
    ASSESSMENT_SCHEDULED = "assessment.scheduled", _("Assessment scheduled")
    ASSESSMENT_SCHEDULED_BATCH = "assessment.scheduled_batch", _("Assessments scheduled")
    ASSESSMENT_STARTED = "assessment.started", _("Assessment started")
    ASSESSMENT_SUCCEEDED = "assessment.succeeded", _("Assessment finished")
    ASSESSMENT_FAILED = "assessment.failed", _("Assessment failed")
    ASSESSMENT_REQUEUED = "assessment.requeued", _("Assessment queued again")
    ASSESSMENT_RESENT = "assessment.resent", _("Assessment sent again")
    ASSESSMENT_BULK = "assessment.bulk", _("Assessed in a bulk re-assessment")
    BULK_JOB_PLANNED = "bulk_job.planned", _("Bulk re-assessment planned")
    BULK_JOB_REPLANNED = "bulk_job.replanned", _("Bulk re-assessment planned again")
    BULK_JOB_STARTED = "bulk_job.started", _("Bulk re-assessment started")
    BULK_JOB_CHUNK_RECORDED = "bulk_job.chunk_recorded", _("Bulk re-assessment progress")
    BULK_JOB_CANCELLED = "bulk_job.cancelled", _("Bulk re-assessment cancelled")
    BULK_JOB_RESUMED = "bulk_job.resumed", _("Bulk re-assessment resumed")
    BULK_JOB_FINISHED = "bulk_job.finished", _("Bulk re-assessment finished")
    # cases
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_ATTACHED = "case.attached", _("Event added to an open case")
    CASE_CLAIMED = "case.claimed", _("Case claimed")
    CASE_RELEASED = "case.released", _("Case returned to the queue")
    CASE_REASSIGNED = "case.reassigned", _("Case reassigned")
    CASE_TAKEN = "case.taken", _("Case taken by the person deciding on it")
    CASE_REASSESSED = "case.reassessed", _("Re-assessment requested for a case")
    CASE_NOTE_ADDED = "case.note_added", _("Note added")
    CASE_SLA_DUE_SOON = "case.sla_due_soon", _("Case due soon")
    CASE_SLA_BREACHED = "case.sla_breached", _("Case past its due time")
    CASES_DETECTION_RUN = "cases.detection_run", _("Unusable lines detected")
    NOTE_ADDED = "note.added", _("Note written")
    NOTE_RETENTION_REMOVED = "note.retention_removed", _("Note removed under retention")
    DECISION_PROPOSED = "decision.proposed", _("Decision proposed")
    DECISION_APPROVED = "decision.approved", _("Decision approved")
    DECISION_REJECTED = "decision.rejected", _("Decision rejected")
    DECISION_APPLIED = "decision.applied", _("Decision applied")
    # intake
    FEEDBACK_RECEIVED = "feedback.received", _("Feedback received")
    FEEDBACK_MATCHED = "feedback.matched", _("Feedback linked to a case")
    FEEDBACK_TRIAGE = "feedback.triage", _("Feedback sent to triage")
    FEEDBACK_LINKED = "feedback.linked", _("Feedback linked by an officer")
    FEEDBACK_CLOSED = "feedback.closed", _("Feedback closed")
    FEEDBACK_PROCESSING_FAILED = "feedback.processing_failed", _("Feedback processing failed")
    FEEDBACK_ERASED = "feedback.erased", _("Feedback erased")
    FEEDBACK_RETENTION_SCRUBBED = (
        "feedback.retention_scrubbed",
        _("Feedback text removed under retention"),
    )
    SIGNAL_RECEIVED = "signal.received", _("Signal received")
    SIGNAL_ATTACHED = "signal.attached", _("Signal added to a case")
    SIGNAL_IGNORED = "signal.ignored", _("Signal needed no case")
    SIGNAL_FAILED = "signal.failed", _("Signal processing failed")
    CHANNEL_CREATED = "channel.created", _("Channel created")
    CHANNEL_UPDATED = "channel.updated", _("Channel changed")
    CHANNEL_KEY_CREATED = "channel.key_created", _("Channel API key created")
    CHANNEL_KEY_REVOKED = "channel.key_revoked", _("Channel API key revoked")
    # compliance
    EXPORT_STARTED = "export.started", _("Export started")
    EXPORT_COMPLETED = "export.completed", _("Export completed")
    PRIVACY_REQUEST_CREATED = "privacy_request.created", _("Privacy request recorded")
    PRIVACY_REQUEST_FULFILLED = "privacy_request.fulfilled", _("Privacy request fulfilled")
    PRIVACY_REQUEST_REFUSED = "privacy_request.refused", _("Privacy request refused")
    PRIVACY_REQUEST_EXPORT_DOWNLOADED = (
        "privacy_request.export_downloaded",
        _("Data-subject export downloaded"),
    )
    LEGAL_HOLD_PLACED = "legal_hold.placed", _("Legal hold placed")
    LEGAL_HOLD_RELEASED = "legal_hold.released", _("Legal hold released")
    RETENTION_RUN = "retention.run", _("Retention run")
    RETENTION_POLICY_CHANGED = "retention_policy.changed", _("Retention policy changed")


def ensure_action(code: str) -> str:
    """``code`` as written (an ``AuditAction`` value); ``ValueError`` for any other: a code
    the list misses is a programming error, found by the first test that writes it."""
    if code not in _CODES:
        raise ValueError(
            f"Audit action {code!r} is not an AuditAction; add it to audit/actions.py first."
        )
    return str(code)


def action_families() -> list[str]:
    """The first parts of the codes (``case``, ``credit_line``), in the list's order: an
    action filter may name a whole family as ``case.``."""
    return list(dict.fromkeys(code.split(".", 1)[0] for code in AuditAction.values))


def action_label(code: str) -> str:
    """The name people read for an action code; the code itself for one no longer listed."""
    try:
        return str(AuditAction(code).label)
    except ValueError:
        return code


_CODES = frozenset(AuditAction.values)
