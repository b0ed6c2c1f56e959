"""Revealing a customer's personal fields: the service, the page form and the API.

Every reveal writes exactly one access-log row and one audit entry; a refused or invalid
reveal writes neither; the plain values appear only in the answer, never in the access
row, the audit entry or the logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
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
from cases.models import Case, CaseStatus
from compliance.models import DataSubjectRequest, RequestChannel, RequestKind
from scoring.customers import reveal as reveal_module
from scoring.customers.access import AccessSource, PersonalDataAccess
from scoring.customers.reveal import customer_reveal, customer_reveal_with_access
from scoring.models import Customer
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NAME = "王小明"
PHONE = "13812345678"
NATIONAL_ID = "11010119900307123X"
PURPOSE = "Call back about the frozen limit"


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory(name=NAME, phone=PHONE, national_id=NATIONAL_ID)


@pytest.fixture(autouse=True)
def case(customer: Customer, officer: User) -> Case:
    """The officer's open case about the customer: the work most reveals here serve."""
    return CaseFactory(
        credit_line=CreditLineFactory(customer=customer),
        assignee=officer,
        status=CaseStatus.ASSIGNED,
    )


def _open_request(customer: Customer, recorded_by: User) -> DataSubjectRequest:
    return DataSubjectRequest.objects.create(
        customer=customer,
        kind=RequestKind.ACCESS,
        channel=RequestChannel.EMAIL,
        due_at=timezone.now() + timedelta(days=15),
        created_by=recorded_by,
    )


def _work(actor: User, customer: Customer) -> dict[str, Any]:
    """The work ``actor`` reveals for by default: a data-subject request for a privacy
    officer, the customer's case for everyone else."""
    if actor.groups.filter(name="privacy_officer").exists():
        return {"request_id": _open_request(customer, actor).pk}
    return {"case_id": Case.objects.filter(customer=customer).values_list("pk", flat=True).first()}


def _reveal(actor: User, customer: Customer, **overrides: Any) -> dict[str, str]:
    arguments: dict[str, Any] = {
        "customer_id": customer.pk,
        "fields": ["phone"],
        "purpose": PURPOSE,
        **_work(actor, customer),
        "source": AccessSource.PAGE,
        "ip_address": "10.1.2.3",
        **overrides,
    }
    return customer_reveal(actor=actor, **arguments)


def _reveal_audits() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="customer.revealed"))


def _nothing_written() -> bool:
    return not PersonalDataAccess.objects.exists() and not _reveal_audits()


def _assert_no_plain_values(text: str) -> None:
    for value in (NAME, PHONE, NATIONAL_ID):
        assert value not in text


# --- the service ---------------------------------------------------------------------------------


def test_an_officer_reveals_a_phone_for_a_purpose_and_one_access_row_records_it(
    officer: User, customer: Customer, case: Case
) -> None:
    values = _reveal(officer, customer, case_id=case.pk)

    assert values == {"phone": PHONE}
    access = PersonalDataAccess.objects.get()
    assert access.actor == officer
    assert access.actor_label == "officer"
    assert access.customer == customer
    assert access.fields == ["phone"]
    assert access.purpose == PURPOSE
    assert access.case_id == case.pk
    assert access.source == AccessSource.PAGE
    assert access.ip_address == "10.1.2.3"


def test_every_reveal_writes_one_audit_entry_with_ids_and_field_names_only(
    officer: User, customer: Customer, case: Case
) -> None:
    _reveal(officer, customer, fields=["phone", "name", "national_id"], case_id=case.pk)

    (entry,) = _reveal_audits()
    access = PersonalDataAccess.objects.get()
    assert entry.actor == officer
    assert (entry.target_type, entry.target_id) == ("scoring.customer", str(customer.pk))
    assert entry.data == {
        "access": access.pk,
        "fields": ["name", "phone", "national_id"],
        "case": case.pk,
        "source": "page",
        "purpose_code": "other",
        "empty_fields": [],
    }
    assert PURPOSE not in json.dumps(entry.data, ensure_ascii=False)


def test_two_reveals_write_two_rows_and_two_entries(officer: User, customer: Customer) -> None:
    _reveal(officer, customer)
    _reveal(officer, customer, fields=["name"])

    assert PersonalDataAccess.objects.count() == 2
    assert len(_reveal_audits()) == 2


@pytest.mark.parametrize("persona", ["officer", "supervisor", "privacy_officer"])
def test_officers_supervisors_and_privacy_officers_may_reveal(
    persona: str, request: pytest.FixtureRequest, customer: Customer
) -> None:
    assert _reveal(request.getfixturevalue(persona), customer, fields=["name"]) == {"name": NAME}


