"""Celery entry points for cases: scheduled by beat, each calls one service.

Both are idempotent (each case is released or marked once, guarded by its state under a
row lock) and retry with backoff only for a lost database or broker connection.
"""

from __future__ import annotations

from celery import Task, shared_task

from cases import services
from portal.permissions import SystemActor
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
