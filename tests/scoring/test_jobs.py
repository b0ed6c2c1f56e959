"""Single assessments as jobs: request, claim, run, retry, fail, sweep (in-process)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from portal.permissions import SystemActor
from scoring.assessments import services as jobs
from scoring.assessments import sweep
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    Customer,
    CustomerFeatures,
)
from scoring.scorecards import engine, features
from scoring.tasks import assessment_run
from tests.factories.scoring import CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

SIGNALS = SystemActor("signals")


def _features(customer: Customer) -> CustomerFeatures:
    return CustomerFeatures.objects.create(
        customer=customer,
        monthly_income=Decimal("12000"),
        months_on_book=30,
        bureau_accounts=4,
        utilisation=Decimal("0.3"),
        delinquencies_12m=0,
        device_changes_30d=0,
        distance_from_usual_city_km=5,
        identity_consistency=Decimal("0.98"),
        attempts_24h=1,
        kyc_expires_on=timezone.localdate() + timedelta(days=400),
    )


@pytest.fixture
def customer() -> Customer:
    customer = CustomerFactory()
    _features(customer)
    return customer


def _request(actor: Any, customer: Customer, captured: Any, **kwargs: Any) -> Assessment:
    """Request an assessment and commit; the enqueued task is captured, not run."""
    with captured() as callbacks:
        assessment = jobs.assessment_request(
            actor=actor,
            customer_id=customer.pk,
            trigger=kwargs.pop("trigger", AssessmentTrigger.OFFICER),
            **kwargs,
        )
    assert len(callbacks) <= 1
    return assessment


def _audits(action: str, assessment: Assessment) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=action, target_id=str(assessment.pk)).order_by("id")
    )


def _history_statuses(assessment: Assessment) -> list[str]:
    return list(assessment.history.order_by("history_id").values_list("status", flat=True))


def test_an_officer_requests_an_assessment_that_runs_after_commit(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    line = CreditLineFactory(customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        assessment = jobs.assessment_request(
            actor=officer,
            customer_id=customer.pk,
            trigger=AssessmentTrigger.OFFICER,
            credit_line_id=line.pk,
        )

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUCCEEDED
    assert assessment.requested_by == officer
    assert assessment.scorecard.is_champion
    assert sum(c["points"] for c in assessment.contributions) == assessment.score
    assert assessment.features["monthly_income"] == "12000.00"
    assert assessment.attempts == 1
    assert assessment.started_at
    assert assessment.finished_at
    assert _history_statuses(assessment) == ["queued", "running", "succeeded"]
    reasons = list(
        assessment.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons[-1].startswith("assessment.succeeded by system:assessment_run")
    requested = _audits("assessment.requested", assessment)
    assert [e.actor_id for e in requested] == [officer.pk]
    (succeeded,) = _audits("assessment.succeeded", assessment)
    assert succeeded.actor_label == "system:assessment_run"
    assert succeeded.data["score"] == assessment.score
    assert succeeded.data["recommended_limit"] == str(assessment.recommended_limit)
    assert succeeded.data["reason_codes"] == [r["code"] for r in assessment.reason_codes]


def test_a_second_request_while_one_is_queued_returns_the_same_assessment(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    first = _request(officer, customer, django_capture_on_commit_callbacks)
    second = _request(officer, customer, django_capture_on_commit_callbacks)

    assert second.pk == first.pk
    assert Assessment.objects.filter(customer=customer).count() == 1
    assert len(_audits("assessment.requested", first)) == 1


def test_the_system_may_request_an_assessment(
    customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = _request(SIGNALS, customer, django_capture_on_commit_callbacks, trigger="signal")

    assert assessment.requested_by is None
    assert assessment.requested_by_label == "system:signals"


def test_an_auditor_may_not_request_an_assessment(auditor: User, customer: Customer) -> None:
    with pytest.raises(PermissionDenied):
        jobs.assessment_request(actor=auditor, customer_id=customer.pk, trigger="officer")
    assert not Assessment.objects.exists()


def test_an_assessment_refuses_to_run_for_a_customer_who_withdrew_consent(
    officer: User, customer: Customer
) -> None:
    Customer.objects.filter(pk=customer.pk).update(consent_withdrawn_at=timezone.now())

    with pytest.raises(ValidationError) as caught:
        jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="officer")

    assert "consent" in caught.value.messages[0]
    assert not Assessment.objects.exists()


def test_bulk_is_not_a_trigger_for_a_single_assessment(officer: User, customer: Customer) -> None:
    with pytest.raises(ValidationError) as caught:
        jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="bulk")
    assert "trigger" in caught.value.message_dict


def test_a_credit_line_of_another_customer_is_refused(officer: User, customer: Customer) -> None:
    other_line = CreditLineFactory()
    with pytest.raises(ValidationError) as caught:
        jobs.assessment_request(
            actor=officer, customer_id=customer.pk, trigger="officer", credit_line_id=other_line.pk
        )
    assert "credit_line" in caught.value.message_dict


def test_a_duplicate_delivery_runs_the_assessment_once(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)

    first = assessment_run.apply(args=[assessment.pk]).get()
    second = assessment_run.apply(args=[assessment.pk]).get()

    assert (first, second) == (True, False)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUCCEEDED
    assert assessment.attempts == 1
    assert _history_statuses(assessment).count("succeeded") == 1
    assert len(_audits("assessment.succeeded", assessment)) == 1


def test_a_transient_database_error_is_retried_and_the_retry_claims_the_row_again(
    officer: User,
    customer: Customer,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)
    real_score = engine.score
    calls = {"n": 0}

    def flaky_score(*args: Any, **kwargs: Any) -> engine.ScoreResult:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_score(*args, **kwargs)

    monkeypatch.setattr(engine, "score", flaky_score)

    assessment_run.apply(args=[assessment.pk])

    assessment.refresh_from_db()
    assert calls["n"] == 2
    assert assessment.status == AssessmentStatus.SUCCEEDED
    assert assessment.attempts == 2
    assert _history_statuses(assessment) == ["queued", "running", "queued", "running", "succeeded"]
    assert not _audits("assessment.failed", assessment)


def test_a_domain_error_fails_the_assessment_with_its_message_and_it_can_be_rerun(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)
    # The customer withdraws consent while the assessment waits in the queue.
    Customer.objects.filter(pk=customer.pk).update(consent_withdrawn_at=timezone.now())

    assessment_run.apply(args=[assessment.pk])

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FAILED
    assert "consent" in assessment.error
    assert assessment.score is None
    (failed,) = _audits("assessment.failed", assessment)
    assert failed.data["error"] == assessment.error

    Customer.objects.filter(pk=customer.pk).update(consent_withdrawn_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        rerun = jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="officer")

    assert rerun.pk != assessment.pk
    rerun.refresh_from_db()
    assert rerun.status == AssessmentStatus.SUCCEEDED


def test_a_malformed_scorecard_fails_with_a_message_that_names_no_values(
    officer: User,
    customer: Customer,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)

    def broken(_scorecard: Any) -> Any:
        raise KeyError("bins")

    monkeypatch.setattr(engine, "compile_scorecard", broken)
    assessment_run.apply(args=[assessment.pk])

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FAILED
    assert "KeyError" in assessment.error


def test_a_soft_time_limit_fails_the_assessment_with_a_clear_error(
    officer: User,
    customer: Customer,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    assessment = _request(officer, customer, django_capture_on_commit_callbacks)

    def too_slow(*args: Any, **kwargs: Any) -> Any:
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(engine, "score", too_slow)
    assessment_run.apply(args=[assessment.pk])

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FAILED
    assert "longer than" in assessment.error


# --- the sweeper ------------------------------------------------------------------------------


def test_the_sweeper_resends_assessments_left_queued(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)
    later = timezone.now() + sweep.QUEUED_RESEND_AFTER + timedelta(seconds=1)

    with django_capture_on_commit_callbacks(execute=True):
        report = sweep.assessments_sweep(now=later)

    assert report.resent == [assessment.pk]
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUCCEEDED  # the re-sent message ran it


def test_the_sweeper_leaves_fresh_assessments_alone(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    _request(officer, customer, django_capture_on_commit_callbacks)

    report = sweep.assessments_sweep()

    assert report == sweep.SweepReport(resent=[], requeued=[], failed=[], bulk_replanned=[])


def test_the_sweeper_requeues_an_assessment_whose_worker_was_lost_then_gives_up(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)
    for attempt in range(1, sweep.MAX_ATTEMPTS + 1):
        claimed = jobs._assessment_claim(assessment.pk)  # a worker claims, then dies
        assert claimed is not None
        assert claimed.attempts == attempt
        later = timezone.now() + sweep.RUNNING_LOST_AFTER + timedelta(seconds=1)
        with django_capture_on_commit_callbacks() as sent:
            report = sweep.assessments_sweep(now=later)
        assessment.refresh_from_db()
        if attempt < sweep.MAX_ATTEMPTS:
            assert report.requeued == [assessment.pk]
            assert len(sent) == 1
            assert assessment.status == AssessmentStatus.QUEUED
        else:
            assert report.failed == [assessment.pk]
            assert assessment.status == AssessmentStatus.FAILED
            assert "worker running this assessment was lost" in assessment.error

    assert len(_audits("assessment.requeued", assessment)) == sweep.MAX_ATTEMPTS - 1
    (failed,) = _audits("assessment.failed", assessment)
    assert failed.actor_label == "system:assessments_sweep"


def test_a_worker_the_sweeper_gave_up_on_cannot_overwrite_the_next_attempt(
    officer: User, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = _request(officer, customer, django_capture_on_commit_callbacks)
    first = jobs._assessment_claim(assessment.pk)
    assert first is not None
    assert first.attempts == 1
    with django_capture_on_commit_callbacks():
        sweep.assessments_sweep(now=timezone.now() + sweep.RUNNING_LOST_AFTER * 2)
    second = jobs._assessment_claim(assessment.pk)
    assert second is not None
    assert second.attempts == 2

    compiled = engine.compile_scorecard(assessment.scorecard)
    snapshot = features.features_snapshot(customer.features, customer, today=timezone.localdate())
    stale = jobs._assessment_record_success(
        assessment_id=assessment.pk,
        attempt=1,
        scorecard_version=assessment.scorecard.version,
        result=engine.score(compiled, snapshot),
        snapshot=snapshot,
        duration_ms=1,
    )

    assert stale is False
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.RUNNING
    assert assessment.attempts == 2
