"""Data-subject requests through the API: the contract's paths, bodies and error codes."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEntry
from compliance.models import DataSubjectRequest
from scoring.customers.access import PersonalDataAccess
from scoring.models import Customer
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/privacy/requests/"


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory(external_id="C0000077", name="王昭君", phone="13600002222")


def _api(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _create(client: APIClient, kind: str = "withdraw_consent") -> dict:
    response = client.post(
        REQUESTS, {"customer": "C0000077", "kind": kind, "channel": "partner"}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_privacy_officer_records_reads_and_fulfils_a_request(
    privacy_officer: User, customer: Customer
) -> None:
    client = _api(privacy_officer)
    created = _create(client)

    read = client.get(f"{REQUESTS}{created['id']}/")
    fulfilled = client.post(
        f"{REQUESTS}{created['id']}/fulfil/", {"version": 1, "outcome": "Done"}, format="json"
    )

    assert created["customer"] == "C0000077"
    assert created["customer_name"] == "王**"
    assert created["status"] == "open"
    assert read.status_code == 200
    assert fulfilled.status_code == 200
    body = fulfilled.json()
    assert body["status"] == "fulfilled"
    assert body["version"] == 2
    assert body["result"]["consent_withdrawn"] is True


def test_an_unknown_customer_is_a_400_naming_the_field(privacy_officer: User) -> None:
    response = _api(privacy_officer).post(
        REQUESTS, {"customer": "NOPE", "kind": "access", "channel": "email"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"errors": {"customer": ["No such customer."]}}
    assert not DataSubjectRequest.objects.exists()


def test_fulfilling_a_closed_request_is_a_409(privacy_officer: User, customer: Customer) -> None:
    client = _api(privacy_officer)
    created = _create(client)
    url = f"{REQUESTS}{created['id']}/fulfil/"
    client.post(url, {"version": 1}, format="json")

    again = client.post(url, {"version": 2}, format="json")
    stale = client.post(f"{REQUESTS}{created['id']}/refuse/", {"version": 1, "reason": "x"})

    assert again.status_code == 409
    assert "already closed" in again.json()["errors"]["non_field_errors"][0]
    assert stale.status_code == 409


def test_a_refusal_without_a_reason_is_a_400(privacy_officer: User, customer: Customer) -> None:
    client = _api(privacy_officer)
    created = _create(client, kind="delete")

    response = client.post(
        f"{REQUESTS}{created['id']}/refuse/", {"version": 1, "reason": ""}, format="json"
    )
    refused = client.post(
        f"{REQUESTS}{created['id']}/refuse/",
        {"version": 1, "reason": "Outstanding balance"},
        format="json",
    )

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert refused.status_code == 200
    assert refused.json()["refusal_reason"] == "Outstanding balance"


def test_the_export_endpoint_gives_the_persons_data_and_logs_the_reveal(
    privacy_officer: User, customer: Customer
) -> None:
    client = _api(privacy_officer)
    created = _create(client, kind="copy")
    client.post(f"{REQUESTS}{created['id']}/fulfil/", {"version": 1}, format="json")

    response = client.get(f"{REQUESTS}{created['id']}/export/")

    assert response.status_code == 200
    assert response.json()["data"]["profile"]["phone"] == "13600002222"
    # Fulfilling counted the sections; only the download revealed the data.
    (access,) = PersonalDataAccess.objects.all()
    assert access.source == "privacy_request"
    assert access.ip_address == "127.0.0.1"
    entry = AuditEntry.objects.get(action="privacy_request.export_downloaded")
    assert entry.data["access"] == access.pk


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00", "9999-12-31T23:59:59"])
def test_a_receipt_time_at_the_ends_of_the_calendar_is_a_400_by_field(
    privacy_officer: User, customer: Customer, received_at: str
) -> None:
    response = _api(privacy_officer).post(
        REQUESTS,
        {
            "customer": "C0000077",
            "kind": "access",
            "channel": "email",
            "received_at": received_at,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "received_at" in response.json()["errors"]
    assert not DataSubjectRequest.objects.exists()


def test_an_auditor_reads_but_every_write_and_the_export_are_403(
    privacy_officer: User, auditor: User, customer: Customer
) -> None:
    created = _create(_api(privacy_officer), kind="access")
    client = _api(auditor)

    assert client.get(f"{REQUESTS}{created['id']}/").status_code == 200
    assert (
        client.post(
            REQUESTS, {"customer": "C0000077", "kind": "access", "channel": "email"}
        ).status_code
        == 403
    )
    for action in ("fulfil", "refuse"):
        response = client.post(f"{REQUESTS}{created['id']}/{action}/", {"version": 1})
        assert response.status_code == 403
        assert "errors" in response.json()
    assert client.get(f"{REQUESTS}{created['id']}/export/").status_code == 403
    assert DataSubjectRequest.objects.get().status == "open"


def test_an_unknown_request_is_a_404_and_no_credentials_a_401(privacy_officer: User) -> None:
    assert _api(privacy_officer).get(f"{REQUESTS}999999/").status_code == 404
    assert (
        _api(privacy_officer).post(f"{REQUESTS}999999/fulfil/", {"version": 1}).status_code == 404
    )
    assert APIClient().get(f"{REQUESTS}1/").status_code == 401


def test_the_schema_documents_the_privacy_endpoints(privacy_officer: User) -> None:
    client = APIClient()
    client.force_login(privacy_officer)
    schema = client.get("/api/schema/", {"format": "json"}).json()

    for path in ("", "{id}/", "{id}/fulfil/", "{id}/refuse/", "{id}/export/"):
        assert f"/api/v1/privacy/requests/{path}" in schema["paths"], path
