"""Celery entry points for assessments: take ids, call one service
(``scoring.assessments.services``).

Every task is idempotent by a state guard in its service (a second delivery finds nothing
to claim), runs with ``acks_late`` (a message is acknowledged only after the work, so a
worker that dies mid-task leaves it to be delivered again, and the sweeper re-sends what
the broker keeps back), and retries with exponential backoff only for transient errors:
a lost database or broker connection. Anything else is the assessment's own failure,
recorded on its row by the service, or a bug, which fails loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import kombu.exceptions
import redis.exceptions
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from scoring.assessments import services as jobs

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    kombu.exceptions.OperationalError,
)
MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 2
BACKOFF_MAX_SECONDS = 120


def backoff_seconds(retries: int) -> int:
    """2, 4, 8, 16, 32 … seconds, at most ``BACKOFF_MAX_SECONDS``."""
    return int(min(BACKOFF_BASE_SECONDS * 2**retries, BACKOFF_MAX_SECONDS))


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=jobs.RUN_SOFT_TIME_LIMIT,
    time_limit=jobs.RUN_TIME_LIMIT,
)
def assessment_run(self: Task, assessment_id: int) -> bool:
    """Run one queued assessment (``jobs.assessment_execute``)."""
    try:
        return jobs.assessment_execute(assessment_id=assessment_id)
    except SoftTimeLimitExceeded:
        jobs.assessment_fail_running(
            assessment_id=assessment_id,
            error=_("The assessment took longer than %(s)d seconds and was stopped; re-run it.")
            % {"s": jobs.RUN_SOFT_TIME_LIMIT},
        )
        return True
    except TRANSIENT_ERRORS as exc:
        # Put the row back to queued so the retried message can claim it. If even that
        # fails (the database is down), the sweeper resets it once it is overdue.
        try:
            jobs.assessment_requeue(assessment_id=assessment_id, reason=type(exc).__name__)
        except TRANSIENT_ERRORS:
            logger.warning("assessment %s: could not requeue after %s", assessment_id, exc)
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def assessments_sweep(self: Task) -> dict[str, int]:
    """Re-send lost assessment messages, reset assessments whose worker died, re-plan
    stalled bulk jobs (``jobs.assessments_sweep``). Scheduled by beat every minute."""
    try:
        report = jobs.assessments_sweep()
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
    return {
        "resent": len(report.resent),
        "requeued": len(report.requeued),
        "failed": len(report.failed),
        "bulk_replanned": len(report.bulk_replanned),
    }


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def bulk_job_plan(self: Task, job_id: int) -> int:
    """Plan a queued bulk job into chunks (``jobs.bulk_job_plan``)."""
    try:
        return jobs.bulk_job_plan(job_id=job_id)
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=jobs.CHUNK_SOFT_TIME_LIMIT,
    time_limit=jobs.CHUNK_TIME_LIMIT,
)
def bulk_chunk_run(self: Task, job_id: int, customer_ids: Sequence[int]) -> int:
    """Score and record one chunk of a bulk job (``jobs.bulk_job_run_chunk``). The chunk
    writes in one transaction, so a retry after a transient error starts clean, and a
    chunk already recorded writes nothing again."""
    try:
        return jobs.bulk_job_run_chunk(job_id=job_id, customer_ids=customer_ids).written
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
