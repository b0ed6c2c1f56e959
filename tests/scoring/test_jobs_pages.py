"""Pages around assessment jobs: re-run an assessment and poll its live status."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from scoring.assessments import services as jobs
from scoring.models import Assessment, AssessmentStatus, AssessmentTrigger, Customer
from tests.factories.scoring import CustomerFactory
from tests.scoring.test_jobs import _features

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(officer: User, django_capture_on_commit_callbacks: Any) -> Assessment:
    customer = CustomerFactory()
    _features(customer)
    with django_capture_on_commit_callbacks(execute=True):
        assessment = jobs.assessment_request(
            actor=officer, customer_id=customer.pk, trigger=AssessmentTrigger.SIGNAL
        )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUCCEEDED
    return assessment


def test_an_officer_reruns_an_assessment_and_lands_on_the_new_one(
    client: Client, officer: User, finished: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(officer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scoring:assessment_rerun", args=[finished.pk]))

    rerun = Assessment.objects.exclude(pk=finished.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:assessment_detail", args=[rerun.pk])
    assert rerun.customer_id == finished.customer_id
    assert rerun.trigger == AssessmentTrigger.OFFICER
    assert rerun.requested_by == officer
    rerun.refresh_from_db()
    assert rerun.status == AssessmentStatus.SUCCEEDED


def test_a_rerun_for_a_customer_who_withdrew_consent_shows_why_it_was_refused(
    client: Client, officer: User, finished: Assessment
) -> None:
    Customer.objects.filter(pk=finished.customer_id).update(consent_withdrawn_at=timezone.now())
    client.force_login(officer)

    response = client.post(reverse("scoring:assessment_rerun", args=[finished.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:assessment_detail", args=[finished.pk])
    assert Assessment.objects.count() == 1
    page = client.get(response["Location"])
    assert b"withdrawn" in page.content


def test_an_auditor_cannot_rerun_and_a_get_is_not_allowed(
    client: Client, auditor: User, officer: User, finished: Assessment
) -> None:
    client.force_login(auditor)
    assert client.post(reverse("scoring:assessment_rerun", args=[finished.pk])).status_code == 403
    client.force_login(officer)
    assert client.get(reverse("scoring:assessment_rerun", args=[finished.pk])).status_code == 405


def test_the_status_partial_says_to_keep_polling_until_the_assessment_is_done(
    client: Client, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory()
    _features(customer)
    client.force_login(officer)
    with django_capture_on_commit_callbacks() as pending:
        queued = jobs.assessment_request(actor=officer, customer_id=customer.pk, trigger="officer")
    url = reverse("scoring:assessment_status", args=[queued.pk])

    waiting = client.get(url)
    assert waiting.status_code == 200
    assert waiting["X-Poll"] == "continue"
    assert b'data-poll="continue"' in waiting.content
    assert b'data-status="queued"' in waiting.content

    pending[0]()  # the job runs
    done = client.get(url)
    assert done["X-Poll"] == "stop"
    assert b'data-status="succeeded"' in done.content


def test_the_status_partial_is_for_those_who_may_read_assessments(
    client: Client, privacy_officer: User, officer: User, finished: Assessment
) -> None:
    client.force_login(privacy_officer)
    assert client.get(reverse("scoring:assessment_status", args=[finished.pk])).status_code == 403
    client.force_login(officer)
    assert (
        client.get(reverse("scoring:assessment_status", args=[finished.pk + 99])).status_code == 404
    )