@pytest.mark.parametrize("persona", ["auditor", "admin_user"])
def test_auditors_and_administrators_may_not_reveal_and_nothing_is_written(
    persona: str, request: pytest.FixtureRequest, customer: Customer
) -> None:
    with pytest.raises(PermissionDenied):
        _reveal(request.getfixturevalue(persona), customer)
    assert _nothing_written()


def test_the_fields_come_back_in_a_fixed_order_whatever_order_was_asked(
    officer: User, customer: Customer
) -> None:
    values = _reveal(officer, customer, fields=["national_id", "name"])

    assert list(values) == ["name", "national_id"]
    assert PersonalDataAccess.objects.get().fields == ["name", "national_id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"fields": []}, "fields"),
        ({"fields": ["salary"]}, "fields"),
        ({"fields": [PHONE]}, "fields"),
        ({"fields": "phone"}, "fields"),
        ({"fields": ["phone", "phone"]}, "fields"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "  why "}, "purpose"),
        ({"purpose": "x" * 501}, "purpose"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(
    officer: User, customer: Customer, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _reveal(officer, customer, **overrides)

    assert field in caught.value.message_dict
    _assert_no_plain_values(str(caught.value))
    assert _nothing_written()


def test_a_case_about_another_customer_is_refused(officer: User, customer: Customer) -> None:
    other_case = CaseFactory()

    with pytest.raises(ValidationError) as caught:
        _reveal(officer, customer, case_id=other_case.pk)

    assert caught.value.message_dict == {"case": ["This case is not about this customer."]}
    assert _nothing_written()


def test_a_case_that_does_not_exist_is_refused(officer: User, customer: Customer) -> None:
    with pytest.raises(ValidationError) as caught:
        _reveal(officer, customer, case_id=987654)
    assert "case" in caught.value.message_dict
    assert _nothing_written()


def test_an_unknown_customer_is_not_found_and_nothing_is_written(officer: User) -> None:
    with pytest.raises(Customer.DoesNotExist):
        customer_reveal(
            actor=officer,
            customer_id=987654,
            fields=["phone"],
            purpose=PURPOSE,
            case_id=None,
            source=AccessSource.API,
            ip_address=None,
        )
    assert _nothing_written()


def test_an_erased_customer_reveals_empty_values_and_the_reveal_is_still_logged(
    officer: User,
) -> None:
    erased = CustomerFactory(name=None, phone=None, national_id=None)
    erased_case = CaseFactory(
        credit_line=CreditLineFactory(customer=erased), assignee=officer, status="assigned"
    )

    result = customer_reveal_with_access(
        actor=officer,
        customer_id=erased.pk,
        fields=["name", "phone"],
        purpose=PURPOSE,
        case_id=erased_case.pk,
        source=AccessSource.PAGE,
        ip_address=None,
    )

    assert result.values == {"name": "", "phone": ""}
    assert result.empty_fields == ["name", "phone"]
    assert PersonalDataAccess.objects.get().pk == result.access_id
    assert _reveal_audits()[0].data["empty_fields"] == ["name", "phone"]


def test_a_malformed_address_is_recorded_as_unknown_rather_than_failing(
    officer: User, customer: Customer
) -> None:
    _reveal(officer, customer, ip_address="not-an-address, 1.2.3.4")

    assert PersonalDataAccess.objects.get().ip_address is None


def test_the_access_row_and_the_audit_entry_are_written_together_or_not_at_all(
    officer: User, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_audit(**kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(reveal_module, "audit_record", failing_audit)

    with pytest.raises(RuntimeError):
        _reveal(officer, customer)
    assert not PersonalDataAccess.objects.exists()


def test_plain_values_never_reach_the_access_row_the_audit_entry_or_the_logs(
    officer: User, customer: Customer, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    values = _reveal(officer, customer, fields=["name", "phone", "national_id"], case_id=case.pk)

    assert values == {"name": NAME, "phone": PHONE, "national_id": NATIONAL_ID}
    access = PersonalDataAccess.objects.values().get()
    _assert_no_plain_values(json.dumps(access, default=str, ensure_ascii=False))
    (entry,) = AuditEntry.objects.filter(action="customer.revealed").values()
    _assert_no_plain_values(json.dumps(entry, default=str, ensure_ascii=False))
    assert "personal data revealed" in caplog.text
    _assert_no_plain_values(caplog.text)


def test_the_result_does_not_show_its_values_when_printed(
    officer: User, customer: Customer, case: Case
) -> None:
    result = customer_reveal_with_access(
        actor=officer,
        customer_id=customer.pk,
        fields=["phone"],
        purpose=PURPOSE,
        case_id=case.pk,
        source=AccessSource.PAGE,
        ip_address=None,
    )
    assert PHONE not in repr(result)


# --- the page --------------------------------------------------------------------------------


def _reveal_url(customer: Customer) -> str:
    return reverse("scoring:customer_reveal", args=[customer.pk])


def _form_data(customer: Customer, **overrides: Any) -> dict[str, Any]:
    prefix = f"reveal-{customer.pk}-"
    case_id = Case.objects.filter(customer=customer).values_list("pk", flat=True).first()
    data = {
        "personal_fields": ["phone"],
        "purpose_code": "other",
        "purpose": PURPOSE,
        "case": case_id or "",
        **overrides,
    }
    return {prefix + key: value for key, value in data.items()}


def _post_reveal(client: Client, customer: Customer, *, swap: bool = True, **data: Any) -> Any:
    headers = {"X-Requested-With": "fetch"} if swap else {}
    return client.post(_reveal_url(customer), _form_data(customer, **data), headers=headers)


def test_the_case_page_offers_an_officer_the_reveal_form_for_that_case(
    client: Client, officer: User, case: Case
) -> None:
    client.force_login(officer)

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert 'data-testid="reveal-form"' in page
    assert _reveal_url(case.customer) in page
    assert f'name="reveal-{case.customer.pk}-case" value="{case.pk}"' in page
    _assert_no_plain_values(page)


def test_an_auditor_sees_no_reveal_form_on_the_case_page(
    client: Client, auditor: User, case: Case
) -> None:
    client.force_login(auditor)

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert 'data-testid="customer"' in page
    assert 'data-testid="reveal-form"' not in page


def test_the_form_shows_the_plain_value_once_and_records_the_case(
    client: Client, officer: User, case: Case
) -> None:
    client.force_login(officer)

    response = _post_reveal(client, case.customer, case=str(case.pk))

    assert response.status_code == 200
    body = response.content.decode()
    assert PHONE in body
    assert NAME not in body
    assert "<html" not in body  # the partial alone, swapped in place
    assert "no-store" in response["Cache-Control"]
    access = PersonalDataAccess.objects.get()
    assert (access.source, access.case_id, access.fields) == ("page", case.pk, ["phone"])
    assert access.ip_address == "127.0.0.1"
    assert f'data-access="{access.pk}"' in body
    assert len(_reveal_audits()) == 1


def test_without_javascript_the_answer_is_a_whole_page(
    client: Client, officer: User, customer: Customer
) -> None:
    client.force_login(officer)

    response = _post_reveal(client, customer, swap=False, personal_fields=["name", "phone"])

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert NAME in body
    assert PHONE in body
    assert "no-store" in response["Cache-Control"]
    assert PersonalDataAccess.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"personal_fields": []}, "Choose at least one field to reveal."),
        ({"personal_fields": ["salary"]}, "Select a valid choice."),
        ({"purpose": "why"}, "For “other”, state why you need to see these details"),
    ],
)
def test_the_form_explains_bad_input_and_nothing_is_written(
    client: Client, officer: User, customer: Customer, data: dict[str, Any], message: str
) -> None:
    client.force_login(officer)

    response = _post_reveal(client, customer, **data)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert '<details class="reveal-details" open>' in body  # stays open, with its errors
    _assert_no_plain_values(body)
    assert _nothing_written()


def test_the_form_refuses_a_case_about_someone_else(
    client: Client, officer: User, customer: Customer
) -> None:
    client.force_login(officer)

    response = _post_reveal(client, customer, case=str(CaseFactory().pk))

    assert response.status_code == 400
    assert "This case is not about this customer." in response.content.decode()
    assert _nothing_written()


def test_an_auditor_posting_the_form_gets_403_and_nothing_is_written(
    client: Client, auditor: User, customer: Customer
) -> None:
    client.force_login(auditor)

    response = _post_reveal(client, customer)

    assert response.status_code == 403
    _assert_no_plain_values(response.content.decode())
    assert _nothing_written()


def test_an_unknown_customer_is_404_and_get_is_not_allowed(
    client: Client, officer: User, customer: Customer
) -> None:
    client.force_login(officer)

    assert client.post(reverse("scoring:customer_reveal", args=[987654]), {}).status_code == 404
    assert client.get(_reveal_url(customer)).status_code == 405
    assert _nothing_written()


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, customer: Customer) -> None:
    response = _post_reveal(client, customer)

    assert response.status_code == 302
    assert _nothing_written()


