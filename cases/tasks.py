"""Celery entry points for cases: scheduled by beat, each calls one service.

Both are idempotent (each case is released or marked once, guarded by its state under a
row lock) and retry with backoff only for a lost database or broker connection.
"""

from __future__ import annotations

from celery import Task, shared_task

from cases import intake, services
from compliance.audit import SystemActor
from scoring.jobs import DOMAIN_ERRORS
from scoring.tasks import TRANSIENT_ERRORS, backoff_seconds

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def cases_release_stale(self: Task) -> int:
    """Return claimed cases left untouched too long to the queue."""
    try:
        return len(services.cases_release_stale())
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def cases_sla_sweep(self: Task) -> dict[str, int]:
    """Mark cases due soon and breached; escalate the breached ones."""
    try:
        report = services.cases_sla_sweep()
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return {"due_soon": len(report.due_soon), "breached": len(report.breached)}


DETECTION_ACTOR = SystemActor("cases_detect_unusable")


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def cases_detect_unusable(self: Task) -> dict[str, int]:
    """Nightly: open cases for shown-but-unusable lines that have none."""
    try:
        report = services.cases_detect_unusable(actor=DETECTION_ACTOR)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return {"scanned": report.scanned, "opened": report.opened, "attached": report.attached}


from cases import signal_tasks  # noqa: E402, F401  (registers the signal tasks with workers)

# --- intake: customer feedback and the sweep of unsent messages ---------------------------------


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def feedback_process(self: Task, feedback_id: int) -> str:
    """Match one feedback to a customer and its case, or send it to triage (idempotent).
    Every run, retries included, counts towards ``intake.MAX_ATTEMPTS``; past it the
    feedback goes to triage marked as failed."""
    try:
        return intake.feedback_process(feedback_id=feedback_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    except DOMAIN_ERRORS as exc:
        # Retrying will not help: record it (the class name only) and hand it to an officer.
        intake.feedback_process_failed(feedback_id=feedback_id, error=type(exc).__name__)
        return "failed"


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def intake_sweep(self: Task) -> dict[str, int]:
    """Every minute: re-send feedback and signals stored while Redis or the workers were down,
    and drop idempotency records past their replay window."""
    from cases.idempotency import idempotency_records_purge
    from cases.signals import signals_resend_unprocessed

    try:
        feedback = intake.feedback_sweep()
        signals = signals_resend_unprocessed()
        purged = idempotency_records_purge()
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return {"feedback": len(feedback), "signals": signals, "idempotency_purged": purged}
