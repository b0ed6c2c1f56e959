"""The shown-but-unusable list and the customer search, as staff use them."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEntry
from scoring import selectors
from scoring.models import CreditLine, CreditLineState, ReasonCode
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LINES = reverse("scoring:unusable_lines")
SEARCH = reverse("scoring:customer_search")


def _line_ids(response: Any) -> list[int]:
    return [int(i) for i in re.findall(r'data-line="(\d+)"', response.content.decode())]


def _unusable_line(**customer: Any) -> CreditLine:
    line = CreditLineFactory(customer=CustomerFactory(**customer), usable_limit=Decimal("0"))
    return line


@pytest.fixture
def officer_client(client: Client, officer: User) -> Client:
    client.force_login(officer)
    return client


# --- who may open what ------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in (LINES, SEARCH):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", ["officer", "supervisor", "auditor"])
def test_officers_supervisors_and_auditors_open_both_pages(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(LINES).status_code == 200
    assert client.get(SEARCH).status_code == 200


def test_a_privacy_officer_can_search_customers_but_not_list_credit_lines(
    client: Client, privacy_officer: User
) -> None:
    client.force_login(privacy_officer)
    assert client.get(SEARCH).status_code == 200
    assert client.get(LINES).status_code == 403


def test_an_administrator_sees_neither_customers_nor_credit_lines(
    client: Client, admin_user: User
) -> None:
    client.force_login(admin_user)
    assert client.get(LINES).status_code == 403
    assert client.get(SEARCH).status_code == 403


# --- the unusable-lines list ------------------------------------------------------------------


def test_the_list_shows_unusable_lines_masked_with_their_reasons(officer_client: Client) -> None:
    healthy = CreditLineFactory()
    line = _unusable_line(name="王小明", phone="13811112222")
    BlockFactory(credit_line=line, reason_code=ReasonCode.KYC_EXPIRED)

    response = officer_client.get(LINES)

    html = response.content.decode()
    assert _line_ids(response) == [line.pk]
    assert healthy.pk not in _line_ids(response)
    assert "王*" in html
    assert "138****2222" in html
    assert "王小明" not in html
    assert "13811112222" not in html
    assert "¥5,000.00" in html
    assert 'data-reason="KYC_EXPIRED"' in html
    assert "Identity document expired" in html
    assert "The identity document on file has expired" in html  # the tooltip
    assert "1 line matches." in html


def test_the_list_is_translated_into_chinese(officer_client: Client) -> None:
    line = _unusable_line()
    BlockFactory(credit_line=line, reason_code=ReasonCode.KYC_EXPIRED)
    response = officer_client.get(LINES, headers={"accept-language": "zh-hans"})
    html = response.content.decode()
    assert "额度可见但不可用" in html
    assert "证件已过期" in html


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"reason_code": "GEO_ANOMALY"}, {"geo"}),
        ({"product": "cash_line"}, {"cash"}),
        ({"city": "北京"}, {"beijing"}),
        ({"state": "frozen"}, {"frozen"}),
        ({"reason_code": "VELOCITY", "city": "北京"}, set()),
    ],
)
def test_filters_narrow_the_list(
    officer_client: Client, filters: dict[str, str], expected: set[str]
) -> None:
    geo = CreditLineFactory()
    BlockFactory(credit_line=geo, reason_code=ReasonCode.GEO_ANOMALY)
    lines = {
        "geo": geo,
        "cash": CreditLineFactory(product="cash_line", usable_limit=Decimal("0")),
        "beijing": _unusable_line(city="北京"),
        "frozen": CreditLineFactory(state=CreditLineState.FROZEN, usable_limit=Decimal("0")),
    }
    response = officer_client.get(LINES, filters)
    assert response.status_code == 200
    assert set(_line_ids(response)) == {lines[name].pk for name in expected}


@pytest.mark.parametrize(
    "query",
    [
        {"reason_code": "NOT_A_CODE"},
        {"state": "closed"},
        {"product": "mortgage"},
        {"cursor": "abc"},
        {"cursor": "-5"},
        {"cursor": "9" * 30},
        {"cursor": "x" * 600},
        {"city": "x" * 200},
        {"city": "a\x00b"},
    ],
)
def test_bad_filters_give_a_form_error_not_a_server_error(
    officer_client: Client, query: dict[str, str]
) -> None:
    _unusable_line()
    response = officer_client.get(LINES, query)
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert _line_ids(response) == []


def test_pages_follow_a_keyset_cursor_without_gaps_or_repeats(officer_client: Client) -> None:
    lines = [_unusable_line() for _ in range(55)]

    first = officer_client.get(LINES)
    html = first.content.decode()
    assert len(_line_ids(first)) == 50
    assert "55 lines match." in html
    assert 'rel="prev"' not in html
    next_url = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', html)
    assert next_url is not None
    second = officer_client.get(f"{LINES}?{next_url.group(1).replace('&amp;', '&')}")

    seen = _line_ids(first) + _line_ids(second)
    assert seen == sorted((line.pk for line in lines), reverse=True)
    second_html = second.content.decode()
    assert 'rel="next"' not in second_html
    assert "55 lines match." in second_html
    previous_url = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="prev"', second_html)
    assert previous_url is not None
    back = officer_client.get(f"{LINES}?{previous_url.group(1).replace('&amp;', '&')}")
    assert _line_ids(back) == _line_ids(first)


def test_the_next_page_keeps_the_filters(officer_client: Client) -> None:
    for _ in range(52):
        _unusable_line(city="北京")
    html = officer_client.get(LINES, {"city": "北京"}).content.decode()
    link = re.search(r'href="\?([^"]*)" rel="next"', html)
    assert link is not None
    assert "city=" in link.group(1)


def test_large_results_are_counted_only_up_to_the_cap(
    officer_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for _ in range(5):
        _unusable_line()
    html = officer_client.get(LINES).content.decode()
    assert "More than 3 lines match." in html


def _queries_for_list(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LINES).status_code == 200
    return len(captured)


def test_the_list_runs_the_same_few_queries_for_5_or_50_rows(
    officer_client: Client, django_assert_max_num_queries: Any
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            line = _unusable_line()
            BlockFactory(credit_line=line, reason_code=ReasonCode.VELOCITY)
            if i % 2:
                BlockFactory(credit_line=line, reason_code=ReasonCode.DEVICE_ANOMALY)

    add(5)
    with_five = _queries_for_list(officer_client)
    add(45)
    with django_assert_max_num_queries(with_five):
        response = officer_client.get(LINES)
    assert len(_line_ids(response)) == 50
    assert with_five <= 10


# --- customer search --------------------------------------------------------------------------


def test_searching_by_mobile_number_finds_the_customer_without_echoing_the_number(
    officer_client: Client,
) -> None:
    customer = CustomerFactory(name="李小龙", phone="13912345678", national_id="11010519491231002X")
    CreditLineFactory(customer=customer)
    CustomerFactory(phone="13900000000")

    response = officer_client.post(SEARCH, {"term": "139 1234 5678"})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-customer="{customer.pk}"' in html
    assert html.count("data-customer=") == 1
    assert "139****5678" in html
    assert "13912345678" not in html
    assert "139 1234 5678" not in html
    assert "李小龙" not in html
    assert "李**" in html
    assert "11010519491231002X" not in html
    assert "110***********002X" in html
    assert "Pay later" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("term", ["11010519491231002x", "TEST-LOOKUP-1"])
def test_searching_by_id_number_or_external_id_finds_the_customer(
    officer_client: Client, term: str
) -> None:
    customer = CustomerFactory(external_id="TEST-LOOKUP-1", national_id="11010519491231002X")
    html = officer_client.post(SEARCH, {"term": term}).content.decode()
    assert f'data-customer="{customer.pk}"' in html


def test_a_search_with_no_match_says_so(officer_client: Client) -> None:
    CustomerFactory(phone="13912345678")
    html = officer_client.post(SEARCH, {"term": "13700000000"}).content.decode()
    assert "0 customers found for 137****0000." in html
    assert "13700000000" not in html


def test_an_unrecognised_term_is_an_error_that_does_not_repeat_it(officer_client: Client) -> None:
    response = officer_client.post(SEARCH, {"term": "1391234567 ?"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a mobile number, an ID number or a customer number." in html
    assert "1391234567" not in html
    assert not AuditEntry.objects.filter(action="customer.searched").exists()


def test_a_search_term_in_the_query_string_is_ignored(officer_client: Client) -> None:
    CustomerFactory(phone="13912345678")
    html = officer_client.get(SEARCH, {"term": "13912345678"}).content.decode()
    assert "data-customer=" not in html
    assert not AuditEntry.objects.filter(action="customer.searched").exists()


def test_the_search_needs_a_csrf_token(officer: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(SEARCH, {"term": "13912345678"}).status_code == 403


def test_a_privacy_officer_searches_and_the_search_is_audited(
    client: Client, privacy_officer: User
) -> None:
    customer = CustomerFactory(phone="13912345678")
    client.force_login(privacy_officer)
    html = client.post(SEARCH, {"term": "+86 139 1234 5678"}).content.decode()
    assert f'data-customer="{customer.pk}"' in html
    entry = AuditEntry.objects.get(action="customer.searched")
    assert entry.actor == privacy_officer
    assert "13912345678" not in str(entry.data)
