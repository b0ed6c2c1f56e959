"""The personal-data access log as an auditor reads it: filters, unusual volume, the page,
the API, the export table, and the database's refusal to change the log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from compliance.access import selectors as access_log
from compliance.access.selectors import (
    AccessFilters,
    access_page,
    accesses,
    export_table,
    unusual_volume,
)
from scoring.customers.access import AccessSource, PersonalDataAccess
from scoring.models import Customer
from tests.factories.accounts import UserFactory
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("compliance:access_log")
API = reverse("personal_data_access_list")


def _access(
    actor: User,
    customer: Customer,
    *,
    ago: timedelta = timedelta(minutes=5),
    purpose: str = "Call back about the frozen limit",
    fields: list[str] | None = None,
    case_id: int | None = None,
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        at=timezone.now() - ago,
        actor=actor,
        actor_label=actor.username,
        customer=customer,
        fields=fields or ["phone"],
        purpose=purpose,
        case_id=case_id,
        source=AccessSource.PAGE,
        ip_address="10.0.0.1",
    )


def _officers(count: int) -> list[User]:
    return [UserFactory(username=f"volume{n}", roles=[Role.RISK_OFFICER]) for n in range(count)]


def _ids(rows: Any) -> list[int]:
    return [row.id for row in rows]


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory(name="王小明", phone="13812345678", external_id="CUST-0001")


# --- filters ---------------------------------------------------------------------------------


def test_filters_narrow_the_log_by_person_customer_time_and_purpose(
    officer: User, second_officer: User, customer: Customer
) -> None:
    other = CustomerFactory(external_id="CUST-0002")
    old = _access(officer, customer, ago=timedelta(days=10), purpose="Verify identity")
    mine = _access(officer, other, purpose="Call back about case 7")
    theirs = _access(second_officer, customer, purpose="Fraud check")
    now = timezone.now()

    assert _ids(accesses(AccessFilters())) == [theirs.id, mine.id, old.id]
    assert _ids(accesses(AccessFilters(actor="officer"))) == [mine.id, old.id]
    assert _ids(accesses(AccessFilters(customer="CUST-0001"))) == [theirs.id, old.id]
    assert _ids(accesses(AccessFilters(customer=str(other.pk)))) == [mine.id]
    assert _ids(accesses(AccessFilters(since=now - timedelta(days=1)))) == [theirs.id, mine.id]
    assert _ids(accesses(AccessFilters(until=now - timedelta(days=1)))) == [old.id]
    assert _ids(accesses(AccessFilters(purpose="CALL BACK"))) == [mine.id]
    assert _ids(accesses(AccessFilters(actor="officer", customer="CUST-0001"))) == [old.id]
    assert _ids(accesses(AccessFilters(actor="nobody"))) == []
    assert _ids(accesses(AccessFilters(customer="CUST-9999"))) == []


def test_keyset_pages_go_back_and_forth_without_gaps_or_repeats(
    officer: User, customer: Customer
) -> None:
    rows = [_access(officer, customer) for _ in range(7)]
    newest_first = [row.id for row in reversed(rows)]

    first = access_page(AccessFilters(), page_size=3)
    second = access_page(AccessFilters(), before=first.next_before, page_size=3)
    third = access_page(AccessFilters(), before=second.next_before, page_size=3)
    back = access_page(AccessFilters(), after=third.newer_after, page_size=3)

    assert _ids(first.rows) + _ids(second.rows) + _ids(third.rows) == newest_first
    assert first.newer_after is None
    assert third.next_before is None
    assert _ids(back.rows) == _ids(second.rows)


# --- unusual volume --------------------------------------------------------------------------


def test_an_officer_revealing_far_more_than_peers_is_flagged(customer: Customer) -> None:
    quiet, usual, busy, outlier = _officers(4)
    for actor, count in ((quiet, 2), (usual, 3), (busy, 4), (outlier, 40)):
        for _ in range(count):
            _access(actor, customer)

    report = unusual_volume(timezone.now() - timedelta(days=1), timezone.now())

    assert report.median == 3.5
    assert report.threshold == 10.5
    assert [(a.username, a.reveals, a.flagged) for a in report.actors] == [
        ("volume3", 40, True),
        ("volume2", 4, False),
        ("volume1", 3, False),
        ("volume0", 2, False),
    ]
    assert [a.username for a in report.flagged] == ["volume3"]
    assert report.actors[0].customers == 1


def test_a_small_count_is_not_flagged_even_at_three_times_the_median(customer: Customer) -> None:
    one, two, three = _officers(3)
    for actor, count in ((one, 1), (two, 1), (three, 9)):
        for _ in range(count):
            _access(actor, customer)

    report = unusual_volume(None, None)

    assert report.median == 1
    assert report.flagged == []  # 9 is nine times the median, but under the floor of 10


def test_only_reveals_inside_the_window_count(customer: Customer) -> None:
    one, two, three = _officers(3)
    for actor in (one, two):
        _access(actor, customer)
    for _ in range(12):
        _access(three, customer, ago=timedelta(days=40))
    _access(three, customer)

    report = unusual_volume(timezone.now() - timedelta(days=30), timezone.now())

    assert {a.username: a.reveals for a in report.actors} == {
        "volume0": 1,
        "volume1": 1,
        "volume2": 1,
    }
    assert report.flagged == []


def test_nobody_is_flagged_without_peers(customer: Customer) -> None:
    (alone,) = _officers(1)
    for _ in range(50):
        _access(alone, customer)

    assert unusual_volume(None, None).flagged == []
    assert unusual_volume(timezone.now() + timedelta(days=1), None).actors == []


# --- the page --------------------------------------------------------------------------------


def test_an_auditor_reads_the_log_with_the_customer_by_number_and_no_values(
    client: Client, auditor: User, officer: User, customer: Customer
) -> None:
    row = _access(officer, customer, fields=["name", "phone"], case_id=42)
    client.force_login(auditor)

    response = client.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-access="{row.id}"' in body
    assert "CUST-0001" in body
    assert "Name, Mobile number" in body
    assert "Call back about the frozen limit" in body
    assert "王小明" not in body
    assert "13812345678" not in body
    assert 'data-testid="unusual-volume"' in body


def test_the_page_shows_who_stands_out(client: Client, auditor: User, customer: Customer) -> None:
    actors = _officers(4)
    for actor, count in zip(actors, (1, 2, 2, 15), strict=True):
        for _ in range(count):
            _access(actor, customer)
    client.force_login(auditor)

    body = client.get(PAGE).content.decode()

    assert '<tr data-actor="volume3" data-flagged="true">' in body
    assert '<tr data-actor="volume0">' in body
    assert 'id="chart-access-volume"' in body


def test_the_page_filters_by_officer(
    client: Client, auditor: User, officer: User, second_officer: User, customer: Customer
) -> None:
    mine = _access(officer, customer)
    theirs = _access(second_officer, customer)
    client.force_login(auditor)

    body = client.get(PAGE, {"actor": "officer2"}).content.decode()

    assert f'data-access="{theirs.id}"' in body
    assert f'data-access="{mine.id}"' not in body


def test_bad_filters_are_explained_with_400(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    response = client.get(PAGE, {"since": "yesterday-ish"})

    assert response.status_code == 400
    assert 'data-testid="error-since"' in response.content.decode()


EXTREME_DATES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59:59"]


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("value", EXTREME_DATES)
def test_a_date_at_the_ends_of_the_calendar_is_a_form_error_not_a_crash(
    client: Client, auditor: User, name: str, value: str
) -> None:
    client.force_login(auditor)

    response = client.get(PAGE, {name: value})

    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-testid="error-{name}"' in body
    assert "between the years 1900 and 2999" in body


def test_the_earliest_and_latest_years_a_filter_may_name_still_work(
    client: Client, auditor: User
) -> None:
    client.force_login(auditor)

    assert client.get(PAGE, {"until": "1900-01-01"}).status_code == 200
    assert client.get(PAGE, {"since": "2999-12-31T23:59"}).status_code == 200


@pytest.mark.parametrize("persona", ["officer", "supervisor", "privacy_officer", "admin_user"])
def test_only_auditors_open_the_access_log(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))

    assert client.get(PAGE).status_code == 403


def test_the_export_links_carry_the_filters_once_exports_exist(
    client: Client, auditor: User
) -> None:
    client.force_login(auditor)

    body = client.get(PAGE, {"actor": "officer"}).content.decode()

    try:
        base = reverse("compliance:export", args=["access"])
    except NoReverseMatch:
        assert 'data-testid="access-export"' not in body
    else:
        assert f"{base}?actor=officer&amp;format=csv" in body
        assert f"{base}?actor=officer&amp;format=json" in body


@pytest.mark.parametrize("rows", [3, 60])
def test_the_page_query_count_does_not_grow_with_the_log(
    client: Client,
    auditor: User,
    customer: Customer,
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    actors = _officers(5)
    for n in range(rows):
        _access(actors[n % 5], CustomerFactory() if n % 7 == 0 else customer, case_id=n or None)
    client.force_login(auditor)
    client.get(PAGE)

    with django_assert_max_num_queries(9):
        response = client.get(PAGE)
    assert response.status_code == 200


# --- the API ---------------------------------------------------------------------------------


def _api(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _walk(client: APIClient, url: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {"results", "next", "previous"}
        yield from body["results"]
        if not body["next"]:
            return
        response = client.get(body["next"])


def test_an_auditor_pages_through_the_log_newest_first_with_cursors(
    auditor: User, officer: User, customer: Customer
) -> None:
    rows = [_access(officer, customer, case_id=7) for _ in range(5)]

    results = list(_walk(_api(auditor), API, {"page_size": 2}))

    assert [r["id"] for r in results] == [row.id for row in reversed(rows)]
    assert results[0] == {
        "id": rows[-1].id,
        "at": results[0]["at"],
        "actor": "officer",
        "actor_id": officer.pk,
        "customer": customer.pk,
        "customer_external_id": "CUST-0001",
        "fields": ["phone"],
        "purpose_code": "",
        "purpose": "Call back about the frozen limit",
        "case": 7,
        "request": None,
        "source": "page",
        "ip_address": "10.0.0.1",
    }


def test_the_api_filters_by_actor_customer_and_time(
    auditor: User, officer: User, second_officer: User, customer: Customer
) -> None:
    other = CustomerFactory(external_id="CUST-0002")
    old = _access(officer, customer, ago=timedelta(days=3))
    mine = _access(officer, other)
    theirs = _access(second_officer, customer)
    client = _api(auditor)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    def ids(**params: Any) -> list[int]:
        return [r["id"] for r in _walk(client, API, params)]

    assert ids(actor="officer") == [mine.id, old.id]
    assert ids(customer="CUST-0001") == [theirs.id, old.id]
    assert ids(customer=str(other.pk)) == [mine.id]
    assert ids(since=since) == [theirs.id, mine.id]
    assert ids(until=since) == [old.id]


def test_the_api_refuses_bad_filters_with_400(auditor: User) -> None:
    response = _api(auditor).get(API, {"since": "soon"})

    assert response.status_code == 400
    assert "since" in response.json()["errors"]


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("value", EXTREME_DATES)
def test_the_api_refuses_a_date_at_the_ends_of_the_calendar_with_400(
    auditor: User, name: str, value: str
) -> None:
    response = _api(auditor).get(API, {name: value})

    assert response.status_code == 400
    assert name in response.json()["errors"]


@pytest.mark.parametrize("persona", ["officer", "supervisor", "privacy_officer"])
def test_only_auditors_read_the_log_through_the_api(
    request: pytest.FixtureRequest, persona: str
) -> None:
    response = _api(request.getfixturevalue(persona)).get(API)

    assert response.status_code == 403
    assert "errors" in response.json()


def test_the_api_asks_for_credentials() -> None:
    assert APIClient().get(API).status_code == 401


@pytest.mark.parametrize("rows", [3, 60])
def test_the_api_query_count_does_not_grow_with_the_log(
    auditor: User, officer: User, customer: Customer, rows: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(rows):
        _access(officer, customer)
    client = _api(auditor)
    client.get(API)

    with django_assert_max_num_queries(5):
        response = client.get(API)
    assert len(response.json()["results"]) == min(rows, 50)


# --- the export table ------------------------------------------------------------------------


def test_the_export_table_streams_masked_rows_with_its_filters(
    officer: User, second_officer: User, customer: Customer
) -> None:
    first = _access(officer, customer, fields=["name", "national_id"], case_id=9)
    _access(second_officer, customer)

    table = export_table({"actor": "officer", "format": "csv"})

    assert table.kind == "access"
    assert table.filters == {"actor": "officer"}
    assert list(table.columns) == list(access_log.EXPORT_COLUMNS)
    assert not isinstance(table.rows, list | tuple)  # lazy: nothing read yet
    (row,) = list(table.rows)
    assert row[0] == first.id
    assert row[2:] == (
        "officer",
        "CUST-0001",
        "name;national_id",
        "Call back about the frozen limit",
        9,
        "page",
        "10.0.0.1",
    )
    assert "王小明" not in repr(row)
    assert "13812345678" not in repr(row)


def test_the_export_table_refuses_bad_filters() -> None:
    with pytest.raises(ValidationError) as caught:
        export_table({"until": "2026-01-01T00:00", "since": "2026-02-01T00:00"})
    assert "until" in caught.value.message_dict


# --- the database protects the log -----------------------------------------------------------


def _sql(statement: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_database_refuses_to_change_an_access_row(officer: User, customer: Customer) -> None:
    row = _access(officer, customer)

    with pytest.raises(IntegrityError, match="append-only"):
        _sql(
            "UPDATE compliance_personaldataaccess SET purpose = 'nothing to see' WHERE id = %s",
            [row.id],
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=row.pk).update(fields=[])
    assert PersonalDataAccess.objects.get(pk=row.pk).purpose == row.purpose


def test_the_database_refuses_to_delete_a_row_younger_than_six_months(
    officer: User, customer: Customer
) -> None:
    row = _access(officer, customer, ago=timedelta(days=182))

    with pytest.raises(IntegrityError, match="DELETE refused"):
        _sql("DELETE FROM compliance_personaldataaccess WHERE id = %s", [row.id])
    assert PersonalDataAccess.objects.filter(pk=row.pk).exists()


def test_a_row_older_than_six_months_may_be_deleted_by_retention(
    officer: User, customer: Customer
) -> None:
    row = _access(officer, customer, ago=timedelta(days=200))

    _sql("DELETE FROM compliance_personaldataaccess WHERE id = %s", [row.id])

    assert not PersonalDataAccess.objects.filter(pk=row.pk).exists()


def test_the_export_filters_read_back_to_the_same_rows(officer: User, customer: Customer) -> None:
    _access(officer, customer, ago=timedelta(days=3))
    recent = _access(officer, customer)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    params = {"since": since, "actor": "officer", "purpose": "frozen"}

    table = export_table(params)
    again = export_table(table.filters)

    assert again.filters == table.filters
    assert [row[0] for row in again.rows] == [recent.id]


def test_an_auditor_downloads_the_filtered_access_log_as_csv(
    client: Client, auditor: User, officer: User, second_officer: User, customer: Customer
) -> None:
    try:
        url = reverse("compliance:export", args=["access"])
    except NoReverseMatch:
        pytest.skip("the export route is not there yet")
    mine = _access(officer, customer)
    _access(second_officer, customer)
    client.force_login(auditor)

    response = client.get(url, {"actor": "officer", "format": "csv"})

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # Excel wants a BOM
    lines = text.strip().splitlines()
    assert lines[0].split(",")[:4] == ["id", "at", "actor", "customer"]
    assert len(lines) == 2
    assert lines[1].startswith(f"{mine.id},")
    assert "CUST-0001" in lines[1]
    assert "王小明" not in text
    assert "13812345678" not in text
