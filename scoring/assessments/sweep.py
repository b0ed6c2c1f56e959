"""The sweeper: finds jobs whose messages or workers were lost and puts them back on track.

``assessments_sweep`` (a beat task, every minute) re-sends rows left ``queued`` and puts
rows left ``running`` past the hard time limit back to ``queued`` (a worker died), up to
``MAX_ATTEMPTS``; then it fails them with a clear error. It also re-plans bulk jobs that
stopped moving. The system acts as ``SystemActor("assessments_sweep")``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import change_reason, save_with_history
from portal.permissions import SystemActor
from scoring.assessments.bulk import enqueue_plan
from scoring.assessments.services import RUN_TIME_LIMIT, enqueue_run
from scoring.models import (
    Assessment,
    AssessmentStatus,
    BulkJob,
    BulkJobStatus,
)

logger = logging.getLogger(__name__)

SWEEP_ACTOR = SystemActor("assessments_sweep")

# A queued row older than this is re-sent (its message may be lost).
QUEUED_RESEND_AFTER = timedelta(minutes=2)
# A running row older than this lost its worker (hard limit plus a margin).
RUNNING_LOST_AFTER = timedelta(seconds=RUN_TIME_LIMIT + 120)
# A running bulk job whose counters did not move for this long is re-planned.
BULK_STALLED_AFTER = timedelta(minutes=10)
# Claims per assessment before the sweeper gives up and fails it.
MAX_ATTEMPTS = 3
# Rows the sweeper handles per run (the next run takes the rest).
SWEEP_BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    resent: list[int]
    requeued: list[int]
    failed: list[int]
    bulk_replanned: list[int]


@transaction.atomic
def assessments_sweep(*, now: datetime | None = None) -> SweepReport:
    """Find jobs whose messages or workers were lost and put them back on track.

    - ``queued`` longer than ``QUEUED_RESEND_AFTER``: re-sent (``queued_at`` restarts);
      a duplicate message is harmless (the claim is conditional).
    - ``running`` longer than ``RUNNING_LOST_AFTER`` (the hard time limit plus a margin: the
      worker died): back to ``queued`` and re-sent, or ``failed`` ("worker lost") once it
      has been claimed ``MAX_ATTEMPTS`` times.
    - bulk jobs ``running`` whose counters have not moved for ``BULK_STALLED_AFTER``:
      re-planned (the chunks not written are enqueued again).

    Rows locked by someone else are skipped (``SKIP LOCKED``); at most ``SWEEP_BATCH`` of
    each kind per run. Each change has its history row and audit entry, by the system.
    """
    now = now or timezone.now()
    resent: list[int] = []
    requeued: list[int] = []
    failed: list[int] = []

    stale_queued = list(
        Assessment.objects.select_for_update(skip_locked=True)
        .filter(status=AssessmentStatus.QUEUED, queued_at__lt=now - QUEUED_RESEND_AFTER)
        .order_by("queued_at")[:SWEEP_BATCH]
    )
    for assessment in stale_queued:
        if assessment.attempts >= MAX_ATTEMPTS:
            # Claimed and put back (transient errors) too often: stop trying.
            _sweep_fail(assessment, now=now)
            failed.append(assessment.pk)
            continue
        assessment.queued_at = now
        save_with_history(
            assessment,
            actor=SWEEP_ACTOR,
            reason=change_reason(AuditAction.ASSESSMENT_RESENT, SWEEP_ACTOR),
            fields=["queued_at"],
        )
        resent.append(assessment.pk)

    lost = list(
        Assessment.objects.select_for_update(skip_locked=True)
        .filter(status=AssessmentStatus.RUNNING, started_at__lt=now - RUNNING_LOST_AFTER)
        .order_by("started_at")[:SWEEP_BATCH]
    )
    for assessment in lost:
        if assessment.attempts >= MAX_ATTEMPTS:
            _sweep_fail(assessment, now=now)
            failed.append(assessment.pk)
            continue
        assessment.status = AssessmentStatus.QUEUED
        assessment.started_at = None
        assessment.queued_at = now
        record_change(
            assessment,
            actor=SWEEP_ACTOR,
            action=AuditAction.ASSESSMENT_REQUEUED,
            detail=f"worker lost in attempt {assessment.attempts}",
            update_fields=["status", "started_at", "queued_at"],
            data={
                "customer": assessment.customer_id,
                "attempt": assessment.attempts,
                "why": "worker_lost",
            },
        )
        requeued.append(assessment.pk)

    for assessment_id in [*resent, *requeued]:
        enqueue_run(assessment_id)

    stalled = list(
        BulkJob.objects.select_for_update(skip_locked=True)
        .filter(status=BulkJobStatus.RUNNING, updated_at__lt=now - BULK_STALLED_AFTER)
        .order_by("pk")[:SWEEP_BATCH]
    )
    for job in stalled:
        job.status = BulkJobStatus.QUEUED
        record_change(
            job,
            actor=SWEEP_ACTOR,
            action=AuditAction.BULK_JOB_REPLANNED,
            detail="no progress",
            update_fields=["status", "updated_at"],
            data={"done": job.done, "total": job.total, "failed": job.failed},
        )
        enqueue_plan(job.pk)

    if resent or requeued or failed or stalled:
        logger.info(
            "sweep: %d re-sent, %d requeued, %d failed, %d bulk jobs re-planned",
            len(resent),
            len(requeued),
            len(failed),
            len(stalled),
        )
    return SweepReport(
        resent=resent,
        requeued=requeued,
        failed=failed,
        bulk_replanned=[job.pk for job in stalled],
    )


def _sweep_fail(assessment: Assessment, *, now: datetime) -> None:
    assessment.status = AssessmentStatus.FAILED
    assessment.finished_at = now
    assessment.error = _(
        "The worker running this assessment was lost or failed %(n)d times; gave up. "
        "Re-run the assessment."
    ) % {"n": assessment.attempts}
    record_change(
        assessment,
        actor=SWEEP_ACTOR,
        action=AuditAction.ASSESSMENT_FAILED,
        detail="worker lost",
        update_fields=["status", "finished_at", "error"],
        data={
            "customer": assessment.customer_id,
            "trigger": assessment.trigger,
            "attempt": assessment.attempts,
            "error": "worker_lost",
        },
    )
