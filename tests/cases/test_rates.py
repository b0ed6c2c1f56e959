"""Override and approval rates by officer and reason code, week by week."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.models import Decision, DecisionState
from cases.selectors.dashboard import decision_rates
from portal.dates import year_range_message
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)  # Asia/Shanghai has no daylight saving
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # a Monday


def _decision(
    proposer: User,
    *,
    at: datetime,
    kind: str = "keep_block",
    reason: str = "RISK_CONFIRMED",
    state: str = DecisionState.APPLIED,
    reviewed_by: User | None = None,
) -> Decision:
    return Decision.objects.create(
        case=CaseFactory(),
        kind=kind,
        reason_code=reason,
        justification="x",
        usable_limit=Decimal("100.00") if kind == "override_limit" else None,
        requires_approval=reviewed_by is not None or state == DecisionState.PROPOSED,
        state=state,
        proposed_by=proposer,
        proposed_at=at,
        approver=reviewed_by,
        decided_at=at + timedelta(hours=1) if reviewed_by else None,
    )


@pytest.fixture
def data_set(officer: User, second_officer: User, supervisor: User) -> None:
    """Week 1: officer 4 decisions (2 overrides, one approved, one rejected);
    second officer 1 keep-block. Week 2: officer 1 override waiting; 1 outside the window."""
    week2 = MONDAY + timedelta(days=7)
    _decision(
        officer,
        at=MONDAY,
        kind="override_limit",
        reason="IDENTITY_VERIFIED",
        reviewed_by=supervisor,
    )
    _decision(
        officer,
        at=MONDAY + timedelta(days=1),
        kind="override_limit",
        reason="IDENTITY_VERIFIED",
        state=DecisionState.REJECTED,
        reviewed_by=supervisor,
    )
    _decision(officer, at=MONDAY + timedelta(days=2))
    _decision(officer, at=MONDAY + timedelta(days=6, hours=13))  # Sunday 23:00 local
    _decision(second_officer, at=MONDAY + timedelta(days=3))
    _decision(
        officer,
        at=week2,
        kind="override_limit",
        reason="FINANCES_UPDATED",
        state=DecisionState.PROPOSED,
    )
    _decision(officer, at=MONDAY - timedelta(days=40))


def _window() -> dict[str, datetime]:
    return {"since": MONDAY - timedelta(days=1), "until": MONDAY + timedelta(days=14)}


def test_rates_by_week_officer_and_reason_are_aggregated_right(
    data_set: None, settings: Any
) -> None:
    rates = decision_rates(**_window())

    week1, week2 = MONDAY.date(), (MONDAY + timedelta(days=7)).date()
    assert rates.weeks == [week1, week2]
    first = rates.weekly[(week1, "officer")]
    assert (first.decisions, first.overrides, first.approved, first.rejected) == (4, 2, 1, 1)
    assert first.override_share == 0.5
    assert first.approval_share == 0.5
    assert rates.weekly[(week1, "officer2")].decisions == 1
    assert rates.weekly[(week1, "officer2")].approval_share is None
    later = rates.weekly[(week2, "officer")]
    assert (later.decisions, later.overrides, later.reviewed) == (1, 1, 0)
    by_reason = dict(rates.by_reason)
    assert by_reason["IDENTITY_VERIFIED"].decisions == 2
    assert by_reason["IDENTITY_VERIFIED"].approved == 1
    assert by_reason["RISK_CONFIRMED"].decisions == 3
    assert rates.total.decisions == 6


def test_filters_by_officer_and_reason(data_set: None, officer: User) -> None:
    assert decision_rates(**_window(), officer_id=officer.pk).total.decisions == 5
    only = decision_rates(**_window(), reason_code="FINANCES_UPDATED")
    assert only.total.decisions == 1
    assert only.officers == ["officer"]


def test_an_auditor_opens_the_page_with_charts(
    client: Any, data_set: None, auditor: User, django_assert_max_num_queries: Any
) -> None:
    client.force_login(auditor)
    query = {"since": "2026-11-01", "until": "2026-11-15"}
    client.get(reverse("cases:rates"), query)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("cases:rates"), query)

    assert response.status_code == 200
    text = response.text
    assert text.count('data-testid="rates-chart"') == 3
    assert "chart-rates-overrides" in text
    assert "vendor/plotly/plotly.min.js" in text
    assert 'data-testid="rates-decisions">6<' in text
    assert "Identity verified with the customer" in text


def test_a_supervisor_may_open_it_and_an_officer_may_not(
    client: Any, supervisor: User, officer: User
) -> None:
    client.force_login(supervisor)
    assert client.get(reverse("cases:rates")).status_code == 200
    client.force_login(officer)
    assert client.get(reverse("cases:rates")).status_code == 403


def test_bad_filters_are_a_form_error_not_a_crash(client: Any, auditor: User) -> None:
    client.force_login(auditor)
    response = client.get(
        reverse("cases:rates"), {"since": "2026-11-20", "until": "2026-11-01", "officer": "x"}
    )
    assert response.status_code == 400
    assert "The end date must not be before the start date." in response.text
    assert client.get(reverse("cases:rates"), {"since": "not a date"}).status_code == 400


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"])
def test_a_date_outside_the_portals_years_is_a_form_error_on_the_page(
    client: Any, auditor: User, field: str, value: str
) -> None:
    client.force_login(auditor)

    response = client.get(reverse("cases:rates"), {field: value})

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [year_range_message()]}
    assert 'data-testid="rates-filters"' in response.text
    assert "Give a date between the years 1900 and 2999." in response.text
    assert response.context["rates"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"since": "1900-01-01", "until": "2999-12-31"},
        {"until": "1900-01-01"},  # the default window starts twelve weeks before
        {"since": "2999-12-31"},
    ],
    ids=str,
)
def test_the_first_and_last_days_of_the_portals_years_are_accepted(
    client: Any, auditor: User, query: dict[str, str]
) -> None:
    client.force_login(auditor)

    response = client.get(reverse("cases:rates"), query)

    assert response.status_code == 200
    assert response.context["form"].errors == {}
    assert response.context["rates"].total.decisions == 0
