"""One read path per list: for the audit log, the history, the personal-data access log and
the privacy requests, the page, the API and the export (where there is one) return the same
rows in the same order for every filter, and refuse the same bad filters: a date at the
ends of the calendar is the page's form error, the API's 400 and the export start's 400,
never a server error.

The audit export is the one deliberate difference in order: it is the page's rows in chain
order (oldest first), so its ``prev_hash`` links read forward.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.history_rows import save_with_history
from audit.log import audit_record
from audit.models import AuditEntry
from compliance.exports.kinds import EXPORT_KINDS
from compliance.models import ExportRecord, RequestChannel, RequestKind, RequestStatus
from compliance.privacy.services import privacy_request_create, privacy_request_refuse
from portal.permissions import SystemActor
from scoring.customers.access import AccessSource, PersonalDataAccess
from scoring.models import Customer
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["0001-01-01", "9999-12-31"]
Params = dict[str, str]


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _page_rows(user: User, url: str, params: Params, rows: Callable[[Any], Iterable[Any]]) -> list:
    response = _web(user).get(url, params)
    assert response.status_code == 200, response.content[:500]
    return list(rows(response.context["page"]))


def _api_rows(user: User, url: str, params: Params, key: Callable[[dict], Any]) -> list:
    response = _api(user).get(url, params)
    assert response.status_code == 200, response.content[:500]
    return [key(row) for row in response.json()["results"]]


def _export_rows(kind: str, params: Params, key: Callable[[tuple], Any]) -> list:
    """What the export start streams for these parameters: the kind's ``export_table``."""
    table = EXPORT_KINDS[kind].export_table(params)
    return [key(tuple(row)) for row in table.rows]


def _assert_refused_everywhere(
    user: User, page: str, api: str, kind: str | None, params: Params, field: str
) -> None:
    page_response = _web(user).get(page, params)
    assert page_response.status_code == 400
    form = page_response.context.get("form") or page_response.context.get("filter_form")
    assert field in form.errors

    api_response = _api(user).get(api, params)
    assert api_response.status_code == 400
    assert field in api_response.json()["errors"]

    if kind is not None:
        exports_before = ExportRecord.objects.count()
        export = _web(user).get(
            reverse("compliance:export", args=[kind]), {**params, "format": "csv"}
        )
        assert export.status_code == 400
        assert ExportRecord.objects.count() == exports_before  # nothing was started


# --- the audit log ----------------------------------------------------------------------------

AUDIT_PAGE = reverse("compliance:audit_log")
AUDIT_API = "/api/v1/audit/entries/"


@pytest.fixture
def audit_world(officer: User, second_officer: User) -> dict[str, Any]:
    customer = CustomerFactory()
    case = CaseFactory(credit_line__customer=customer)
    system = SystemActor("rules")
    written = [
        audit_record(
            actor=officer, action="case.opened", target=case, data={"customer": customer.pk}
        ),
        audit_record(
            actor=officer, action="credit_line.usable_limit_set", target=("scoring.creditline", "7")
        ),
        audit_record(actor=system, action="credit_line.opened", target=("scoring.creditline", "7")),
        audit_record(actor=second_officer, action="customer.revealed", target=customer),
        audit_record(actor=second_officer, action="case.note_added", target=case),
        audit_record(actor=system, action="case.sla_breached", target=case),
    ]
    middle = written[3].created_at
    return {
        "case": str(case.pk),
        "customer": str(customer.pk),
        "middle": middle.isoformat(),
        "after_all": (written[-1].created_at + timedelta(seconds=1)).isoformat(),
    }


AUDIT_FILTERS: list[Callable[[dict[str, Any]], Params]] = [
    lambda w: {},
    lambda w: {"case": w["case"]},
    lambda w: {"customer": w["customer"]},
    lambda w: {"actor": "officer"},
    lambda w: {"actor": "system:rules"},
    lambda w: {"action": "credit_line."},
    lambda w: {"action": "case.opened"},
    lambda w: {"target_type": "scoring.creditline", "target_id": "7"},
    lambda w: {"since": w["middle"]},
    lambda w: {"until": w["middle"]},
    lambda w: {"since": w["middle"], "until": w["after_all"], "case": w["case"]},
    lambda w: {"actor": "officer2", "action": "case."},
]


@pytest.mark.parametrize("make_params", AUDIT_FILTERS)
def test_audit_page_api_and_export_return_the_same_entries(
    auditor: User, audit_world: dict[str, Any], make_params: Callable[..., Params]
) -> None:
    params = make_params(audit_world)

    page = _page_rows(auditor, AUDIT_PAGE, params, lambda p: (e.id for e in p.entries))
    api = _api_rows(auditor, AUDIT_API, {**params, "page_size": "500"}, lambda row: row["id"])
    export = _export_rows("audit", params, lambda row: row[0])

    assert page, f"the filter {params} should find entries"
    assert page == sorted(page, reverse=True)  # newest first
    assert api == page
    assert export == list(reversed(page))  # the same rows, in chain order


