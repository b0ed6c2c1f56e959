"""The queue page and the API's case list are one answer: for the same filters, the same
cases in the same order (one parser, ``cases.forms.CaseFilterForm``; one selector,
``cases.selectors.queue.cases_for_queue``). Bad filters are a form error on the page and a 400
naming the field on the API, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case, CaseStatus
from tests.cases.conftest import MakeCase
from tests.factories.scoring import BlockFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")
API = "/api/v1/cases/"

Client = Callable[[User], APIClient]
Cases = dict[str, Case]

OPEN = [
    "mine_kyc_block",
    "kyc_main_lifted",
    "velocity_main_kyc_lifted",
    "theirs",
    "breached_unswept",
    "breached_marked",
    "due_soon",
    "due_moved_after_breach",
    "tie_a",
    "tie_b",
    "pending",
]


@pytest.fixture
def cases(officer: User, second_officer: User, make_case: MakeCase) -> Cases:
    """Open, closed, breached, due-soon and tied cases, with main reasons and line blocks
    that agree and disagree."""
    now = timezone.now()

    def due(hours: float) -> Any:
        return now + timedelta(hours=hours)

    made = {
        # Opened for a device anomaly; the line is also held for an expired ID document.
        "mine_kyc_block": make_case(
            assignee=officer,
            blocks=["DEVICE_ANOMALY", "KYC_EXPIRED"],
            reason_code="DEVICE_ANOMALY",
            sla_due_at=due(30),
        ),
        # Opened for an expired ID document; that block has been lifted since.
        "kyc_main_lifted": make_case(blocks=[], reason_code="KYC_EXPIRED", sla_due_at=due(40)),
        "velocity_main_kyc_lifted": make_case(
            blocks=[], reason_code="VELOCITY", sla_due_at=due(45)
        ),
        "theirs": make_case(
            assignee=second_officer,
            category="complaint",
            priority=1,
            blocks=[],
            reason_code="",
            sla_due_at=due(5),
        ),
        # Past due, not yet marked by the SLA sweep.
        "breached_unswept": make_case(
            priority=2, blocks=["VELOCITY"], reason_code="VELOCITY", sla_due_at=due(-1)
        ),
        "breached_marked": make_case(
            assignee=officer, priority=1, sla_due_at=due(-3), sla_breached_at=due(-3)
        ),
        "due_soon": make_case(sla_due_at=due(20 / 60)),
        # Marked breached, then its due time moved on: breached, not "due soon".
        "due_moved_after_breach": make_case(sla_due_at=due(0.5), sla_breached_at=due(-0.2)),
        "tie_a": make_case(sla_due_at=due(50)),
        "tie_b": make_case(sla_due_at=due(50)),
        "pending": make_case(
            assignee=officer,
            status=CaseStatus.PENDING_APPROVAL,
            priority=2,
            sla_due_at=due(10),
        ),
        "closed_late": make_case(
            status=CaseStatus.CLOSED,
            blocks=["KYC_EXPIRED"],
            sla_due_at=due(-48),
            closed_at=due(-24),
        ),
        "resolved_in_time": make_case(
            status=CaseStatus.RESOLVED,
            reason_code="KYC_EXPIRED",
            sla_due_at=due(-24),
            closed_at=due(-48),
        ),
    }
    BlockFactory(
        credit_line=made["velocity_main_kyc_lifted"].credit_line,
        reason_code="KYC_EXPIRED",
        raised_at=due(-10),
        lifted_at=due(-5),
        lifted_by_label="officer",
        lift_reason="Document renewed.",
    )
    made["tie_b"].sla_due_at = made["tie_a"].sla_due_at
    made["tie_b"].save(update_fields=["sla_due_at"])
    return made


def _in_queue_order(cases: Cases, names: list[str]) -> list[int]:
    chosen = [cases[name] for name in names]
    return [c.pk for c in sorted(chosen, key=lambda c: (c.priority, c.sla_due_at, c.pk))]


def _query(template: dict[str, str], cases: Cases, users: dict[str, User]) -> dict[str, str]:
    """``{"customer": "@theirs"}`` names a case's customer; ``{"assignee": "#officer2"}``
    a user's id."""
    query = {}
    for key, value in template.items():
        if value.startswith("@"):
            value = cases[value[1:]].customer.external_id
        elif value.startswith("#"):
            value = str(users[value[1:]].pk)
        query[key] = value
    return query


def _page_ids(client: Any, url: str, query: dict[str, str]) -> list[int]:
    """Every case the queue page lists, following its "Next page" links."""
    ids: list[int] = []
    params = dict(query)
    while True:
        response = client.get(url, params)
        assert response.status_code == 200
        page = response.context["page"]
        assert page is not None, response.context["form"].errors
        ids += [case.pk for case in page.cases]
        if page.next_cursor is None:
            return ids
        params = {**query, "after": page.next_cursor}


def _api_ids(client: APIClient, query: dict[str, str]) -> list[int]:
    """Every case the API lists, following its ``next`` links."""
    ids: list[int] = []
    response = client.get(API, query)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        if body["next"] is None:
            return ids
        response = client.get(body["next"])


