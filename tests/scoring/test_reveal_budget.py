"""The daily reveal budget (issue 15): beyond ``REVEALS_DAILY_BUDGET`` a reveal needs a
supervisor's extra allowance for today (audited); supervisors hear at 80 %."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEntry
from cases.models import Case, CaseStatus, Notification
from scoring.customers.access import AccessSource, PersonalDataAccess, RevealAllowance
from scoring.customers.budget import reveal_allowance_grant, reveals_today
from scoring.customers.reveal import customer_reveal
from scoring.models import Customer
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_budget(settings: Any) -> None:
    settings.REVEALS_DAILY_BUDGET = 5  # alert at ceil(5 * 0.8) = 4


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory()


@pytest.fixture
def case(customer: Customer, officer: User) -> Case:
    return CaseFactory(
        credit_line=CreditLineFactory(customer=customer),
        assignee=officer,
        status=CaseStatus.ASSIGNED,
    )


def _reveal(actor: User, customer: Customer, case: Case, source: str = AccessSource.PAGE) -> None:
    customer_reveal(
        actor=actor,
        customer_id=customer.pk,
        fields=["phone"],
        purpose="",
        purpose_code="call_back",
        case_id=case.pk,
        source=source,
        ip_address=None,
    )


def _api(user: User) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_beyond_the_budget_a_reveal_is_refused_saying_a_supervisor_must_approve(
    officer: User, customer: Customer, case: Case
) -> None:
    for _ in range(5):
        _reveal(officer, customer, case)

    with pytest.raises(PermissionDenied, match="A supervisor must approve more"):
        _reveal(officer, customer, case)
    assert PersonalDataAccess.objects.count() == 5
    assert reveals_today(officer) == (5, 5)


def test_supervisors_are_notified_once_when_someone_reaches_80_percent(
    officer: User, supervisor: User, customer: Customer, case: Case
) -> None:
    for _ in range(3):
        _reveal(officer, customer, case)
    assert not Notification.objects.filter(kind="reveal_budget_near").exists()

    _reveal(officer, customer, case)  # the fourth of five
    (notice,) = Notification.objects.filter(kind="reveal_budget_near")
    assert notice.recipient == supervisor
    assert notice.data == {"user": "officer", "user_id": officer.pk, "used": 4, "limit": 5}

    _reveal(officer, customer, case)
    assert Notification.objects.filter(kind="reveal_budget_near").count() == 1


def test_a_supervisors_allowance_for_today_lets_the_officer_go_on_and_is_audited(
    officer: User, supervisor: User, customer: Customer, case: Case
) -> None:
    for _ in range(5):
        _reveal(officer, customer, case)

    allowance = reveal_allowance_grant(
        actor=supervisor, user_id=officer.pk, extra=2, reason="Complaint backlog today"
    )

    _reveal(officer, customer, case)
    _reveal(officer, customer, case)
    with pytest.raises(PermissionDenied):
        _reveal(officer, customer, case)
    entry = AuditEntry.objects.get(action="reveal.allowance_granted")
    assert entry.actor == supervisor
    assert entry.data["allowance"] == allowance.pk
    assert (entry.data["extra"], entry.data["limit"]) == (2, 7)


def test_only_a_supervisor_grants_and_never_to_themselves(
    officer: User, supervisor: User, auditor: User
) -> None:
    with pytest.raises(PermissionDenied):
        reveal_allowance_grant(actor=officer, user_id=officer.pk, extra=1, reason="I need more")
    with pytest.raises(PermissionDenied, match="themselves"):
        reveal_allowance_grant(
            actor=supervisor, user_id=supervisor.pk, extra=1, reason="I need more"
        )
    with pytest.raises(ValidationError) as caught:
        reveal_allowance_grant(actor=supervisor, user_id=auditor.pk, extra=0, reason="")
    assert set(caught.value.message_dict) == {"user", "extra", "reason"}
    assert not RevealAllowance.objects.exists()


def test_the_api_refuses_over_budget_with_403_and_a_supervisor_grants_through_it(
    officer: User, supervisor: User, customer: Customer, case: Case
) -> None:
    for _ in range(5):
        _reveal(officer, customer, case, AccessSource.API)
    url = reverse("scoring_api:customer_reveal", args=[customer.pk])
    body = {"fields": ["phone"], "case": case.pk, "purpose_code": "call_back"}

    refused = _api(officer).post(url, body, format="json")
    assert refused.status_code == 403
    assert "A supervisor must approve more" in str(refused.json()["errors"])
    assert AuditEntry.objects.filter(action="access.denied").count() == 1

    grant_url = reverse("scoring_api:reveal_allowance_create")
    grant = {"user": officer.pk, "extra": 1, "reason": "Complaint backlog today"}
    assert _api(officer).post(grant_url, grant, format="json").status_code == 403
    granted = _api(supervisor).post(grant_url, grant, format="json")
    assert granted.status_code == 201
    assert granted.json()["extra"] == 1

    assert _api(officer).post(url, body, format="json").status_code == 200


def test_the_notifications_page_says_who_nears_their_budget(
    client: Client, officer: User, supervisor: User, customer: Customer, case: Case
) -> None:
    for _ in range(4):
        _reveal(officer, customer, case)
    client.force_login(supervisor)
    page = client.get(reverse("cases:notifications")).content.decode()
    assert "officer: 4 of 5 reveals today" in page


def test_a_supervisor_approves_extra_reveals_from_the_notification(
    client: Client, officer: User, supervisor: User, customer: Customer, case: Case
) -> None:
    for _ in range(4):
        _reveal(officer, customer, case)
    client.force_login(supervisor)
    page = client.get(reverse("cases:notifications")).content.decode()
    assert reverse("scoring:reveal_allowance_grant") in page

    response = client.post(
        reverse("scoring:reveal_allowance_grant"),
        {"user": officer.pk, "extra": 3, "reason": "Complaint backlog today"},
        follow=True,
    )

    assert "3 extra reveals granted for today." in response.content.decode()
    assert RevealAllowance.objects.get().extra == 3
    assert reveals_today(officer) == (4, 8)

    client.force_login(officer)
    refused = client.post(
        reverse("scoring:reveal_allowance_grant"),
        {"user": officer.pk, "extra": 3, "reason": "I want more"},
    )
    assert refused.status_code == 403
    assert RevealAllowance.objects.count() == 1