def test_the_audit_export_endpoint_streams_the_pages_rows(
    auditor: User, audit_world: dict[str, Any]
) -> None:
    params = {"action": "credit_line.", "actor": "officer"}
    page = _page_rows(auditor, AUDIT_PAGE, params, lambda p: (e.id for e in p.entries))

    response = _web(auditor).get(
        reverse("compliance:export", args=["audit"]), {**params, "format": "json"}
    )

    assert response.status_code == 200
    exported = [row["id"] for row in json.loads(b"".join(response.streaming_content))]
    assert exported
    assert exported == list(reversed(page))


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["since", "until"])
def test_audit_dates_out_of_range_are_refused_on_page_api_and_export(
    auditor: User, field: str, value: str
) -> None:
    _assert_refused_everywhere(auditor, AUDIT_PAGE, AUDIT_API, "audit", {field: value}, field)


@pytest.mark.parametrize(
    ("params", "field"), [({"case": "0"}, "case"), ({"customer": "x"}, "customer")]
)
def test_bad_audit_ids_are_refused_alike(auditor: User, params: Params, field: str) -> None:
    _assert_refused_everywhere(auditor, AUDIT_PAGE, AUDIT_API, "audit", params, field)


# --- history ----------------------------------------------------------------------------------


@pytest.fixture
def history_world(officer: User, second_officer: User) -> dict[str, Any]:
    customer = CustomerFactory(city="上海")
    for actor, city in ((officer, "北京"), (second_officer, "广州"), (officer, "深圳")):
        customer.city = city
        save_with_history(customer, actor=actor, reason="customer.updated", fields=["city"])
    customer.city = "杭州"
    save_with_history(
        customer,
        actor=SystemActor("sync"),
        reason="customer.synced by system:sync",
        fields=["city"],
    )
    today = timezone.localdate()
    return {
        "customer": customer,
        "today": today.isoformat(),
        "yesterday": (today - timedelta(days=1)).isoformat(),
    }


HISTORY_FILTERS: list[Callable[[dict[str, Any]], Params]] = [
    lambda w: {},
    lambda w: {"since": w["today"]},
    lambda w: {"until": w["today"]},
    lambda w: {"since": w["yesterday"], "until": w["today"]},
    lambda w: {"action": "changed"},
    lambda w: {"action": "created"},
    lambda w: {"actor": "officer"},
    lambda w: {"actor": "system"},
    lambda w: {"actor": "system:sync", "action": "changed"},
]


def _version_keys(page: Any) -> list[tuple[str, int]]:
    return [(version.kind, version.history_id) for version in page.versions]


def _distinct_in_order(keys: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    for key in keys:
        if not seen or seen[-1] != key:
            seen.append(key)
    return seen


@pytest.mark.parametrize("subject", ["customer", "officer"])
@pytest.mark.parametrize("make_params", HISTORY_FILTERS)
def test_history_page_api_and_export_return_the_same_versions(
    auditor: User,
    officer: User,
    history_world: dict[str, Any],
    subject: str,
    make_params: Callable[..., Params],
) -> None:
    params = make_params(history_world)
    pk = history_world["customer"].pk if subject == "customer" else officer.pk
    page_url = reverse("compliance:history_object", args=[subject, pk])
    api_url = f"/api/v1/history/{subject}/{pk}/"

    page = _page_rows(auditor, page_url, params, _version_keys)
    api = _api_rows(
        auditor, api_url, {**params, "page_size": "100"}, lambda v: (v["model"], v["history_id"])
    )
    export = _distinct_in_order(
        _export_rows("history", {**params, "model": subject, "id": str(pk)}, lambda r: (r[0], r[2]))
    )

    assert api == page
    assert export == page


def test_history_filters_find_what_they_name(auditor: User, history_world: dict[str, Any]) -> None:
    pk = history_world["customer"].pk
    url = reverse("compliance:history_object", args=["customer", pk])

    def count(params: Params) -> int:
        return len(_page_rows(auditor, url, params, _version_keys))

    assert count({}) == 5
    assert count({"action": "created"}) == 1
    assert count({"actor": "officer"}) == 2
    assert count({"actor": "system:sync"}) == 1
    assert count({"until": history_world["yesterday"]}) == 0


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["since", "until"])
def test_history_dates_out_of_range_are_refused_on_page_api_and_export(
    auditor: User, customer_for_history: Customer, field: str, value: str
) -> None:
    pk = customer_for_history.pk
    _assert_refused_everywhere(
        auditor,
        reverse("compliance:history_object", args=["customer", pk]),
        f"/api/v1/history/customer/{pk}/",
        "history",
        {field: value, "model": "customer", "id": str(pk)},
        field,
    )