CONTRACT = [
    pytest.param({}, OPEN, id="no filter: open cases"),
    pytest.param({"status": "closed"}, ["closed_late"], id="status closed"),
    pytest.param({"status": "resolved"}, ["resolved_in_time"], id="status resolved"),
    pytest.param(
        {"status": "in_review"}, ["mine_kyc_block", "theirs", "breached_marked"], id="status"
    ),
    pytest.param({"category": "complaint"}, ["theirs"], id="category"),
    pytest.param(
        {"reason_code": "KYC_EXPIRED"},
        ["mine_kyc_block", "kyc_main_lifted"],
        id="reason_code: main reason or active block",
    ),
    pytest.param(
        {"reason_code": "VELOCITY"},
        ["velocity_main_kyc_lifted", "breached_unswept"],
        id="reason_code VELOCITY",
    ),
    pytest.param({"assignee": "me"}, ["mine_kyc_block", "breached_marked", "pending"], id="me"),
    pytest.param(
        {"assignee": "none"},
        [
            "kyc_main_lifted",
            "velocity_main_kyc_lifted",
            "breached_unswept",
            "due_soon",
            "due_moved_after_breach",
            "tie_a",
            "tie_b",
        ],
        id="unassigned",
    ),
    pytest.param({"assignee": "#officer2"}, ["theirs"], id="assignee by id"),
    pytest.param({"priority": "1"}, ["theirs", "breached_marked"], id="priority"),
    pytest.param(
        {"sla": "breached"},
        ["breached_unswept", "breached_marked", "due_moved_after_breach"],
        id="sla breached",
    ),
    pytest.param({"sla": "due_soon"}, ["due_soon"], id="sla due_soon"),
    pytest.param({"customer": "@theirs"}, ["theirs"], id="customer"),
    pytest.param(
        {"status": "closed", "sla": "breached"}, ["closed_late"], id="closed after its due"
    ),
    pytest.param({"status": "resolved", "sla": "breached"}, [], id="resolved in time"),
    pytest.param({"status": "closed", "sla": "due_soon"}, [], id="closed is never due soon"),
    pytest.param(
        {"status": "closed", "reason_code": "KYC_EXPIRED"},
        ["closed_late"],
        id="closed with a block",
    ),
    pytest.param(
        {"reason_code": "KYC_EXPIRED", "assignee": "me"}, ["mine_kyc_block"], id="reason+me"
    ),
    pytest.param({"sla": "breached", "priority": "1"}, ["breached_marked"], id="sla+priority"),
    pytest.param(
        {"sla": "breached", "assignee": "none"},
        ["breached_unswept", "due_moved_after_breach"],
        id="sla+unassigned",
    ),
    pytest.param(
        {"category": "limit_unusable", "sla": "due_soon", "assignee": "none"},
        ["due_soon"],
        id="category+sla+unassigned",
    ),
    pytest.param(
        {"customer": "@theirs", "assignee": "#officer2", "priority": "1"},
        ["theirs"],
        id="customer+assignee+priority",
    ),
    pytest.param({"customer": "@theirs", "priority": "3"}, [], id="customer+other priority"),
]


@pytest.mark.parametrize(("template", "expected"), CONTRACT)
def test_the_page_and_the_api_list_the_same_cases_in_the_same_order(
    client: Any,
    api_client: Client,
    officer: User,
    second_officer: User,
    cases: Cases,
    template: dict[str, str],
    expected: list[str],
) -> None:
    query = _query(template, cases, {"officer": officer, "officer2": second_officer})
    client.force_login(officer)

    on_the_page = _page_ids(client, QUEUE, query)
    in_the_api = _api_ids(api_client(officer), query)

    assert on_the_page == in_the_api == _in_queue_order(cases, expected)


@pytest.mark.parametrize(
    ("query", "badges"),
    [({"sla": "breached"}, 3), ({"status": "closed"}, 1), ({"status": "resolved"}, 0)],
    ids=str,
)
def test_the_breached_badge_marks_what_the_breached_filter_finds(
    client: Any, officer: User, cases: Cases, query: dict[str, str], badges: int
) -> None:
    client.force_login(officer)

    response = client.get(QUEUE, query)

    assert response.text.count('data-sla="breached"') == badges


def test_my_cases_page_is_the_api_with_assignee_me(
    client: Any, api_client: Client, officer: User, cases: Cases
) -> None:
    client.force_login(officer)

    mine = _page_ids(client, reverse("cases:my_cases"), {"sla": "breached"})

    assert mine == _api_ids(api_client(officer), {"assignee": "me", "sla": "breached"})
    assert mine == [cases["breached_marked"].pk]


def test_pages_of_three_are_the_same_pages_forwards_and_backwards(
    client: Any, api_client: Client, supervisor: User, cases: Cases, settings: Any
) -> None:
    settings.CASES_QUEUE_PAGE_SIZE = 3
    client.force_login(supervisor)
    api = api_client(supervisor)

    pages: list[list[int]] = []
    body = api.get(API).json()
    while True:
        pages.append([row["id"] for row in body["results"]])
        if body["next"] is None:
            break
        body = api.get(body["next"]).json()
    backwards: list[list[int]] = []
    while True:
        backwards.append([row["id"] for row in body["results"]])
        if body["previous"] is None:
            break
        body = api.get(body["previous"]).json()

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert backwards == pages[::-1]
    assert [pk for page in pages for pk in page] == _page_ids(client, QUEUE, {})
    assert _page_ids(client, QUEUE, {}) == _in_queue_order(cases, OPEN)


