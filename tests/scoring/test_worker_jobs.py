"""Assessment jobs through Redis and real ``celery worker`` processes.

Each test commits what the worker must see (the ``celery_worker`` fixture implies
transactional tests). Kept few and fast: the rest of the job logic is tested in-process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.append_pg import AUDIT_CHAIN_LOCK_ID
from audit.models import AuditEntry
from portal.celery import app as celery_app
from scoring.assessments import bulk, sweep
from scoring.assessments import services as jobs
from scoring.models import Assessment, AssessmentStatus, BulkJob, BulkJobStatus
from scoring.tasks import assessment_run
from tests.conftest import WorkerProcess
from tests.factories.scoring import CustomerFactory
from tests.scoring.test_bulk_jobs import seed_customers
from tests.scoring.test_jobs import _features

pytestmark = pytest.mark.worker


def wait_until(predicate: Callable[[], bool], *, timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def _status(assessment_id: int) -> str:
    return str(Assessment.objects.values_list("status", flat=True).get(pk=assessment_id))


def _queue_length() -> int:
    with celery_app.connection_for_write() as conn:
        return int(conn.default_channel.client.llen("celery"))


def _idle(worker: WorkerProcess) -> bool:
    """Nothing waits in the queue and the worker runs and holds nothing."""
    if _queue_length():
        return False
    inspector = celery_app.control.inspect(destination=[worker.hostname], timeout=1.0)
    active = inspector.active() or {}
    reserved = inspector.reserved() or {}
    return not any(active.values()) and not any(reserved.values())


def _dsn() -> str:
    db = connection.settings_dict
    return (
        f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def _history_statuses(assessment_id: int) -> list[str]:
    return list(
        Assessment.history.filter(id=assessment_id)
        .order_by("history_id")
        .values_list("status", flat=True)
    )


@pytest.fixture
def no_worker(transactional_db: None, settings: Any) -> Iterator[Callable[..., WorkerProcess]]:
    """Real Redis, no worker yet: the test starts workers (``start()``) when it chooses."""
    broker_url = settings.REDIS_URL
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    started: list[WorkerProcess] = []

    def start(concurrency: int = 2) -> WorkerProcess:
        worker = WorkerProcess(database_url, broker_url, concurrency=concurrency)
        worker.start()
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        celery_app.conf.task_always_eager = True


def test_a_message_delivered_twice_runs_the_assessment_once(
    celery_worker: WorkerProcess, officer: User
) -> None:
    customer = CustomerFactory()
    _features(customer)

    assessment = jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="officer")
    assessment_run.delay(assessment.pk)  # the same message again, as a redelivery would

    wait_until(lambda: _status(assessment.pk) == AssessmentStatus.SUCCEEDED, what="success")
    wait_until(lambda: _idle(celery_worker), what="both deliveries handled")
    assessment.refresh_from_db()
    assert assessment.attempts == 1
    assert _history_statuses(assessment.pk) == ["queued", "running", "succeeded"]
    assert (
        AuditEntry.objects.filter(
            action="assessment.succeeded", target_id=str(assessment.pk)
        ).count()
        == 1
    )


def test_a_worker_killed_mid_job_leaves_nothing_stuck_after_the_sweeper(
    no_worker: Callable[..., WorkerProcess], officer: User
) -> None:
    customer = CustomerFactory()
    _features(customer)
    doomed = no_worker()
    with mock.patch.object(jobs, "enqueue_run"):  # sent by hand below, once the trap is set
        assessment = jobs.assessment_request(
            actor=officer, customer_id=customer.pk, trigger="officer"
        )

    # Hold the audit chain's lock: the worker claims the assessment, scores it, and then
    # blocks writing the result's audit entry, in the middle of its job.
    with psycopg.connect(_dsn()) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK_ID])
        assessment_run.delay(assessment.pk)
        wait_until(lambda: _status(assessment.pk) == AssessmentStatus.RUNNING, what="claim")
        wait_until(
            lambda: bool(
                holder.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                ).fetchone()[0]  # type: ignore[index]
            ),
            what="the worker to wait for the audit lock",
        )
        doomed.kill()
        holder.rollback()

    assert _status(assessment.pk) == AssessmentStatus.RUNNING  # stuck, until the sweeper runs

    # The dead worker's database session lets go of the row once PostgreSQL notices the
    # closed socket; until then the sweeper skips the locked row (SKIP LOCKED) and the next
    # run takes it. Run it until it does, as beat would every minute.
    late = timezone.now() + sweep.RUNNING_LOST_AFTER + timedelta(seconds=1)
    requeued: list[int] = []
    wait_until(
        lambda: bool(requeued.extend(sweep.assessments_sweep(now=late).requeued) or requeued),
        what="the sweeper to requeue the assessment",
    )
    assert requeued == [assessment.pk]
    assert _status(assessment.pk) == AssessmentStatus.QUEUED

    no_worker(concurrency=1)  # a fresh worker picks up the re-sent message
    wait_until(lambda: _status(assessment.pk) == AssessmentStatus.SUCCEEDED, what="the re-run")
    assessment.refresh_from_db()
    assert assessment.attempts == 2
    assert _history_statuses(assessment.pk) == [
        "queued",
        "running",
        "queued",
        "running",
        "succeeded",
    ]
    actions = list(
        AuditEntry.objects.filter(target_id=str(assessment.pk), target_type="scoring.assessment")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["assessment.requested", "assessment.requeued", "assessment.succeeded"]
    assert not Assessment.objects.filter(
        status__in=[AssessmentStatus.QUEUED, AssessmentStatus.RUNNING]
    ).exists()


def test_a_bulk_job_over_5000_customers_finishes_with_correct_counts_and_visible_progress(
    celery_worker: WorkerProcess, supervisor: User
) -> None:
    customer_ids = seed_customers(5000)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=supervisor).key}")

    response = client.post("/api/v1/assessments/bulk/", {}, format="json")
    assert response.status_code == 202
    job_id = response.json()["job"]

    seen: list[int] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(f"/api/v1/assessments/bulk/{job_id}/").json()
        seen.append(progress["done"])
        if progress["status"] == BulkJobStatus.FINISHED:
            break
        time.sleep(0.1)

    assert progress["status"] == "finished", progress
    assert (progress["total"], progress["done"], progress["failed"]) == (5000, 5000, 0)
    assert progress["percent"] == 100
    assert seen == sorted(seen)  # progress only moves forward
    assert set(seen) - {0, 5000}, "no intermediate progress was visible"
    assessments = Assessment.objects.filter(bulk_job_id=job_id)
    assert assessments.count() == 5000
    assert sorted(assessments.values_list("customer_id", flat=True)) == customer_ids
    assert Assessment.history.filter(bulk_job_id=job_id).count() == 5000
    chunks = AuditEntry.objects.filter(action="bulk_job.chunk_recorded", target_id=str(job_id))
    assert sum(e.data["assessments"] for e in chunks) == 5000
    assert chunks.count() == 5000 // bulk.BULK_CHUNK_SIZE


def test_cancel_after_the_first_chunk_stops_the_workers_and_resume_finishes_the_rest(
    no_worker: Callable[..., WorkerProcess], supervisor: User
) -> None:
    customer_ids = seed_customers(5000)
    job = bulk.bulk_job_start(actor=supervisor, filters={})
    # Plan here rather than in a worker, so that the first chunk can be run before any
    # worker exists: its ten chunk messages wait in Redis meanwhile.
    assert bulk.bulk_job_plan(job_id=job.pk) == 10
    first = bulk.bulk_job_run_chunk(
        job_id=job.pk, customer_ids=customer_ids[: bulk.BULK_CHUNK_SIZE]
    )
    assert first.written == bulk.BULK_CHUNK_SIZE
    bulk.bulk_job_cancel(actor=supervisor, job_id=job.pk)

    worker = no_worker()  # now the workers get every message, the first chunk's again too
    wait_until(lambda: _idle(worker), what="the queue to drain")

    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.failed) == ("cancelled", 5000, 500, 0)
    assert Assessment.objects.filter(bulk_job=job).count() == 500

    bulk.bulk_job_resume(actor=supervisor, job_id=job.pk)
    wait_until(
        lambda: BulkJob.objects.get(pk=job.pk).status == BulkJobStatus.FINISHED,
        timeout=120,
        what="the resumed job to finish",
    )
    job.refresh_from_db()
    assert (job.total, job.done, job.failed) == (5000, 5000, 0)
    per_customer = list(
        Assessment.objects.filter(bulk_job=job)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )
    assert per_customer == customer_ids  # every customer once: nothing twice, nothing lost
