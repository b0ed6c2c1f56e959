"""The audit-log API's filters at the ends of the calendar, and its errors in the reader's
language: a 400 with ``errors`` by field, never a server error or untranslated text."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from compliance.auditlog import filters as audit_filters
from compliance.history import filters as history_filters
from scoring.models import Customer
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/audit/entries/"
EXTREME_TIMES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59:59"]


def _api_for(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("value", EXTREME_TIMES)
def test_the_audit_api_refuses_a_time_at_the_ends_of_the_calendar_with_400(
    auditor: User, name: str, value: str
) -> None:
    response = _api_for(auditor).get(ENTRIES, {name: value})

    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_the_audit_api_still_takes_the_earliest_and_latest_years_a_filter_may_name(
    auditor: User,
) -> None:
    response = _api_for(auditor).get(ENTRIES, {"since": "1900-01-01", "until": "2999-12-31"})

    assert response.status_code == 200


@pytest.fixture
def translated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marks every message the filters' one parser (the page's, the API's and the export's)
    passes through gettext."""
    for module in (audit_filters, history_filters):
        monkeypatch.setattr(module, "_", lambda text: f"«{text}»")


def test_an_audit_api_range_error_goes_through_gettext(auditor: User, translated: None) -> None:
    response = _api_for(auditor).get(ENTRIES, {"since": "2026-02-01", "until": "2026-01-01"})

    assert response.status_code == 400
    assert response.json()["errors"]["until"] == ["«“Until” must be later than “since”.»"]


def test_history_api_errors_go_through_gettext(auditor: User, translated: None) -> None:
    customer: Customer = CustomerFactory()
    url = f"/api/v1/history/customer/{customer.pk}/"

    backwards = _api_for(auditor).get(url, {"since": "2026-02-01", "until": "2026-01-01"})
    bad_cursor = _api_for(auditor).get(url, {"cursor": "x"})

    assert backwards.status_code == 400
    assert backwards.json()["errors"]["until"] == ["«“Until” must not be earlier than “since”.»"]
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["errors"]["cursor"] == ["«This page link is not valid; start again.»"]