@pytest.fixture
def customer_for_history(officer: User) -> Customer:
    person = CustomerFactory()
    person.city = "南京"
    save_with_history(person, actor=officer, reason="customer.updated", fields=["city"])
    return person


def test_a_bad_history_action_is_refused_alike(
    auditor: User, customer_for_history: Customer
) -> None:
    pk = customer_for_history.pk
    _assert_refused_everywhere(
        auditor,
        reverse("compliance:history_object", args=["customer", pk]),
        f"/api/v1/history/customer/{pk}/",
        "history",
        {"action": "renamed", "model": "customer", "id": str(pk)},
        "action",
    )


# --- the personal-data access log -------------------------------------------------------------

ACCESS_PAGE = reverse("compliance:access_log")
ACCESS_API = "/api/v1/audit/personal-data-access/"


@pytest.fixture
def access_world(officer: User, second_officer: User) -> dict[str, Any]:
    first = CustomerFactory(external_id="CUST-A")
    second = CustomerFactory(external_id="CUST-B")
    now = timezone.now()
    plan = [
        (officer, first, 50, "Call back about the frozen limit"),
        (officer, second, 40, "Check the fraud alert"),
        (second_officer, first, 30, "Call back about the limit"),
        (second_officer, second, 20, "Verify identity"),
        (officer, first, 10, "Fraud review"),
    ]
    for actor, customer, minutes, purpose in plan:
        PersonalDataAccess.objects.create(
            at=now - timedelta(minutes=minutes),
            actor=actor,
            actor_label=actor.username,
            customer=customer,
            fields=["phone"],
            purpose=purpose,
            source=AccessSource.PAGE,
            ip_address="10.0.0.1",
        )
    return {
        "first": first,
        "middle": (now - timedelta(minutes=25)).isoformat(),
        "later": (now - timedelta(minutes=5)).isoformat(),
    }


ACCESS_FILTERS: list[Callable[[dict[str, Any]], Params]] = [
    lambda w: {},
    lambda w: {"actor": "officer"},
    lambda w: {"customer": "CUST-A"},
    lambda w: {"customer": str(w["first"].pk)},
    lambda w: {"purpose": "call back"},
    lambda w: {"since": w["middle"]},
    lambda w: {"until": w["middle"]},
    lambda w: {"since": w["middle"], "until": w["later"], "actor": "officer2"},
]


@pytest.mark.parametrize("make_params", ACCESS_FILTERS)
def test_access_page_api_and_export_return_the_same_rows(
    auditor: User, access_world: dict[str, Any], make_params: Callable[..., Params]
) -> None:
    params = make_params(access_world)

    page = _page_rows(auditor, ACCESS_PAGE, params, lambda p: (row.id for row in p.rows))
    api = _api_rows(auditor, ACCESS_API, {**params, "page_size": "200"}, lambda row: row["id"])
    export = _export_rows("access", params, lambda row: row[0])

    assert page, f"the filter {params} should find rows"
    assert page == sorted(page, reverse=True)
    assert api == page
    assert export == page


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["since", "until"])
def test_access_dates_out_of_range_are_refused_on_page_api_and_export(
    auditor: User, field: str, value: str
) -> None:
    _assert_refused_everywhere(auditor, ACCESS_PAGE, ACCESS_API, "access", {field: value}, field)


# --- privacy requests -------------------------------------------------------------------------

PRIVACY_PAGE = reverse("compliance:privacy_requests")
PRIVACY_API = "/api/v1/privacy/requests/"


@pytest.fixture
def privacy_world(privacy_officer: User) -> None:
    now = timezone.now()
    plan = [
        (RequestKind.ACCESS, 40),
        (RequestKind.DELETE, 30),
        (RequestKind.ACCESS, 20),
        (RequestKind.CORRECT, 10),
        (RequestKind.EXPLAIN, 5),
    ]
    created = [
        privacy_request_create(
            actor=privacy_officer,
            customer_id=CustomerFactory().pk,
            kind=kind,
            channel=RequestChannel.values[0],
            received_at=now - timedelta(days=days),
        )
        for kind, days in plan
    ]
    for request in created[1:3]:
        privacy_request_refuse(
            actor=privacy_officer,
            request_id=request.pk,
            reason="Not the person's own data.",
            version=request.version,
        )


PRIVACY_FILTERS: list[Params] = [
    {},
    {"status": RequestStatus.OPEN},
    {"status": RequestStatus.REFUSED},
    {"kind": RequestKind.ACCESS},
    {"status": RequestStatus.OPEN, "kind": RequestKind.ACCESS},
]


