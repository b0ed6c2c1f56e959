"""Celery entry points for intake: processing feedback and signals, and the sweep.

Each takes an id and calls one service, which is idempotent (the row must still be
``received``); ``portal.tasks.PortalTask`` retries them with backoff only for a lost
database or broker connection. Feedback and signals whose message was lost are re-sent by
``intake_sweep``.
"""

from __future__ import annotations

from celery import shared_task

from intake.feedback import processing as feedback
from intake.upstream import services as signals
from portal.tasks import PortalTask
from scoring.assessments.errors import DOMAIN_ERRORS


@shared_task(base=PortalTask)
def signal_process(signal_id: int) -> str:
    """Open or attach to the case a signal calls for; returns the signal's status."""
    signal = signals.signal_process(signal_id=signal_id)
    return signal.status if signal is not None else "missing"


@shared_task(base=PortalTask)
def feedback_process(feedback_id: int) -> str:
    """Match one feedback to a customer and its case, or send it to triage (idempotent).
    Every run, retries included, counts towards ``feedback.MAX_ATTEMPTS``; past it the
    feedback goes to triage marked as failed."""
    try:
        return feedback.feedback_process(feedback_id=feedback_id)
    except DOMAIN_ERRORS as exc:
        # Retrying will not help: record it (the class name only) and hand it to an officer.
        # (No transient error is one of these, so the base still retries those.)
        feedback.feedback_process_failed(feedback_id=feedback_id, error=type(exc).__name__)
        return "failed"


@shared_task(base=PortalTask)
def intake_sweep() -> dict[str, int]:
    """Every minute: re-send feedback and signals stored while Redis or the workers were down,
    and drop idempotency records past their replay window."""
    from intake.idempotency import idempotency_records_purge

    resent_feedback = feedback.feedback_sweep()
    resent_signals = signals.signals_resend_unprocessed()
    purged = idempotency_records_purge()
    return {
        "feedback": len(resent_feedback),
        "signals": resent_signals,
        "idempotency_purged": purged,
    }
