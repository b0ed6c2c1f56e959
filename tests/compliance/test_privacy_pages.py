"""The privacy officer's pages: requests, legal holds and retention; auditors read only."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from compliance.models import (
    DataSubjectRequest,
    LegalHold,
    RequestKind,
    RequestStatus,
    RetentionPolicy,
    RetentionRun,
)
from compliance.privacy.services import privacy_request_create
from scoring.customers.access import PersonalDataAccess
from scoring.models import Customer
from tests.factories.scoring import CreditLineFactory, CustomerFactory, make_assessment

pytestmark = pytest.mark.django_db

LIST = reverse("compliance:privacy_requests")
HOLDS = reverse("compliance:legal_holds")
RETENTION = reverse("compliance:retention")


@pytest.fixture
def customer() -> Customer:
    customer = CustomerFactory(external_id="C0000042", name="诸葛亮", phone="13700001111")
    CreditLineFactory(customer=customer)
    return customer


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _record(actor: User, customer: Customer, kind: str, days_ago: int = 0) -> DataSubjectRequest:
    return privacy_request_create(
        actor=actor,
        customer_id=customer.pk,
        kind=kind,
        channel="phone",
        received_at=timezone.now() - timedelta(days=days_ago),
    )


def test_the_list_marks_overdue_and_due_soon_requests_in_bounded_queries(
    privacy_officer: User, customer: Customer, django_assert_max_num_queries: Any
) -> None:
    overdue = _record(privacy_officer, customer, "access", days_ago=20)
    soon = _record(privacy_officer, customer, "copy", days_ago=13)
    for _ in range(10):
        _record(privacy_officer, customer, "explain")
    client = _client(privacy_officer)

    with django_assert_max_num_queries(12):
        response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="request-{overdue.pk}" data-deadline="overdue"' in html
    assert f'id="request-{soon.pk}" data-deadline="due_soon"' in html
    assert "诸葛亮" not in html  # masked
    assert "诸**" in html
    assert html.index(f"request-{overdue.pk}") < html.index(f"request-{soon.pk}")


def test_the_list_filters_by_status_and_kind(privacy_officer: User, customer: Customer) -> None:
    access = _record(privacy_officer, customer, "access")
    explain = _record(privacy_officer, customer, "explain")

    html = _client(privacy_officer).get(LIST, {"kind": "explain", "status": "open"}).content
    assert f"request-{explain.pk}".encode() in html
    assert f"request-{access.pk}".encode() not in html


def test_a_privacy_officer_records_a_request_by_customer_number(
    privacy_officer: User, customer: Customer
) -> None:
    response = _client(privacy_officer).post(
        LIST, {"customer": "C0000042", "kind": "delete", "channel": "letter"}
    )

    request = DataSubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:privacy_request", args=[request.pk])
    assert request.kind == "delete"
    assert request.created_by == privacy_officer


def test_an_unknown_customer_number_is_a_form_error_and_nothing_is_recorded(
    privacy_officer: User, customer: Customer
) -> None:
    response = _client(privacy_officer).post(
        LIST, {"customer": "C9999999", "kind": "access", "channel": "email"}
    )

    assert response.status_code == 400
    assert b'data-testid="error-customer"' in response.content
    assert b"No such customer" in response.content
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_receipt_time_at_the_ends_of_the_calendar_is_a_form_error(
    privacy_officer: User, customer: Customer, received_at: str
) -> None:
    response = _client(privacy_officer).post(
        LIST,
        {
            "customer": "C0000042",
            "kind": "access",
            "channel": "email",
            "received_at": received_at,
        },
    )

    assert response.status_code == 400
    assert b'data-testid="error-received_at"' in response.content
    assert not DataSubjectRequest.objects.exists()


def test_fulfilling_an_explain_request_on_the_page_shows_both_texts(
    privacy_officer: User, customer: Customer
) -> None:
    assessment = make_assessment(customer)
    request = _record(privacy_officer, customer, RequestKind.EXPLAIN)
    client = _client(privacy_officer)
    url = reverse("compliance:privacy_request", args=[request.pk])

    response = client.post(
        url, {"action": "fulfil", "fulfil-version": "1", "fulfil-outcome": "Sent by SMS"}
    )
    page = client.get(url)

    assert response.status_code == 302
    html = page.content.decode()
    assert f"A-{assessment.pk}" in html
    assert 'data-testid="explanation-zh"' in html
    assert 'data-testid="fulfil-request"' not in html  # closed: no more forms


def test_refusing_without_a_reason_shows_the_error_and_keeps_the_request_open(
    privacy_officer: User, customer: Customer
) -> None:
    request = _record(privacy_officer, customer, RequestKind.DELETE)

    response = _client(privacy_officer).post(
        reverse("compliance:privacy_request", args=[request.pk]),
        {"action": "refuse", "refuse-version": "1", "refuse-reason": ""},
    )

    assert response.status_code == 400
    assert b'data-testid="error-reason"' in response.content
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_a_stale_form_is_a_message_not_a_second_fulfilment(
    privacy_officer: User, customer: Customer
) -> None:
    request = _record(privacy_officer, customer, RequestKind.HUMAN_REVIEW)
    client = _client(privacy_officer)
    url = reverse("compliance:privacy_request", args=[request.pk])
    client.post(url, {"action": "fulfil", "fulfil-version": "1"})

    response = client.post(url, {"action": "fulfil", "fulfil-version": "1"})

    assert response.status_code == 400
    assert b"already closed" in response.content


def test_the_export_downloads_as_json_and_each_download_is_logged(
    privacy_officer: User, customer: Customer
) -> None:
    request = _record(privacy_officer, customer, RequestKind.ACCESS)
    client = _client(privacy_officer)
    client.post(
        reverse("compliance:privacy_request", args=[request.pk]),
        {"action": "fulfil", "fulfil-version": "1"},
    )
    url = reverse("compliance:privacy_request_export", args=[request.pk])

    first = client.get(url)
    client.get(url)

    assert first.status_code == 200
    assert first["Content-Disposition"].startswith("attachment;")
    assert "no-store" in first["Cache-Control"]
    assert json.loads(first.content)["data"]["profile"]["name"] == "诸葛亮"
    # One access row and one audit entry per download; fulfilling the request wrote none.
    assert PersonalDataAccess.objects.filter(customer=customer).count() == 2
    assert AuditEntry.objects.filter(action="privacy_request.export_downloaded").count() == 2


def test_an_auditor_reads_the_pages_without_forms_and_gets_403_on_every_write(
    privacy_officer: User, auditor: User, customer: Customer
) -> None:
    request = _record(privacy_officer, customer, RequestKind.ACCESS)
    client = _client(auditor)
    detail = reverse("compliance:privacy_request", args=[request.pk])

    for url in (LIST, detail, HOLDS, RETENTION):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'method="post" action="/compliance/' not in response.content, url
    writes = [
        (LIST, {"customer": "C0000042", "kind": "access", "channel": "email"}),
        (detail, {"action": "refuse", "refuse-version": "1", "refuse-reason": "no"}),
        (HOLDS, {"place-customer": "C0000042", "place-reason": "x"}),
        (RETENTION, {"action": "dry_run"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert (
        client.get(reverse("compliance:privacy_request_export", args=[request.pk])).status_code
        == 403
    )
    assert DataSubjectRequest.objects.count() == 1
    assert not LegalHold.objects.exists()
    assert not RetentionRun.objects.exists()


def test_an_officer_may_not_see_the_privacy_pages(officer: User) -> None:
    client = _client(officer)
    for url in (LIST, HOLDS, RETENTION):
        assert client.get(url).status_code == 403


def test_holds_are_placed_and_released_on_the_holds_page(
    privacy_officer: User, customer: Customer
) -> None:
    client = _client(privacy_officer)

    placed = client.post(
        HOLDS, {"action": "place", "place-customer": "C0000042", "place-reason": "Court order"}
    )
    hold = LegalHold.objects.get()
    released = client.post(
        HOLDS, {"action": "release", "hold": hold.pk, "release_reason": "Order lifted"}
    )

    assert placed.status_code == 302
    assert released.status_code == 302
    hold.refresh_from_db()
    assert hold.customer_id == customer.pk
    assert hold.released_by == privacy_officer
    assert AuditEntry.objects.filter(action__startswith="legal_hold.").count() == 2


def test_a_hold_on_nothing_is_a_form_error(privacy_officer: User) -> None:
    response = _client(privacy_officer).post(
        HOLDS, {"action": "place", "place-customer": "", "place-reason": "x"}
    )

    assert response.status_code == 400
    assert b"Give either a customer number or a case number." in response.content
    assert not LegalHold.objects.exists()


def test_a_dry_run_from_the_retention_page_is_recorded_and_shown(privacy_officer: User) -> None:
    client = _client(privacy_officer)

    response = client.post(RETENTION, {"action": "dry_run"})
    page = client.get(RETENTION)

    run = RetentionRun.objects.get()
    assert response.status_code == 302
    assert run.dry_run is True
    assert run.actor_label == "privacy"
    assert f'id="run-{run.pk}"'.encode() in page.content


def test_a_privacy_officer_edits_a_policy_and_the_access_log_floor_holds(
    privacy_officer: User,
) -> None:
    client = _client(privacy_officer)
    notes = RetentionPolicy.objects.get(record_type="case_notes")
    access = RetentionPolicy.objects.get(record_type="personal_data_access")

    saved = client.post(
        RETENTION, {"action": "policy", "policy": notes.pk, "keep_days": 400, "enabled": "on"}
    )
    refused = client.post(
        RETENTION, {"action": "policy", "policy": access.pk, "keep_days": 30, "enabled": "on"}
    )

    assert saved.status_code == 302
    notes.refresh_from_db()
    assert notes.keep_days == 400
    assert notes.history.first().history_user == privacy_officer
    assert refused.status_code == 400
    assert b"between 183 and" in refused.content
    access.refresh_from_db()
    assert access.keep_days != 30


def test_the_request_page_is_read_in_bounded_queries(
    privacy_officer: User, customer: Customer, django_assert_max_num_queries: Any
) -> None:
    request = _record(privacy_officer, customer, RequestKind.CORRECT)
    client = _client(privacy_officer)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("compliance:privacy_request", args=[request.pk]))

    assert response.status_code == 200
    assert b"Corrected mobile number" in response.content
    assert "诸葛亮" not in response.content.decode()


def test_a_correction_on_the_page_changes_the_customer(
    privacy_officer: User, customer: Customer
) -> None:
    request = _record(privacy_officer, customer, RequestKind.CORRECT)

    response = _client(privacy_officer).post(
        reverse("compliance:privacy_request", args=[request.pk]),
        {"action": "fulfil", "fulfil-version": "1", "fulfil-city": "成都"},
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.city == "成都"
