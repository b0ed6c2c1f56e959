"""History filters at the ends of the calendar (0001-01-01, 9999-12-31): the selector gives
a correct result; the page, the API and the export refuse such a date through the one
parser (``portal.dates``' years) with a form error or a 400, never a server error."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.history_rows import save_with_history
from compliance.history import selectors as history
from scoring.models import Customer
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db

FIRST, LAST = "0001-01-01", "9999-12-31"


@pytest.fixture
def customer(officer: User) -> Customer:
    person = CustomerFactory(city="上海")
    person.city = "北京"
    save_with_history(person, actor=officer, reason="customer.updated", fields=["city"])
    return person


def _api_for(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.parametrize(
    ("since", "until", "found"),
    [
        (None, LAST, 2),
        (FIRST, None, 2),
        (FIRST, LAST, 2),
        (LAST, LAST, 0),
        (FIRST, FIRST, 0),
        (None, FIRST, 0),
        (LAST, None, 0),
    ],
)
def test_filters_at_the_ends_of_the_calendar_give_a_correct_result(
    customer: Customer, since: str | None, until: str | None, found: int
) -> None:
    filters = history.HistoryFilters(
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
    )

    page = history.history_page("customer", customer.pk, filters)

    assert len(page.versions) == found


@pytest.mark.parametrize("params", [{"until": LAST}, {"since": FIRST}, {"since": LAST}])
def test_the_history_page_refuses_extreme_dates_with_a_form_error(
    auditor: User, customer: Customer, params: dict[str, str]
) -> None:
    client = Client()
    client.force_login(auditor)
    url = reverse("compliance:history_object", args=["customer", customer.pk])

    response = client.get(url, params)

    assert response.status_code == 400
    assert set(response.context["form"].errors) == set(params)


@pytest.mark.parametrize("params", [{"until": LAST}, {"since": FIRST, "until": LAST}])
def test_the_history_api_refuses_extreme_dates_with_400(
    auditor: User, customer: Customer, params: dict[str, str]
) -> None:
    response = _api_for(auditor).get(f"/api/v1/history/customer/{customer.pk}/", params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_the_officer_view_takes_extreme_dates_and_the_export_refuses_them(
    officer: User, customer: Customer
) -> None:
    filters = history.HistoryFilters(since=date.min, until=date.max)
    assert len(history.history_page(history.OFFICER, officer.pk, filters).versions) >= 1

    with pytest.raises(ValidationError) as refused:
        history.export_table(
            {"model": "customer", "id": str(customer.pk), "since": FIRST, "until": LAST}
        )

    assert set(refused.value.message_dict) == {"since", "until"}
