"""Bulk re-assessment: filters, chunks, counters, cancel and resume (in-process), and pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from portal.errors import Conflict
from scoring import tasks
from scoring.assessments import bulk, sweep
from scoring.assessments.filters import bulk_filters_clean
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    BlockSource,
    BulkJob,
    BulkJobStatus,
    CreditLine,
    CreditLineState,
    Customer,
    CustomerFeatures,
    Product,
    ReasonCode,
    Scorecard,
)
from tests.backends import takes_branch
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def seed_customers(count: int, *, city: str = "上海", prefix: str = "BULK") -> list[int]:
    """``count`` consenting customers with a credit line and features, in a few queries.

    Personal fields stay empty (nothing to encrypt): bulk re-assessment never reads them.
    """
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"{prefix}-{i:07d}",
                city=city,
                consent_financial_info=True,
                consent_version="2026.1",
                consent_at=now,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    CreditLine.objects.bulk_create(
        [
            CreditLine(
                customer=c,
                product=Product.PAYLATER,
                state=CreditLineState.ACTIVE,
                granted_limit=Decimal("5000"),
                usable_limit=Decimal("0"),
            )
            for c in customers
        ],
        batch_size=2000,
    )
    kyc = timezone.localdate() + timedelta(days=365)
    CustomerFeatures.objects.bulk_create(
        [
            CustomerFeatures(
                customer=c,
                monthly_income=Decimal(3000 + (i % 40) * 500),
                months_on_book=i % 60,
                bureau_accounts=i % 7,
                utilisation=Decimal(i % 100) / 100,
                delinquencies_12m=i % 3,
                device_changes_30d=i % 4,
                distance_from_usual_city_km=(i * 37) % 900,
                identity_consistency=Decimal("0.95"),
                attempts_24h=i % 5,
                kyc_expires_on=kyc,
            )
            for i, c in enumerate(customers)
        ],
        batch_size=2000,
    )
    return [c.pk for c in customers]


def _run_collected(calls: list[tuple[Any, ...]]) -> None:
    while calls:
        args = calls.pop(0)
        tasks.bulk_chunk_run.apply(args=list(args))


@pytest.fixture
def collected_chunks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Chunk messages are collected instead of sent, so a test runs them when it chooses."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.bulk_chunk_run, "delay", lambda *args: calls.append(args))
    return calls


def _start(actor: User, capture: Any, filters: dict[str, Any] | None = None) -> BulkJob:
    with capture(execute=True):
        return bulk.bulk_job_start(actor=actor, filters=filters or {})


# --- filters ----------------------------------------------------------------------------------


def test_filters_select_customers_by_block_city_product_version_and_staleness(
    supervisor: User,
) -> None:
    device = BlockFactory(reason_code=ReasonCode.DEVICE_ANOMALY, source=BlockSource.RULE)
    officer_block = BlockFactory(reason_code=ReasonCode.DEVICE_ANOMALY, source=BlockSource.OFFICER)
    geo = BlockFactory(reason_code=ReasonCode.GEO_ANOMALY, source=BlockSource.UPSTREAM)
    beijing = CustomerFactory(city="北京")
    cash = CreditLineFactory(product=Product.CASH_LINE).customer
    withdrawn = CustomerFactory(city="北京", consent_withdrawn_at=timezone.now())
    champion = Scorecard.objects.get(is_champion=True)
    assessed_recently = CustomerFactory(city="北京")
    Assessment.objects.create(
        customer=assessed_recently,
        scorecard=champion,
        trigger=AssessmentTrigger.OFFICER,
        status=AssessmentStatus.SUCCEEDED,
        score=600,
        finished_at=timezone.now(),
    )

    def ids(**filters: Any) -> set[int]:
        clean = bulk_filters_clean(filters)
        from scoring.selectors import bulk_job_customers

        return set(bulk_job_customers(clean).values_list("pk", flat=True))

    device_customer = device.credit_line.customer_id
    assert ids(reason_code="DEVICE_ANOMALY") == {
        device_customer,
        officer_block.credit_line.customer_id,
    }
    assert ids(reason_code="DEVICE_ANOMALY", block_source="rule") == {device_customer}
    assert ids(block_source="upstream") == {geo.credit_line.customer_id}
    assert ids(city="北京") == {beijing.pk, assessed_recently.pk}  # not the one without consent
    assert ids(product="cash_line") == {cash.pk}
    assert ids(scorecard_version=champion.version) == {assessed_recently.pk}
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert assessed_recently.pk not in ids(assessed_before=timezone.localdate().isoformat())
    assert assessed_recently.pk not in ids(city="北京", assessed_before=timezone.localdate())
    assert ids(city="北京", assessed_before=tomorrow) == {beijing.pk, assessed_recently.pk}
    assert withdrawn.pk not in ids()


def test_bad_filters_get_clear_messages_per_field() -> None:
    with pytest.raises(ValidationError) as caught:
        bulk_filters_clean(
            {
                "reason_code": "NOT_A_CODE",
                "product": "mortgage",
                "scorecard_version": 999,
                "assessed_before": "23/11/2026",
                "colour": "red",
            }
        )
    errors = caught.value.message_dict
    assert set(errors) == {
        "reason_code",
        "product",
        "scorecard_version",
        "assessed_before",
        "non_field_errors",
    }
    assert "no scorecard with this version" in errors["scorecard_version"][0]
    assert "colour" in errors["non_field_errors"][0]


def test_a_day_at_the_start_of_the_calendar_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        bulk_filters_clean({"assessed_before": "0001-01-01"})
    assert caught.value.message_dict == {
        "assessed_before": ["Give a date between the years 1900 and 2999."]
    }


# --- running ----------------------------------------------------------------------------------


def test_a_bulk_job_scores_every_matching_customer_in_chunks_with_history_and_audit(
    supervisor: User, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_CHUNK_SIZE", 100)
    seed_customers(250)

    job = _start(supervisor, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.status == BulkJobStatus.FINISHED
    assert (job.total, job.done, job.failed) == (250, 250, 0)
    assert job.started_at
    assert job.finished_at
    assessments = Assessment.objects.filter(bulk_job=job)
    assert assessments.count() == 250
    assert set(assessments.values_list("trigger", flat=True)) == {AssessmentTrigger.BULK}
    assert set(assessments.values_list("status", flat=True)) == {AssessmentStatus.SUCCEEDED}
    assert all(sum(c["points"] for c in a.contributions) == a.score for a in assessments[:20])
    history = Assessment.history.filter(bulk_job_id=job.pk)
    assert history.count() == 250
    assert set(history.values_list("history_change_reason", flat=True)) == {
        f"assessment.bulk by system:bulk_chunk_run: job {job.pk}"
    }
    chunks = AuditEntry.objects.filter(action="bulk_job.chunk_recorded", target_id=str(job.pk))
    assert sorted(e.data["assessments"] for e in chunks) == [50, 100, 100]
    assert AuditEntry.objects.filter(action="bulk_job.finished", target_id=str(job.pk)).count() == 1
    assert list(job.history.order_by("history_id").values_list("status", flat=True)) == [
        "queued",
        "running",
        "finished",
    ]


# PostgreSQL only: the bound is the COPY path's; SQLite's bulk_create splits the rows into
# INSERTs of at most 999 parameters, so there the count grows with the chunk (the next test
# covers that path's rows).
@pytest.mark.postgres_only
def test_a_chunk_reads_features_and_writes_in_a_bounded_number_of_queries(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    seed_customers(500)
    _start(supervisor, django_capture_on_commit_callbacks)
    ((job_id, ids),) = collected_chunks

    # The same for any chunk size: 3 reads, 2 inserts, the counters, 2 audit entries
    # (chunk and finish) and the job's history row, plus savepoints.
    with django_assert_max_num_queries(22):
        report = bulk.bulk_job_run_chunk(job_id=job_id, customer_ids=ids)

    assert report.written == 500
    assert report.finished


def test_a_chunk_writes_its_assessments_and_history_rows_through_its_databases_path(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer_ids = seed_customers(120)
    _start(supervisor, django_capture_on_commit_callbacks)
    ((job_id, ids),) = collected_chunks
    Customer.objects.filter(pk=customer_ids[5]).update(consent_withdrawn_at=timezone.now())

    # PostgreSQL: ids from the sequence, rows by COPY; elsewhere (SQLite, `make run`):
    # bulk_create and bulk_history_create.
    table = Assessment._meta.db_table
    with takes_branch(postgresql="pg_get_serial_sequence", portable=f'INSERT INTO "{table}" ('):
        report = bulk.bulk_job_run_chunk(job_id=job_id, customer_ids=ids)

    assert (report.written, report.failed, report.finished) == (120, 1, True)
    live = {a.pk: a for a in Assessment.objects.filter(bulk_job_id=job_id)}
    assert sorted(a.customer_id for a in live.values()) == sorted(customer_ids)
    (failed,) = [a for a in live.values() if a.status == AssessmentStatus.FAILED]
    assert failed.customer_id == customer_ids[5]
    assert "consent" in failed.error
    for assessment in live.values():
        if assessment.status == AssessmentStatus.SUCCEEDED:
            assert sum(c["points"] for c in assessment.contributions) == assessment.score
            assert assessment.features["consent_active"] is True
    history = list(Assessment.history.filter(bulk_job_id=job_id))
    assert sorted(h.id for h in history) == sorted(live)  # one "+" row per assessment
    reason = f"assessment.bulk by system:bulk_chunk_run: job {job_id}"
    for row in history:
        assessment = live[row.id]
        assert (row.history_type, row.history_user_id, row.history_change_reason) == (
            "+",
            None,
            reason,
        )
        assert row.history_date == assessment.finished_at
        for field in Assessment._meta.concrete_fields:
            assert getattr(row, field.attname) == getattr(assessment, field.attname), field.name
    # The ids the chunk took are spent: the next assessment written gets a new one.
    later = Assessment.objects.create(
        customer_id=customer_ids[0],
        scorecard_id=failed.scorecard_id,
        trigger=AssessmentTrigger.OFFICER,
        queued_at=timezone.now(),
    )
    assert later.pk > max(live)


def test_a_filter_matching_nobody_finishes_at_once(
    supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(supervisor, django_capture_on_commit_callbacks, {"city": "拉萨"})

    assert job.status == BulkJobStatus.FINISHED
    assert job.total == 0


def test_cancel_after_the_first_chunk_stops_the_rest_and_resume_does_only_the_rest(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BULK_CHUNK_SIZE", 100)
    customer_ids = seed_customers(450)
    job = _start(supervisor, django_capture_on_commit_callbacks)
    assert len(collected_chunks) == 5

    tasks.bulk_chunk_run.apply(args=list(collected_chunks.pop(0)))
    cancelled = bulk.bulk_job_cancel(actor=supervisor, job_id=job.pk)
    _run_collected(collected_chunks)  # the remaining messages arrive after the cancel

    job.refresh_from_db()
    assert cancelled.done == 100
    assert (job.status, job.total, job.done, job.failed) == ("cancelled", 450, 100, 0)
    assert Assessment.objects.filter(bulk_job=job).count() == 100
    assert job.cancelled_by == supervisor

    with django_capture_on_commit_callbacks(execute=True):
        bulk.bulk_job_resume(actor=supervisor, job_id=job.pk)
    assert len(collected_chunks) == 4  # 350 customers left, in chunks of 100
    _run_collected(collected_chunks)

    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.failed) == ("finished", 450, 450, 0)
    per_customer = Assessment.objects.filter(bulk_job=job).values_list("customer_id", flat=True)
    assert sorted(per_customer) == sorted(customer_ids)  # each customer exactly once
    actions = AuditEntry.objects.filter(target_id=str(job.pk), target_type="scoring.bulkjob")
    assert {"bulk_job.cancelled", "bulk_job.resumed", "bulk_job.finished"} <= set(
        actions.values_list("action", flat=True)
    )


def test_a_chunk_delivered_twice_writes_nothing_the_second_time(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BULK_CHUNK_SIZE", 100)
    seed_customers(200)
    job = _start(supervisor, django_capture_on_commit_callbacks)
    first = collected_chunks[0]

    assert tasks.bulk_chunk_run.apply(args=list(first)).get() == 100
    assert tasks.bulk_chunk_run.apply(args=list(first)).get() == 0

    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 100)
    assert Assessment.objects.filter(bulk_job=job).count() == 100


def test_a_customer_who_withdrew_consent_after_planning_is_a_listed_failure(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from scoring.selectors import bulk_job_progress

    customer_ids = seed_customers(30)
    job = _start(supervisor, django_capture_on_commit_callbacks)
    Customer.objects.filter(pk=customer_ids[3]).update(consent_withdrawn_at=timezone.now())
    _run_collected(collected_chunks)

    progress = bulk_job_progress(job_id=job.pk)
    assert (progress.job.status, progress.job.done, progress.job.failed) == ("finished", 30, 1)
    assert progress.percent == 100
    (failure,) = progress.failures
    assert failure.customer_id == customer_ids[3]
    assert "consent" in failure.error


def test_the_planner_ignores_a_second_delivery(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    seed_customers(10)
    job = _start(supervisor, django_capture_on_commit_callbacks)

    assert bulk.bulk_job_plan(job_id=job.pk) == 0
    assert len(collected_chunks) == 1


def test_the_sweeper_replans_a_bulk_job_that_stopped_moving(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BULK_CHUNK_SIZE", 10)
    seed_customers(30)
    job = _start(supervisor, django_capture_on_commit_callbacks)
    tasks.bulk_chunk_run.apply(args=list(collected_chunks.pop(0)))
    collected_chunks.clear()  # the other two messages were lost with their worker

    with django_capture_on_commit_callbacks(execute=True):
        report = sweep.assessments_sweep(now=timezone.now() + sweep.BULK_STALLED_AFTER * 2)
    assert report.bulk_replanned == [job.pk]
    assert len(collected_chunks) == 2
    _run_collected(collected_chunks)

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("finished", 30, 30)


def test_only_supervisors_start_cancel_and_resume_bulk_jobs(
    officer: User, auditor: User, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    for person in (officer, auditor):
        with pytest.raises(PermissionDenied):
            bulk.bulk_job_start(actor=person, filters={})
    job = _start(supervisor, django_capture_on_commit_callbacks, {"city": "拉萨"})
    for person in (officer, auditor):
        with pytest.raises(PermissionDenied):
            bulk.bulk_job_cancel(actor=person, job_id=job.pk)
        with pytest.raises(PermissionDenied):
            bulk.bulk_job_resume(actor=person, job_id=job.pk)


def test_a_finished_job_cannot_be_cancelled_and_a_running_one_cannot_be_resumed(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    seed_customers(5)
    running = _start(supervisor, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict):
        bulk.bulk_job_resume(actor=supervisor, job_id=running.pk)
    _run_collected(collected_chunks)
    with pytest.raises(Conflict):
        bulk.bulk_job_cancel(actor=supervisor, job_id=running.pk)


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def supervisor_client(client: Client, supervisor: User) -> Client:
    client.force_login(supervisor)
    return client


def test_a_supervisor_starts_a_bulk_job_from_the_page_and_watches_it(
    supervisor_client: Client,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    seed_customers(12, city="杭州")
    seed_customers(3, city="成都", prefix="OTHER")

    page = supervisor_client.get(reverse("scoring:bulk_jobs"))
    assert page.status_code == 200
    assert b'data-testid="bulk-job-form"' in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(reverse("scoring:bulk_jobs"), {"city": "杭州"})
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:bulk_job_detail", args=[job.pk])
    assert job.filters == {"city": "杭州"}
    assert job.total == 12

    detail = supervisor_client.get(response["Location"])
    assert detail.status_code == 200
    assert reverse("scoring:bulk_job_progress", args=[job.pk]).encode() in detail.content
    partial = supervisor_client.get(reverse("scoring:bulk_job_progress", args=[job.pk]))
    assert partial["X-Poll"] == "continue"

    _run_collected(collected_chunks)
    partial = supervisor_client.get(reverse("scoring:bulk_job_progress", args=[job.pk]))
    assert partial["X-Poll"] == "stop"
    assert b'data-status="finished"' in partial.content


def test_the_bulk_page_shows_filter_errors(supervisor_client: Client) -> None:
    response = supervisor_client.post(reverse("scoring:bulk_jobs"), {"scorecard_version": "42"})

    assert response.status_code == 200
    assert b"There is no scorecard with this version." in response.content
    response = supervisor_client.post(reverse("scoring:bulk_jobs"), {"reason_code": "NOPE"})
    assert b"Select a valid choice." in response.content
    assert not BulkJob.objects.exists()


def test_a_supervisor_cancels_and_resumes_from_the_page(
    supervisor_client: Client,
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    seed_customers(5)
    job = _start(supervisor, django_capture_on_commit_callbacks)

    supervisor_client.post(reverse("scoring:bulk_job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == BulkJobStatus.CANCELLED
    again = supervisor_client.post(reverse("scoring:bulk_job_cancel", args=[job.pk]), follow=True)
    assert b"Only a queued or running job can be cancelled." in again.content

    supervisor_client.post(reverse("scoring:bulk_job_resume", args=[job.pk]))
    job.refresh_from_db()
    assert job.status in {BulkJobStatus.QUEUED, BulkJobStatus.RUNNING}


def test_an_auditor_reads_bulk_jobs_but_cannot_start_or_cancel_them(
    client: Client, auditor: User, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    job = _start(supervisor, django_capture_on_commit_callbacks, {"city": "拉萨"})
    client.force_login(auditor)

    listing = client.get(reverse("scoring:bulk_jobs"))
    assert listing.status_code == 200
    assert b'data-testid="bulk-job-form"' not in listing.content
    assert client.get(reverse("scoring:bulk_job_detail", args=[job.pk])).status_code == 200
    assert client.post(reverse("scoring:bulk_jobs"), {"city": "x"}).status_code == 403
    assert client.post(reverse("scoring:bulk_job_cancel", args=[job.pk])).status_code == 403


def test_an_officer_does_not_see_bulk_jobs(client: Client, officer: User) -> None:
    client.force_login(officer)
    assert client.get(reverse("scoring:bulk_jobs")).status_code == 403
