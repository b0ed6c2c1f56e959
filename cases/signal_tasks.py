"""Celery entry points for upstream signals (imported by cases.tasks so workers register them).

``signal_process`` takes a signal id and calls ``cases.signals.signal_process``, which is
idempotent (the row must still be ``received``); it retries with backoff only for a lost
database or broker connection. ``received`` signals whose message was lost are re-sent by
the intake sweep (``cases.signals.signals_resend_unprocessed``).
"""

from __future__ import annotations

from celery import Task, shared_task

from cases import signals
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
