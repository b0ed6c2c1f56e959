"""The assessment detail page: chart, reasons, snapshot, both explanations, diff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from scoring.models import Assessment, AssessmentStatus, AssessmentTrigger, Scorecard
from tests.factories.scoring import CustomerFactory, make_assessment

pytestmark = pytest.mark.django_db

ANOMALOUS = {
    "monthly_income": "2500",
    "months_on_book": 30,
    "bureau_accounts": 1,
    "utilisation": "0.4000",
    "delinquencies_12m": 0,
    "device_changes_30d": 5,
    "distance_from_usual_city_km": 10,
    "identity_consistency": "0.990",
    "attempts_24h": 1,
    "kyc_days_left": 300,
}


def _url(assessment: Assessment) -> str:
    return reverse("scoring:assessment_detail", args=[assessment.pk])


def test_plotly_js_is_served_from_static_files_without_a_copy_in_the_repository() -> None:
    found = finders.find("vendor/plotly/plotly.min.js")
    assert found is not None
    assert ".venv" in str(found) or "site-packages" in str(found)


def test_an_officer_sees_chart_reasons_snapshot_explanations_and_diff(
    client: Any, officer: Any, django_assert_max_num_queries: Any
) -> None:
    customer = CustomerFactory()
    make_assessment(customer, queued_at=timezone.now() - timedelta(days=10))
    assessment = make_assessment(customer, features=ANOMALOUS)
    client.force_login(officer)
    with django_assert_max_num_queries(10):
        response = client.get(_url(assessment))
    assert response.status_code == 200
    body = response.content.decode()
    assert "vendor/plotly/plotly.min.js" in body
    assert f'id="waterfall-{assessment.pk}"' in body
    assert 'data-reason="DEVICE_ANOMALY"' in body
    assert "Unusual device" in body
    assert 'data-testid="snapshot"' in body
    assert "Device changes in the last 30 days" in body
    assert 'data-language="en"' in body
    assert 'data-language="zh-Hans"' in body
    assert "人工复核" in body  # the Chinese explanation, whatever the page language
    assert 'data-moved="device_changes"' in body
    assert customer.name not in body  # masked


def test_the_page_is_translated(client: Any, officer: Any) -> None:
    assessment = make_assessment(CustomerFactory(), features=ANOMALOUS)
    client.force_login(officer)
    response = client.get(_url(assessment), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert "设备异常" in body
    assert "评分是如何得出的" in body


def test_a_failed_assessment_shows_its_error_and_a_rerun_button(client: Any, officer: Any) -> None:
    failed = Assessment.objects.create(
        customer=CustomerFactory(),
        scorecard=Scorecard.objects.get(is_champion=True),
        trigger=AssessmentTrigger.OFFICER,
        status=AssessmentStatus.FAILED,
        error="The scoring step failed (timeout).",
        finished_at=timezone.now(),
    )
    client.force_login(officer)
    body = client.get(_url(failed)).content.decode()
    assert "The scoring step failed (timeout)." in body
    assert reverse("scoring:assessment_rerun", args=[failed.pk]) in body
    assert "js-plotly-plot" not in body
    assert 'data-testid="customer-explanation"' not in body


def test_an_auditor_reads_the_page_but_gets_no_rerun_button(client: Any, auditor: Any) -> None:
    failed = Assessment.objects.create(
        customer=CustomerFactory(),
        scorecard=Scorecard.objects.get(is_champion=True),
        trigger=AssessmentTrigger.OFFICER,
        status=AssessmentStatus.FAILED,
        error="boom",
    )
    client.force_login(auditor)
    body = client.get(_url(failed)).content.decode()
    assert "boom" in body
    assert reverse("scoring:assessment_rerun", args=[failed.pk]) not in body


def test_people_without_the_permission_are_refused(client: Any, privacy_officer: Any) -> None:
    assessment = make_assessment(CustomerFactory())
    client.force_login(privacy_officer)
    assert client.get(_url(assessment)).status_code == 403
    client.logout()
    assert client.get(_url(assessment)).status_code == 302


def test_an_unknown_assessment_is_a_404(client: Any, officer: Any) -> None:
    client.force_login(officer)
    assert client.get(reverse("scoring:assessment_detail", args=[999999])).status_code == 404


def test_the_result_partial_renders_from_the_assessment_alone() -> None:
    assessment = make_assessment(CustomerFactory(), features=ANOMALOUS)
    html = render_to_string("scoring/_assessment_result.html", {"assessment": assessment})
    assert 'data-testid="assessment-result"' in html
    assert 'data-testid="waterfall"' in html
    assert 'data-testid="reasons"' in html
    assert 'data-testid="diff"' in html