def test_a_page_size_above_the_maximum_is_the_maximum(
    api_client: Client, officer: User, cases: Cases
) -> None:
    response = api_client(officer).get(API, {"page_size": "100000"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == len(OPEN)


def test_the_case_page_and_the_api_show_blocks_in_the_same_order(
    client: Any, api_client: Client, officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, blocks=[])
    now = timezone.now()
    newer = BlockFactory(
        credit_line=case.credit_line, reason_code="VELOCITY", raised_at=now - timedelta(hours=1)
    )
    older = BlockFactory(
        credit_line=case.credit_line, reason_code="KYC_EXPIRED", raised_at=now - timedelta(days=2)
    )
    client.force_login(officer)

    on_the_page = [
        b.pk for b in client.get(reverse("cases:detail", args=[case.pk])).context["blocks"]
    ]
    in_the_api = [b["id"] for b in api_client(officer).get(f"{API}{case.pk}/").json()["blocks"]]

    assert on_the_page == in_the_api == [older.pk, newer.pk]


# --- bad input ------------------------------------------------------------------------------

BAD_FILTERS = [
    ("status", "lost"),
    ("status", "CLOSED"),
    ("category", "fraud"),
    ("reason_code", "kyc_expired"),
    ("priority", "9"),
    ("priority", "one"),
    ("assignee", "bob"),
    ("assignee", "12.5"),
    ("assignee", "-3"),
    ("assignee", "0"),
    ("assignee", "99999999999999999999999"),
    ("assignee", "١٢"),  # digits, but not ASCII ones
    ("sla", "later"),
    ("customer", "C" * 41),
    ("customer", "C\x0012"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FILTERS)
def test_a_bad_filter_is_a_400_naming_the_field(
    api_client: Client, officer: User, field: str, value: str
) -> None:
    response = api_client(officer).get(API, {field: value})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert all(isinstance(message, str) and message for message in errors[field])


@pytest.mark.parametrize(("field", "value"), BAD_FILTERS)
def test_a_bad_filter_is_a_form_error_on_the_page(
    client: Any, officer: User, field: str, value: str
) -> None:
    client.force_login(officer)

    response = client.get(QUEUE, {field: value})

    assert response.status_code == 200
    assert response.context["page"] is None
    assert list(response.context["form"].errors) == [field]
    assert 'data-testid="filter-errors"' in response.text


@pytest.mark.parametrize(
    "query",
    [
        {"after": "not-a-cursor"},
        {"before": "1.2"},
        {"after": "1.99999999999999999999999999.3"},
        {"after": "1.0.99999999999999999999999"},
        {"page_size": "many"},
        {"page_size": "0"},
        {"after": "3.0.1", "before": "3.0.2"},
    ],
    ids=str,
)
def test_a_bad_page_link_is_a_400(api_client: Client, officer: User, query: dict[str, str]) -> None:
    response = api_client(officer).get(API, query)

    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"after", "before", "page_size"}
    assert response.json()["errors"]


# --- queries --------------------------------------------------------------------------------

FILTERED = {"reason_code": "KYC_EXPIRED", "sla": "breached", "assignee": "none", "priority": "3"}


def _kyc_breached(make_case: MakeCase, n: int) -> None:
    for _ in range(n):
        make_case(blocks=["KYC_EXPIRED"], sla_due_at=timezone.now() - timedelta(hours=1))


@pytest.mark.parametrize("query", [{}, FILTERED], ids=["unfiltered", "filtered"])
def test_the_queue_page_takes_a_bounded_number_of_queries(
    client: Any,
    supervisor: User,
    make_case: MakeCase,
    query: dict[str, str],
    django_assert_max_num_queries: Any,
) -> None:
    _kyc_breached(make_case, 3)
    client.force_login(supervisor)
    client.get(QUEUE, query)
    with django_assert_max_num_queries(7) as few:
        client.get(QUEUE, query)
    _kyc_breached(make_case, 30)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(QUEUE, query)

    assert len(response.context["page"].cases) == 33


@pytest.mark.parametrize("query", [{}, FILTERED], ids=["unfiltered", "filtered"])
def test_the_api_list_takes_a_bounded_number_of_queries(
    api_client: Client,
    officer: User,
    make_case: MakeCase,
    query: dict[str, str],
    django_assert_max_num_queries: Any,
) -> None:
    _kyc_breached(make_case, 3)
    api = api_client(officer)
    with django_assert_max_num_queries(6) as few:
        api.get(API, query)
    _kyc_breached(make_case, 30)

    with django_assert_max_num_queries(len(few.captured_queries)):
        first = api.get(API, {**query, "page_size": "20"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        second = api.get(first.json()["next"])

    assert len(first.json()["results"]) == 20
    assert len(second.json()["results"]) == 13