def test_the_customer_search_offers_a_reveal_form_per_customer_to_officers_only(
    client: Client, officer: User, auditor: User, customer: Customer
) -> None:
    search = reverse("scoring:customer_search")
    client.force_login(officer)
    page = client.post(search, {"term": PHONE}).content.decode()
    assert _reveal_url(customer) in page
    assert f'name="reveal-{customer.pk}-case"' in page
    _assert_no_plain_values(page)

    client.force_login(auditor)
    page = client.post(search, {"term": PHONE}).content.decode()
    assert f'data-customer="{customer.pk}"' in page
    assert _reveal_url(customer) not in page


def test_a_privacy_officer_reveals_from_the_customer_search(
    client: Client, privacy_officer: User, customer: Customer
) -> None:
    client.force_login(privacy_officer)
    page = client.post(reverse("scoring:customer_search"), {"term": PHONE}).content.decode()
    assert _reveal_url(customer) in page

    assert 'data-testid="reveal-work"' in page
    dsr = _open_request(customer, privacy_officer)

    response = _post_reveal(
        client, customer, personal_fields=["national_id"], case="", request=str(dsr.pk)
    )

    assert response.status_code == 200
    assert NATIONAL_ID in response.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.actor, access.case_id, access.request_id, access.fields) == (
        privacy_officer,
        None,
        dsr.pk,
        ["national_id"],
    )


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api_client() -> Callable[[User], APIClient]:
    def build(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return build


def _api_url(customer_id: int) -> str:
    return reverse("scoring_api:customer_reveal", args=[customer_id])


def test_the_api_reveals_the_plain_values_and_names_the_access_row(
    api_client: Callable[[User], APIClient], officer: User, case: Case
) -> None:
    response = api_client(officer).post(
        _api_url(case.customer_id),
        {"fields": ["phone", "national_id"], "purpose": PURPOSE, "case": case.pk},
        format="json",
    )

    assert response.status_code == 200, response.json()
    access = PersonalDataAccess.objects.get()
    assert response.json() == {
        "customer": case.customer_id,
        "fields": {"phone": PHONE, "national_id": NATIONAL_ID},
        "access": access.pk,
        "empty_fields": [],
    }
    assert response["Cache-Control"] == "no-store"
    assert (access.source, access.case_id) == ("api", case.pk)
    assert len(_reveal_audits()) == 1


def test_the_api_records_the_connecting_address_not_a_forged_header(
    api_client: Callable[[User], APIClient], officer: User, customer: Customer, case: Case
) -> None:
    api_client(officer).post(
        _api_url(customer.pk),
        {"fields": ["name"], "purpose": PURPOSE, "case": case.pk},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        REMOTE_ADDR="192.0.2.10",
    )

    assert PersonalDataAccess.objects.get().ip_address == "192.0.2.10"


def test_the_api_refuses_an_auditor_with_403_and_writes_nothing(
    api_client: Callable[[User], APIClient], auditor: User, customer: Customer
) -> None:
    response = api_client(auditor).post(
        _api_url(customer.pk), {"fields": ["phone"], "purpose": PURPOSE}, format="json"
    )

    assert response.status_code == 403
    assert "errors" in response.json()
    assert _nothing_written()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fields": "phone", "purpose": PURPOSE}, "fields"),
        ({"fields": [], "purpose": PURPOSE}, "fields"),
        ({"fields": ["iban"], "purpose": PURPOSE}, "fields"),
        ({"fields": ["phone"], "purpose": ""}, "purpose"),
        ({"fields": ["phone"]}, "purpose"),
        ({"fields": ["phone"], "purpose": PURPOSE, "case": "seven"}, "case"),
        ({"fields": ["phone"], "purpose": PURPOSE, "case": 987654}, "case"),
    ],
)
def test_the_api_answers_bad_input_with_400_by_field_and_writes_nothing(
    api_client: Callable[[User], APIClient],
    officer: User,
    customer: Customer,
    body: dict[str, Any],
    field: str,
) -> None:
    response = api_client(officer).post(_api_url(customer.pk), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert _nothing_written()


def test_the_api_answers_404_for_an_unknown_customer(
    api_client: Callable[[User], APIClient], officer: User
) -> None:
    response = api_client(officer).post(
        _api_url(987654), {"fields": ["phone"], "purpose": PURPOSE}, format="json"
    )

    assert response.status_code == 404
    assert "errors" in response.json()
    assert _nothing_written()


def test_the_api_asks_for_credentials(customer: Customer) -> None:
    response = APIClient().post(
        _api_url(customer.pk), {"fields": ["phone"], "purpose": PURPOSE}, format="json"
    )

    assert response.status_code == 401
    assert _nothing_written()
