"""Celery entry points for assessments: take ids, call one service
(``scoring.assessments.services``, ``.sweep`` and ``.bulk``).

Every task is idempotent by a state guard in its service (a second delivery finds nothing
to claim) and uses ``portal.tasks.PortalTask``: acknowledged after the work, redelivered
when its worker dies (the sweeper re-sends what the broker keeps back), and retried with
backoff only for transient errors, a lost database or broker connection. Anything else is
the assessment's own failure, recorded on its row by the service, or a bug, which fails
loudly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from portal.tasks import TRANSIENT_ERRORS, PortalTask
from scoring.assessments import bulk, sweep
from scoring.assessments import services as jobs

logger = logging.getLogger(__name__)


@shared_task(
    base=PortalTask,
    soft_time_limit=jobs.RUN_SOFT_TIME_LIMIT,
    time_limit=jobs.RUN_TIME_LIMIT,
)
def assessment_run(assessment_id: int) -> bool:
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
        # Put the row back to queued before the base retries, so the retried message can
        # claim it. If even that fails (the database is down), the sweeper resets it once
        # it is overdue.
        try:
            jobs.assessment_requeue(assessment_id=assessment_id, reason=type(exc).__name__)
        except TRANSIENT_ERRORS:
            logger.warning("assessment %s: could not requeue after %s", assessment_id, exc)
        raise


@shared_task(base=PortalTask)
def assessments_sweep() -> dict[str, int]:
    """Re-send lost assessment messages, reset assessments whose worker died, re-plan
    stalled bulk jobs (``sweep.assessments_sweep``). Scheduled by beat every minute."""
    report = sweep.assessments_sweep()
    return {
        "resent": len(report.resent),
        "requeued": len(report.requeued),
        "failed": len(report.failed),
        "bulk_replanned": len(report.bulk_replanned),
    }


@shared_task(base=PortalTask)
def bulk_job_plan(job_id: int) -> int:
    """Plan a queued bulk job into chunks (``bulk.bulk_job_plan``)."""
    return bulk.bulk_job_plan(job_id=job_id)


@shared_task(
    base=PortalTask,
    soft_time_limit=bulk.CHUNK_SOFT_TIME_LIMIT,
    time_limit=bulk.CHUNK_TIME_LIMIT,
)
def bulk_chunk_run(job_id: int, customer_ids: Sequence[int]) -> int:
    """Score and record one chunk of a bulk job (``bulk.bulk_job_run_chunk``). The chunk
    writes in one transaction, so a retry after a transient error starts clean, and a
    chunk already recorded writes nothing again."""
    return bulk.bulk_job_run_chunk(job_id=job_id, customer_ids=customer_ids).written
