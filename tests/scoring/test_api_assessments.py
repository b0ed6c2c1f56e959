"""API v1: assessment detail and bulk re-assessment endpoints, by role."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from scoring import tasks
from scoring.assessments import bulk
from scoring.assessments import services as jobs
from scoring.models import Assessment, AssessmentStatus, BulkJob, BulkJobStatus
from tests.factories.scoring import CustomerFactory
from tests.scoring.test_bulk_jobs import seed_customers
from tests.scoring.test_jobs import _features

pytestmark = pytest.mark.django_db


def _client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def assessment(officer: User, django_capture_on_commit_callbacks: Any) -> Assessment:
    customer = CustomerFactory(name="王小明")
    _features(customer)
    with django_capture_on_commit_callbacks(execute=True):
        created = jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="officer")
    created.refresh_from_db()
    return created


@pytest.fixture
def collected_chunks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.bulk_chunk_run, "delay", lambda *args: calls.append(args))
    return calls


def _detail_url(pk: int) -> str:
    return reverse("scoring_api:assessment_detail", args=[pk])


# --- GET /api/v1/assessments/{id}/ ------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "supervisor", "auditor"])
def test_officers_supervisors_and_auditors_read_an_assessment(
    persona: str, request: pytest.FixtureRequest, assessment: Assessment
) -> None:
    user = request.getfixturevalue(persona)

    response = _client(user).get(f"/api/v1/assessments/{assessment.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["customer"] == {"id": assessment.customer_id, "name": "王**"}
    assert body["score"] == assessment.score
    assert sum(c["points"] for c in body["contributions"]) == body["score"]
    assert body["recommended_limit"] == str(assessment.recommended_limit)
    assert body["trigger"] == "officer"
    assert body["scorecard"]["version"] == assessment.scorecard.version
    assert [r["code"] for r in body["reason_codes"]] == [r["code"] for r in assessment.reason_codes]
    assert all("description" in r for r in body["reason_codes"])
    assert body["duration_ms"] is not None
    assert body["error"] == ""
    assert "王小明" not in response.content.decode()


def test_the_assessment_detail_takes_a_bounded_number_of_queries(
    officer: User, assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    client = _client(officer)
    with django_assert_max_num_queries(4):  # token + user, permissions, the assessment
        assert client.get(_detail_url(assessment.pk)).status_code == 200


def test_a_privacy_officer_may_not_read_assessments(
    privacy_officer: User, assessment: Assessment
) -> None:
    response = _client(privacy_officer).get(_detail_url(assessment.pk))

    assert response.status_code == 403
    assert "errors" in response.json()


def test_an_unknown_assessment_is_a_404_and_a_stranger_gets_nothing(
    officer: User, assessment: Assessment
) -> None:
    assert _client(officer).get(_detail_url(assessment.pk + 999)).status_code == 404
    anonymous = APIClient().get(_detail_url(assessment.pk))
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert anonymous.json() == {
        "errors": {"non_field_errors": ["Authentication credentials were not provided."]}
    }


def test_a_queued_assessment_shows_its_status_and_no_score(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks():
        queued = jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="officer")

    body = _client(officer).get(_detail_url(queued.pk)).json()

    assert body["status"] == AssessmentStatus.QUEUED
    assert body["score"] is None
    assert body["contributions"] == []


# --- bulk -------------------------------------------------------------------------------------


def test_a_supervisor_starts_a_bulk_job_and_follows_its_progress(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BULK_CHUNK_SIZE", 10)
    seed_customers(25, city="苏州")
    client = _client(supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/assessments/bulk/", {"city": "苏州"}, format="json")

    assert response.status_code == 202
    job_id = response.json()["job"]
    progress = client.get(f"/api/v1/assessments/bulk/{job_id}/").json()
    assert progress["status"] == "running"
    assert (progress["total"], progress["done"], progress["failed"]) == (25, 0, 0)
    assert progress["percent"] == 0
    assert progress["filters"] == {"city": "苏州"}

    tasks.bulk_chunk_run.apply(args=list(collected_chunks.pop(0)))
    progress = client.get(f"/api/v1/assessments/bulk/{job_id}/").json()
    assert (progress["done"], progress["percent"]) == (10, 40)

    for args in collected_chunks:
        tasks.bulk_chunk_run.apply(args=list(args))
    progress = client.get(f"/api/v1/assessments/bulk/{job_id}/").json()
    assert progress["status"] == "finished"
    assert (progress["done"], progress["percent"], progress["failures"]) == (25, 100, [])
    assert progress["finished_at"] is not None


def test_bulk_job_validation_errors_are_400_with_the_errors_body(supervisor: User) -> None:
    client = _client(supervisor)

    bad_choice = client.post(
        "/api/v1/assessments/bulk/", {"reason_code": "NOPE", "assessed_before": "x"}, format="json"
    )
    assert bad_choice.status_code == 400
    assert set(bad_choice.json()["errors"]) == {"reason_code", "assessed_before"}

    unknown_version = client.post(
        "/api/v1/assessments/bulk/", {"scorecard_version": 77}, format="json"
    )
    assert unknown_version.status_code == 400
    assert unknown_version.json() == {
        "errors": {"scorecard_version": ["There is no scorecard with this version."]}
    }

    draft = client.post("/api/v1/assessments/bulk/", {"scorecard": 987654}, format="json")
    assert draft.status_code == 400
    assert "scorecard" in draft.json()["errors"]
    assert not BulkJob.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "auditor"])
def test_officers_and_auditors_may_not_start_bulk_jobs(
    persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)

    response = _client(user).post("/api/v1/assessments/bulk/", {}, format="json")

    assert response.status_code == 403
    assert "errors" in response.json()
    assert not BulkJob.objects.exists()


def test_an_auditor_reads_bulk_progress_but_cannot_cancel_or_resume(
    auditor: User,
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    seed_customers(3)
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_job_start(actor=supervisor, filters={})
    client = _client(auditor)

    assert client.get(f"/api/v1/assessments/bulk/{job.pk}/").status_code == 200
    assert client.post(f"/api/v1/assessments/bulk/{job.pk}/cancel/").status_code == 403
    assert client.post(f"/api/v1/assessments/bulk/{job.pk}/resume/").status_code == 403
    job.refresh_from_db()
    assert job.status == BulkJobStatus.RUNNING


def test_an_officer_cannot_read_bulk_progress(officer: User, supervisor: User) -> None:
    job = bulk.bulk_job_start(actor=supervisor, filters={"city": "拉萨"})

    assert _client(officer).get(f"/api/v1/assessments/bulk/{job.pk}/").status_code == 403


def test_a_supervisor_cancels_and_resumes_and_a_wrong_state_is_a_409(
    supervisor: User,
    collected_chunks: list[tuple[Any, ...]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    seed_customers(4)
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_job_start(actor=supervisor, filters={})
    client = _client(supervisor)

    cancelled = client.post(f"/api/v1/assessments/bulk/{job.pk}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None

    again = client.post(f"/api/v1/assessments/bulk/{job.pk}/cancel/")
    assert again.status_code == 409
    assert again.json() == {
        "errors": {"non_field_errors": ["Only a queued or running job can be cancelled."]}
    }

    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(f"/api/v1/assessments/bulk/{job.pk}/resume/")
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "queued"  # planned again after commit
    job.refresh_from_db()
    assert job.status == BulkJobStatus.RUNNING
    assert client.post("/api/v1/assessments/bulk/999999/cancel/").status_code == 404


def test_the_schema_documents_the_assessment_endpoints(client: Any, officer: User) -> None:
    client.force_login(officer)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert "/api/v1/assessments/{id}/" in paths
    assert set(paths["/api/v1/assessments/bulk/"]) == {"post"}
    assert "202" in paths["/api/v1/assessments/bulk/"]["post"]["responses"]
    assert "/api/v1/assessments/bulk/{id}/cancel/" in paths
    assert "/api/v1/assessments/bulk/{id}/resume/" in paths
    assessment_schema = schema["components"]["schemas"]["Assessment"]["properties"]
    assert {"contributions", "rule_hits", "reason_codes", "recommended_limit"} <= set(
        assessment_schema
    )
