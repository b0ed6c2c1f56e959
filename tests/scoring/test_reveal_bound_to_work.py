"""Reveals bound to work (issue 15): a reveal names a case or a data-subject request that is
the actor's own work; anything else is refused (form message / 403 with ``errors``), audited
as ``access.denied``, and writes no access row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEntry
from cases.models import Case, CaseCategory, CaseStatus
from compliance.models import DataSubjectRequest, RequestChannel, RequestKind, RequestStatus
from portal.registries import work_kinds
from scoring.customers.access import AccessSource, PersonalDataAccess
from scoring.customers.reveal import customer_reveal
from scoring.models import Customer
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
PURPOSE = "Call back about the frozen limit"


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory(phone=PHONE)


def _case(customer: Customer, assignee: User | None, status: str = CaseStatus.ASSIGNED) -> Case:
    """A case about ``customer``, each in a category of its own (one open case per
    customer and category)."""
    line = customer.credit_lines.first() or CreditLineFactory(customer=customer)
    taken = set(Case.objects.filter(customer=customer).values_list("category", flat=True))
    category = next(value for value in CaseCategory.values if value not in taken)
    return CaseFactory(credit_line=line, assignee=assignee, status=status, category=category)


def _request(customer: Customer, by: User, status: str = RequestStatus.OPEN) -> DataSubjectRequest:
    closed = {} if status == RequestStatus.OPEN else {"closed_at": timezone.now(), "closed_by": by}
    return DataSubjectRequest.objects.create(
        customer=customer,
        kind=RequestKind.ACCESS,
        channel=RequestChannel.EMAIL,
        due_at=timezone.now() + timedelta(days=15),
        created_by=by,
        status=status,
        **closed,
    )


def _reveal(actor: User, customer: Customer, **work: Any) -> dict[str, str]:
    return customer_reveal(
        actor=actor,
        customer_id=customer.pk,
        fields=["phone"],
        purpose=PURPOSE,
        source=AccessSource.PAGE,
        ip_address=None,
        **work,
    )


def _reveal_for(actor: User, customer: Customer, **arguments: Any) -> dict[str, str]:
    arguments.setdefault("purpose", "")
    return customer_reveal(
        actor=actor,
        customer_id=customer.pk,
        fields=["phone"],
        source=AccessSource.PAGE,
        ip_address=None,
        **arguments,
    )


def _denials() -> int:
    return AuditEntry.objects.filter(action="access.denied").count()


def test_cases_and_compliance_register_their_work_checks() -> None:
    assert work_kinds() == ["case", "request"]


def test_an_officer_reveals_for_their_own_case_and_the_row_names_it(
    officer: User, customer: Customer
) -> None:
    case = _case(customer, officer)

    assert _reveal(officer, customer, case_id=case.pk) == {"phone": PHONE}

    access = PersonalDataAccess.objects.get()
    assert (access.case_id, access.request_id, access.purpose) == (case.pk, None, PURPOSE)


def test_an_officer_is_refused_without_a_case(officer: User, customer: Customer) -> None:
    with pytest.raises(PermissionDenied, match="Name the work this reveal serves"):
        _reveal(officer, customer)
    assert not PersonalDataAccess.objects.exists()


def test_an_officer_is_refused_for_a_colleagues_or_an_unassigned_case(
    officer: User, supervisor: User, customer: Customer
) -> None:
    for case in (_case(customer, supervisor), _case(customer, None, CaseStatus.NEW)):
        with pytest.raises(PermissionDenied, match="only for a case assigned to you"):
            _reveal(officer, customer, case_id=case.pk)
    assert not PersonalDataAccess.objects.exists()


def test_nobody_reveals_for_a_closed_case(
    officer: User, supervisor: User, customer: Customer
) -> None:
    case = _case(customer, officer, CaseStatus.CLOSED)
    for actor in (officer, supervisor):
        with pytest.raises(PermissionDenied, match="This case is closed"):
            _reveal(actor, customer, case_id=case.pk)
    assert not PersonalDataAccess.objects.exists()


def test_a_supervisor_reveals_for_any_open_case_in_the_queue(
    officer: User, supervisor: User, customer: Customer
) -> None:
    case = _case(customer, None, CaseStatus.NEW)
    assert _reveal(supervisor, customer, case_id=case.pk) == {"phone": PHONE}
    assert PersonalDataAccess.objects.get().actor == supervisor


def test_a_privacy_officer_reveals_for_an_open_request_only(
    privacy_officer: User, officer: User, customer: Customer
) -> None:
    dsr = _request(customer, privacy_officer)
    assert _reveal(privacy_officer, customer, request_id=dsr.pk) == {"phone": PHONE}
    assert PersonalDataAccess.objects.get().request_id == dsr.pk

    closed = _request(customer, privacy_officer, RequestStatus.FULFILLED)
    with pytest.raises(PermissionDenied, match="This request is closed"):
        _reveal(privacy_officer, customer, request_id=closed.pk)
    # A case is not a privacy officer's work; a request is not an officer's.
    with pytest.raises(PermissionDenied):
        _reveal(privacy_officer, customer, case_id=_case(customer, officer).pk)
    with pytest.raises(PermissionDenied, match="Only a privacy officer"):
        _reveal(officer, customer, request_id=dsr.pk)
    assert PersonalDataAccess.objects.count() == 1


def test_a_request_about_someone_else_or_both_kinds_of_work_are_bad_input(
    privacy_officer: User, officer: User, customer: Customer
) -> None:
    other = _request(CustomerFactory(), privacy_officer)
    with pytest.raises(ValidationError) as caught:
        _reveal(privacy_officer, customer, request_id=other.pk)
    assert "request" in caught.value.message_dict

    case = _case(customer, officer)
    with pytest.raises(ValidationError) as caught:
        _reveal(officer, customer, case_id=case.pk, request_id=_request(customer, officer).pk)
    assert "request" in caught.value.message_dict
    assert not PersonalDataAccess.objects.exists()


def _form(customer: Customer, **data: Any) -> dict[str, Any]:
    values = {"personal_fields": ["phone"], "purpose_code": "call_back", **data}
    return {f"reveal-{customer.pk}-{key}": value for key, value in values.items()}


def test_the_page_refuses_a_colleagues_case_with_a_message_403_and_an_audit_entry(
    client: Client, officer: User, supervisor: User, customer: Customer
) -> None:
    case = _case(customer, supervisor)
    client.force_login(officer)

    response = client.post(
        reverse("scoring:customer_reveal", args=[customer.pk]),
        _form(customer, case=str(case.pk)),
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 403
    body = response.content.decode()
    assert "only for a case assigned to you" in body
    assert PHONE not in body
    assert not PersonalDataAccess.objects.exists()
    assert _denials() == 1


def test_the_page_in_chinese_says_why(client: Client, officer: User, customer: Customer) -> None:
    client.force_login(officer)
    response = client.post(
        reverse("scoring:customer_reveal", args=[customer.pk]),
        _form(customer),
        headers={"X-Requested-With": "fetch", "Accept-Language": "zh-hans"},
    )
    assert response.status_code == 403
    assert "请注明" in response.content.decode()


def _api(user: User) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_the_api_refuses_outside_ones_work_with_403_errors_and_an_audit_entry(
    officer: User, customer: Customer
) -> None:
    url = reverse("scoring_api:customer_reveal", args=[customer.pk])
    response = _api(officer).post(url, {"fields": ["phone"], "purpose": PURPOSE}, format="json")

    assert response.status_code == 403
    assert "Name the work this reveal serves" in str(response.json()["errors"])
    assert _denials() == 1
    assert not PersonalDataAccess.objects.exists()


def test_the_api_reveals_for_a_request_a_privacy_officer_handles(
    privacy_officer: User, customer: Customer
) -> None:
    dsr = _request(customer, privacy_officer)
    url = reverse("scoring_api:customer_reveal", args=[customer.pk])
    response = _api(privacy_officer).post(
        url, {"fields": ["phone"], "purpose": PURPOSE, "request": dsr.pk}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["fields"] == {"phone": PHONE}
    assert PersonalDataAccess.objects.get().request_id == dsr.pk


# --- the purpose, from a short list --------------------------------------------------------


def test_a_listed_purpose_needs_no_free_text_and_is_stored_with_its_english_name(
    officer: User, customer: Customer
) -> None:
    case = _case(customer, officer)

    _reveal_for(officer, customer, case_id=case.pk, purpose_code="verify_identity", purpose="")

    access = PersonalDataAccess.objects.get()
    assert access.purpose_code == "verify_identity"
    assert access.purpose == "Verify identity before contacting the customer"
    entry = AuditEntry.objects.get(action="customer.revealed")
    assert entry.data["purpose_code"] == "verify_identity"


def test_other_needs_free_text_and_an_unknown_purpose_is_refused(
    officer: User, customer: Customer
) -> None:
    case = _case(customer, officer)
    with pytest.raises(ValidationError) as caught:
        _reveal_for(officer, customer, case_id=case.pk, purpose_code="other", purpose="")
    assert "purpose" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        _reveal_for(officer, customer, case_id=case.pk, purpose_code="curiosity")
    assert "purpose_code" in caught.value.message_dict
    # Answering a data-subject request names the request.
    with pytest.raises(ValidationError) as caught:
        _reveal_for(officer, customer, case_id=case.pk, purpose_code="data_subject_request")
    assert "purpose_code" in caught.value.message_dict
    assert not PersonalDataAccess.objects.exists()


def test_the_form_offers_the_list_and_requires_a_choice(
    client: Client, officer: User, customer: Customer
) -> None:
    case = _case(customer, officer)
    client.force_login(officer)
    url = reverse("scoring:customer_reveal", args=[customer.pk])

    refused = client.post(
        url,
        _form(customer, case=str(case.pk), purpose_code=""),
        headers={"X-Requested-With": "fetch"},
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Choose why you need to see these details from the list." in body
    assert 'value="investigate_mismatch"' in body

    response = client.post(
        url,
        _form(customer, case=str(case.pk), purpose_code="investigate_mismatch"),
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert PersonalDataAccess.objects.get().purpose_code == "investigate_mismatch"


def test_the_auditors_access_log_shows_the_purpose_and_the_work(
    client: Client, officer: User, auditor: User, privacy_officer: User, customer: Customer
) -> None:
    case = _case(customer, officer)
    _reveal_for(officer, customer, case_id=case.pk, purpose_code="call_back", purpose="")
    dsr = _request(customer, privacy_officer)
    _reveal_for(privacy_officer, customer, request_id=dsr.pk, purpose_code="data_subject_request")

    client.force_login(auditor)
    page = client.get(reverse("compliance:access_log")).content.decode()
    assert "Call the customer back" in page
    assert "Answer a data-subject request" in page
    assert reverse("compliance:privacy_request", args=[dsr.pk]) in page

    api = _api(auditor).get(reverse("personal_data_access_list")).json()
    rows = {row["purpose_code"]: row for row in api["results"]}
    assert rows["data_subject_request"]["request"] == dsr.pk
    assert rows["call_back"]["case"] == case.pk


def test_the_api_takes_a_purpose_code(officer: User, customer: Customer) -> None:
    case = _case(customer, officer)
    url = reverse("scoring_api:customer_reveal", args=[customer.pk])

    bad = _api(officer).post(
        url, {"fields": ["phone"], "case": case.pk, "purpose_code": "nosy"}, format="json"
    )
    assert bad.status_code == 400
    assert "purpose_code" in bad.json()["errors"]

    good = _api(officer).post(
        url, {"fields": ["phone"], "case": case.pk, "purpose_code": "call_back"}, format="json"
    )
    assert good.status_code == 200
    assert PersonalDataAccess.objects.get().purpose_code == "call_back"