@pytest.mark.parametrize("params", PRIVACY_FILTERS)
@pytest.mark.parametrize("persona", ["privacy_officer", "auditor"])
def test_privacy_page_and_api_return_the_same_requests(
    request: pytest.FixtureRequest, privacy_world: None, params: Params, persona: str
) -> None:
    user: User = request.getfixturevalue(persona)

    page = _page_rows(user, PRIVACY_PAGE, params, lambda p: (item.id for item in p.rows))
    api = _api_rows(user, PRIVACY_API, params, lambda row: row["id"])

    assert page, f"the filter {params} should find requests"
    assert api == page


def _list_url(params: Params) -> str:
    return f"{PRIVACY_API}?{urlencode(params)}"


def _walk(
    user: User, params: Params, *, link: str, cursor: str, url: str
) -> tuple[list[list[int]], list[list[int]]]:
    """The ids of each page, page and API alike, following their ``link`` ("next" or
    "previous") from the page at ``cursor`` (the page) and ``url`` (the API)."""
    web, api = _web(user), _api(user)
    pages: list[list[int]] = []
    results: list[list[int]] = []
    for _step in range(10):
        page = web.get(PRIVACY_PAGE, {**params, "cursor": cursor}).context["page"]
        body = api.get(url).json()
        pages.append([item.id for item in page.rows])
        results.append([row["id"] for row in body["results"]])
        following = page.next_cursor if link == "next" else page.previous_cursor
        if body[link] is None:
            assert following is None
            return pages, results
        cursor, url = following, body[link]
    raise AssertionError("the pages never ended")


def _last_page(user: User, params: Params) -> tuple[str, str]:
    """The page's cursor and the API's URL of the last page, by following ``next``."""
    web, api = _web(user), _api(user)
    cursor, url = "", _list_url(params)
    while following := web.get(PRIVACY_PAGE, {**params, "cursor": cursor}).context["page"]:
        if following.next_cursor is None:
            break
        cursor = following.next_cursor
    while (body := api.get(url).json())["next"] is not None:
        url = body["next"]
    return cursor, url


@pytest.mark.parametrize("params", [{}, {"status": RequestStatus.OPEN}])
def test_the_privacy_list_pages_alike_by_cursor(
    privacy_officer: User, privacy_world: None, params: Params
) -> None:
    everything = _api_rows(privacy_officer, PRIVACY_API, params, lambda row: row["id"])
    small = {**params, "page_size": "2"}

    forward_pages, forward_results = _walk(
        privacy_officer, small, link="next", cursor="", url=_list_url(small)
    )
    last_cursor, last_url = _last_page(privacy_officer, small)
    backward_pages, backward_results = _walk(
        privacy_officer, small, link="previous", cursor=last_cursor, url=last_url
    )

    assert forward_pages == forward_results
    assert [pk for page in forward_pages for pk in page] == everything  # no gap, no repeat
    assert all(len(page) == 2 for page in forward_pages[:-1])
    assert backward_pages == backward_results
    assert [pk for page in reversed(backward_pages) for pk in page] == everything
    total = _web(privacy_officer).get(PRIVACY_PAGE, small).context["page"].total
    assert str(total) == str(len(everything))


def test_the_privacy_list_counts_up_to_the_cap_only(
    privacy_officer: User, privacy_world: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import compliance.privacy.selectors as selectors
    from portal.api.pagination import count_capped

    monkeypatch.setattr(selectors, "count_capped", lambda qs: count_capped(qs, cap=3))
    response = _web(privacy_officer).get(PRIVACY_PAGE)

    assert str(response.context["page"].total) == "3+"
    assert "3+ requests match." in response.content.decode()


def test_a_forged_privacy_cursor_is_refused_alike(privacy_officer: User) -> None:
    _assert_refused_everywhere(
        privacy_officer, PRIVACY_PAGE, PRIVACY_API, None, {"cursor": "not-a-cursor"}, "cursor"
    )


@pytest.mark.parametrize(
    ("params", "field"), [({"status": "lost"}, "status"), ({"kind": "x"}, "kind")]
)
def test_bad_privacy_filters_are_refused_alike(
    privacy_officer: User, params: Params, field: str
) -> None:
    _assert_refused_everywhere(privacy_officer, PRIVACY_PAGE, PRIVACY_API, None, params, field)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_receipt_date_out_of_range_is_refused_on_page_and_api(
    privacy_officer: User, value: str
) -> None:
    customer = CustomerFactory()
    body = {
        "customer": customer.external_id,
        "kind": RequestKind.ACCESS,
        "channel": RequestChannel.values[0],
        "received_at": value,
    }

    page = _web(privacy_officer).post(PRIVACY_PAGE, body)
    api = _api(privacy_officer).post(PRIVACY_API, body, format="json")

    assert page.status_code == 400
    assert "received_at" in page.context["create_form"].errors
    assert api.status_code == 400
    assert "received_at" in api.json()["errors"]
    assert not AuditEntry.objects.filter(action__startswith="privacy_request.").exists()
