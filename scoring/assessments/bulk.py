"""Bulk re-assessment: a supervisor's re-scoring of every customer matching a filter.

A ``BulkJob`` goes ``queued → running → finished``, or ``cancelled`` (and ``queued`` again
on resume). The planner lists the customers still to do and enqueues chunks of ids; each
chunk scores in memory (``scoring.assessments.batch``) and writes its assessments, their
history rows, one audit entry and the job's counters in one short transaction that holds
the job row, so chunks of a job commit one at a time, a cancelled job gets no more rows,
and a chunk delivered twice writes nothing the second time. The sweeper re-plans a job
that stopped moving. The system acts as ``SystemActor("bulk_job_plan")`` and
``SystemActor("bulk_chunk_run")``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import change_reason
from audit.log import audit_record
from portal.errors import Conflict
from portal.permissions import SystemActor
from scoring import selectors
from scoring.assessments.batch import insert_with_history, scored_rows
from scoring.assessments.filters import bulk_filters_clean
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    BulkJob,
    BulkJobStatus,
    Scorecard,
    ScorecardStatus,
)
from scoring.permissions import (
    ensure_can_manage_bulk_jobs,
    ensure_can_start_bulk_jobs,
)

logger = logging.getLogger(__name__)

BULK_ACTOR = SystemActor("bulk_chunk_run")
PLAN_ACTOR = SystemActor("bulk_job_plan")

# Task time limits (seconds) of a chunk: the limits only catch a worker stuck on a lock or
# a dead connection.
CHUNK_SOFT_TIME_LIMIT = 120
CHUNK_TIME_LIMIT = 180

# Customers per bulk chunk (one message, one transaction, one audit entry).
BULK_CHUNK_SIZE = 500


def enqueue_plan(job_id: int) -> None:
    from scoring.tasks import bulk_job_plan

    transaction.on_commit(lambda: bulk_job_plan.delay(job_id))


@transaction.atomic
def bulk_job_start(
    *, actor: User, filters: dict[str, Any], scorecard_id: int | None = None
) -> BulkJob:
    """Start re-assessing every customer matching ``filters`` (see
    ``selectors.bulk_job_customers``) with the given active scorecard, or the champion.

    The scorecard is pinned when the job starts, so every chunk scores with the same
    version. ``total`` is counted now (the planner fixes it to what it actually enqueues).
    A filter matching nobody gives a job that is finished at once. Raises
    ``PermissionDenied`` and ``ValidationError`` (``{"field": [messages]}``).
    """
    ensure_can_start_bulk_jobs(actor)
    clean = bulk_filters_clean(filters)
    if scorecard_id is None:
        scorecard = selectors.champion_scorecard()
        if scorecard is None:
            raise ValidationError(
                _("No scorecard is the champion; a supervisor must activate one.")
            )
    else:
        scorecard = Scorecard.objects.filter(pk=scorecard_id, status=ScorecardStatus.ACTIVE).first()
        if scorecard is None:
            raise ValidationError({"scorecard": [_("Choose an active scorecard version.")]})
    total = selectors.bulk_job_customers(clean).count()
    now = timezone.now()
    job = BulkJob(
        requested_by=actor,
        filters=clean,
        scorecard=scorecard,
        total=total,
        status=BulkJobStatus.QUEUED if total else BulkJobStatus.FINISHED,
        created_at=now,
        finished_at=None if total else now,
    )
    record_change(
        job,
        actor=actor,
        action=AuditAction.BULK_JOB_STARTED,
        data={"filters": clean, "scorecard_version": scorecard.version, "total": total},
    )
    if total:
        enqueue_plan(job.pk)
    return job


def bulk_job_plan(*, job_id: int) -> int:
    """``queued → running``: list the customers of the filter not yet assessed in this job,
    fix ``total`` to ``done`` plus that many, and enqueue them in chunks of
    ``BULK_CHUNK_SIZE`` ids after commit. The number of chunks; 0 when the job was not
    queued (a second delivery, or cancelled meanwhile)."""
    from scoring.tasks import bulk_chunk_run

    with transaction.atomic():
        job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != BulkJobStatus.QUEUED:
            return 0
        ids = selectors.bulk_job_remaining_customer_ids(job=job)
        now = timezone.now()
        job.total = job.done + len(ids)
        job.started_at = job.started_at or now
        if ids:
            job.status = BulkJobStatus.RUNNING
        else:
            job.status = BulkJobStatus.FINISHED
            job.finished_at = now
        chunks = [ids[i : i + BULK_CHUNK_SIZE] for i in range(0, len(ids), BULK_CHUNK_SIZE)]
        record_change(
            job,
            actor=PLAN_ACTOR,
            action=AuditAction.BULK_JOB_PLANNED,
            detail=f"{len(ids)} customers",
            update_fields=["total", "started_at", "status", "finished_at", "updated_at"],
            data={"customers": len(ids), "chunks": len(chunks), "total": job.total},
        )

        def send() -> None:
            for chunk in chunks:
                bulk_chunk_run.delay(job_id, chunk)

        transaction.on_commit(send)
    return len(chunks)


@dataclass(frozen=True)
class ChunkReport:
    written: int
    failed: int
    finished: bool


def bulk_job_run_chunk(*, job_id: int, customer_ids: Sequence[int]) -> ChunkReport:
    """Score a chunk of a running bulk job and record it.

    Reads the features of the whole chunk in one query and scores in memory; then, in one
    transaction holding the job row: re-checks that the job is still running (a cancel
    stops here), leaves out customers that already have an assessment in this job (a
    redelivered chunk), bulk-inserts the assessments and their history rows, adds to the
    counters with one ``UPDATE … SET done = done + n`` that also sets ``finished`` when
    ``done`` reaches ``total``, and records one audit entry for the chunk.
    """
    job = BulkJob.objects.filter(pk=job_id).only("id", "status", "scorecard_id").first()
    if job is None or job.status != BulkJobStatus.RUNNING or not customer_ids:
        return ChunkReport(written=0, failed=0, finished=False)
    # Jobs pin their scorecard when they start; an unpinned one scores with the champion.
    scorecard = (
        Scorecard.objects.get(pk=job.scorecard_id)
        if job.scorecard_id is not None
        else selectors.champion_scorecard()
    )
    if scorecard is None:
        raise ValidationError(_("No scorecard is the champion; a supervisor must activate one."))
    rows = scored_rows(
        customer_ids, scorecard=scorecard, trigger=AssessmentTrigger.BULK, bulk_job_id=job_id
    )
    return _bulk_chunk_record(job_id=job_id, rows=rows)


@transaction.atomic
def _bulk_chunk_record(*, job_id: int, rows: list[Assessment]) -> ChunkReport:
    job = (
        BulkJob.objects.select_for_update(of=("self",))
        .select_related("requested_by")
        .get(pk=job_id)
    )
    if job.status != BulkJobStatus.RUNNING:
        return ChunkReport(written=0, failed=0, finished=False)
    already = selectors.bulk_job_assessed_customer_ids(
        job_id=job_id, customer_ids=[r.customer_id for r in rows]
    )
    rows = [r for r in rows if r.customer_id not in already]
    room = job.total - job.done
    if len(rows) > room:
        # Only a chunk from a plan before a cancel and resume can get here, for customers
        # that left the filter meanwhile: the current plan does not count them.
        logger.warning(
            "bulk job %s: %d customers outside the current plan", job_id, len(rows) - room
        )
        rows = rows[:room]
    if not rows:
        return ChunkReport(written=0, failed=0, finished=False)
    now = timezone.now()
    requested_by_label = job.requested_by.get_username()
    for row in rows:
        row.finished_at = now
        row.requested_by_id = job.requested_by_id
        row.requested_by_label = requested_by_label
    insert_with_history(
        rows,
        change_reason=change_reason(AuditAction.ASSESSMENT_BULK, BULK_ACTOR, f"job {job_id}"),
        history_date=now,
    )
    written = len(rows)
    failed = sum(1 for r in rows if r.status == AssessmentStatus.FAILED)
    finishes = When(total=F("done") + written, then=Value(BulkJobStatus.FINISHED))
    BulkJob.objects.filter(pk=job_id).update(
        done=F("done") + written,
        failed=F("failed") + failed,
        status=Case(finishes, default=F("status")),
        finished_at=Case(
            When(total=F("done") + written, then=Value(now)), default=F("finished_at")
        ),
        updated_at=now,
    )
    job.refresh_from_db(fields=["done", "failed", "status", "finished_at", "updated_at"])
    finished = job.status == BulkJobStatus.FINISHED
    audit_record(
        actor=BULK_ACTOR,
        action=AuditAction.BULK_JOB_CHUNK_RECORDED,
        target=job,
        data={
            "assessments": written,
            "succeeded": written - failed,
            "failed": failed,
            "first_customer": rows[0].customer_id,
            "last_customer": rows[-1].customer_id,
            "done": job.done,
            "total": job.total,
        },
    )
    if finished:
        job._history_user = None  # type: ignore[attr-defined]
        job._change_reason = change_reason(AuditAction.BULK_JOB_FINISHED, BULK_ACTOR)  # type: ignore[attr-defined]
        BulkJob.history.bulk_history_create([job], update=True, default_date=now)
        audit_record(
            actor=BULK_ACTOR,
            action=AuditAction.BULK_JOB_FINISHED,
            target=job,
            data={"done": job.done, "failed": job.failed, "total": job.total},
        )
    return ChunkReport(written=written, failed=failed, finished=finished)


@transaction.atomic
def bulk_job_cancel(*, actor: User, job_id: int) -> BulkJob:
    """Stop a queued or running bulk job: chunks not yet recorded write nothing (they check
    the status under the job's row lock). ``Conflict`` when it is finished or cancelled
    already; ``PermissionDenied``; ``BulkJob.DoesNotExist``."""
    ensure_can_manage_bulk_jobs(actor)
    job = BulkJob.objects.select_for_update().get(pk=job_id)
    if job.status not in {BulkJobStatus.QUEUED, BulkJobStatus.RUNNING}:
        raise Conflict(_("Only a queued or running job can be cancelled."), code="not_running")
    job.status = BulkJobStatus.CANCELLED
    job.cancelled_at = timezone.now()
    job.cancelled_by = actor
    return record_change(
        job,
        actor=actor,
        action=AuditAction.BULK_JOB_CANCELLED,
        update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"],
        data={"done": job.done, "failed": job.failed, "total": job.total},
    )


@transaction.atomic
def bulk_job_resume(*, actor: User, job_id: int) -> BulkJob:
    """Resume a cancelled bulk job: it is planned again, over the customers of its filter
    that have no assessment in it yet (``total`` becomes ``done`` plus those). ``Conflict``
    unless it is cancelled; ``PermissionDenied``; ``BulkJob.DoesNotExist``."""
    ensure_can_manage_bulk_jobs(actor)
    job = BulkJob.objects.select_for_update().get(pk=job_id)
    if job.status != BulkJobStatus.CANCELLED:
        raise Conflict(_("Only a cancelled job can be resumed."), code="not_cancelled")
    job.status = BulkJobStatus.QUEUED
    job.cancelled_at = None
    job.cancelled_by = None
    record_change(
        job,
        actor=actor,
        action=AuditAction.BULK_JOB_RESUMED,
        update_fields=["status", "cancelled_at", "cancelled_by", "updated_at"],
        data={"done": job.done, "failed": job.failed, "total": job.total},
    )
    enqueue_plan(job.pk)
    return job
