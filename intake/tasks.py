"""Celery entry points for intake: processing feedback and signals, and the sweep.

Each takes an id and calls one service, which is idempotent (the row must still be
``received``); they retry with backoff only for a lost database or broker connection.
Feedback and signals whose message was lost are re-sent by ``intake_sweep``.
"""

from __future__ import annotations

from celery import Task, shared_task

from intake.feedback import services as feedback
from intake.upstream import services as signals
from scoring.assessments.services import DOMAIN_ERRORS
from scoring.tasks import TRANSIENT_ERRORS, backoff_seconds

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def signal_process(self: Task, signal_id: int) -> str:
    """Open or attach to the case a signal calls for; returns the signal's status."""
    try:
        signal = signals.signal_process(signal_id=signal_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return signal.status if signal is not None else "missing"


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def feedback_process(self: Task, feedback_id: int) -> str:
    """Match one feedback to a customer and its case, or send it to triage (idempotent).
    Every run, retries included, counts towards ``feedback.MAX_ATTEMPTS``; past it the
    feedback goes to triage marked as failed."""
    try:
        return feedback.feedback_process(feedback_id=feedback_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    except DOMAIN_ERRORS as exc:
        # Retrying will not help: record it (the class name only) and hand it to an officer.
        feedback.feedback_process_failed(feedback_id=feedback_id, error=type(exc).__name__)
        return "failed"


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def intake_sweep(self: Task) -> dict[str, int]:
    """Every minute: re-send feedback and signals stored while Redis or the workers were down,
    and drop idempotency records past their replay window."""
    from intake.idempotency import idempotency_records_purge

    try:
        resent_feedback = feedback.feedback_sweep()
        resent_signals = signals.signals_resend_unprocessed()
        purged = idempotency_records_purge()
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return {
        "feedback": len(resent_feedback),
        "signals": resent_signals,
        "idempotency_purged": purged,
    }
