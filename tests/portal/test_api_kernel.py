"""The API kernel (``portal.api``): one error shape, one keyset pager, one capped count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import User
from portal.api.errors import ERROR_DESCRIPTIONS, ErrorsSerializer, error_responses
from portal.api.pagination import (
    CappedCount,
    InvalidCursor,
    Keyset,
    KeysetPagination,
    Position,
    count_capped,
    decode_cursor,
    encode_cursor,
)
from portal.errors import Conflict

pytestmark = pytest.mark.django_db

# --- the error handler ------------------------------------------------------------------------


def _answer(raising: Exception, user: User | None = None) -> Response:
    """What the API answers when a view raises ``raising`` (through the configured handler)."""

    class Raising(APIView):
        permission_classes = [AllowAny]

        def get(self, request: Request) -> Response:
            raise raising

    request = APIRequestFactory().get("/api/v1/anything/")
    if user is not None:
        force_authenticate(request, user=user)
    response: Response = Raising.as_view()(request)
    response.render()
    return response


@pytest.mark.parametrize(
    ("raising", "code", "body"),
    [
        (
            serializers.ValidationError({"phone": ["Enter a mainland mobile number."]}),
            400,
            {"phone": ["Enter a mainland mobile number."]},
        ),
        (
            DjangoValidationError({"usable_limit": "Above the granted limit."}),
            400,
            {"usable_limit": ["Above the granted limit."]},
        ),
        (
            DjangoValidationError("Not both."),
            400,
            {"non_field_errors": ["Not both."]},
        ),
        (
            serializers.ValidationError(["Not both."]),
            400,
            {"non_field_errors": ["Not both."]},
        ),
        (
            PermissionDenied("Not your case."),
            403,
            {"non_field_errors": ["Not your case."]},
        ),
        (Http404(), 404, None),
        (
            Conflict("This decision has already been decided."),
            409,
            {"non_field_errors": ["This decision has already been decided."]},
        ),
    ],
    ids=["drf-400", "django-400-by-field", "django-400", "drf-400-list", "403", "404", "409"],
)
def test_every_error_has_the_contracts_shape(
    officer: User, raising: Exception, code: int, body: dict[str, list[str]] | None
) -> None:
    response = _answer(raising, user=officer)

    assert response.status_code == code
    data = response.data
    assert set(data) == {"errors"}
    assert all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in data["errors"].values()
    )
    if body is not None:
        assert data["errors"] == body
    else:
        assert list(data["errors"]) == ["non_field_errors"]


def test_a_rate_limited_call_is_a_429_with_retry_after(officer: User) -> None:
    response = _answer(exceptions.Throttled(wait=42), user=officer)

    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert list(response.data["errors"]) == ["non_field_errors"]


def test_a_missing_credential_is_a_401_in_the_same_shape(client: Any) -> None:
    response = APIClient().get("/api/v1/cases/")

    assert response.status_code == 401
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_error_responses_document_the_one_errors_body() -> None:
    documented = error_responses(400, 403, 404, 409, 429, descriptions={409: "Already decided."})

    assert list(documented) == [400, 403, 404, 409, 429]
    assert all(isinstance(r, OpenApiResponse) for r in documented.values())
    assert all(r.response is ErrorsSerializer for r in documented.values())
    assert documented[409].description == "Already decided."
    assert documented[403].description == ERROR_DESCRIPTIONS[403]


def test_error_responses_document_a_status_named_only_with_its_description() -> None:
    documented = error_responses(400, descriptions={401: "Wrong key."})

    assert list(documented) == [400, 401]
    with pytest.raises(ValueError, match="418"):
        error_responses(418)


def test_the_schema_names_one_errors_component(auditor: User) -> None:
    response = _token_client(auditor).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schemas = response.json()["components"]["schemas"]
    assert "Errors" in schemas
    assert not {"HistoryErrors", "PrivacyErrors"} & set(schemas)


# --- the keyset pager -------------------------------------------------------------------------

_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _people(n: int, *, prefix: str = "pager", surnames: str = "CBA") -> list[User]:
    """``n`` users whose surnames and join times repeat, so the keys need their last column."""
    return [
        User.objects.create(
            username=f"{prefix}-{i:03d}",
            last_name=surnames[i % len(surnames)],
            date_joined=_START + timedelta(minutes=i // 2),
        )
        for i in range(n)
    ]


def _listed() -> QuerySet[User]:
    return User.objects.filter(username__startswith="pager-")


BY_SURNAME = Keyset("last_name", "-id", model=User, page_size=4, max_page_size=6)
NEWEST_FIRST = Keyset("-date_joined", "id", model=User, page_size=4, max_page_size=6)


def _walk(keyset: Keyset, *, page_size: int | None = None) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = keyset.page(_listed(), cursor=cursor, page_size=page_size)
        pages.append([u.username for u in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("keyset", [BY_SURNAME, NEWEST_FIRST], ids=["asc-desc", "desc-asc"])
def test_pages_forwards_cover_every_row_once_in_order(keyset: Keyset) -> None:
    _people(11)
    everyone = [u.username for u in _listed().order_by(*keyset.ordering)]

    pages = _walk(keyset)

    assert [len(p) for p in pages] == [4, 4, 3]
    assert [name for page in pages for name in page] == everyone


@pytest.mark.parametrize("keyset", [BY_SURNAME, NEWEST_FIRST], ids=["asc-desc", "desc-asc"])
def test_pages_backwards_give_the_same_pages(keyset: Keyset) -> None:
    _people(11)
    forwards = _walk(keyset)
    first = keyset.page(_listed())
    assert first.previous_cursor is None
    second = keyset.page(_listed(), cursor=first.next_cursor)
    last = keyset.page(_listed(), cursor=second.next_cursor)
    assert last.next_cursor is None

    back = keyset.page(_listed(), cursor=last.previous_cursor)
    assert [u.username for u in back.rows] == forwards[1]
    assert back.next_cursor is not None
    again = keyset.page(_listed(), cursor=back.previous_cursor)
    assert [u.username for u in again.rows] == forwards[0]
    assert again.previous_cursor is None  # known for certain going backwards


def test_a_page_is_stable_when_rows_arrive_before_and_after_it() -> None:
    _people(8)
    first = BY_SURNAME.page(_listed())
    assert [u.last_name for u in first.rows] == ["A", "A", "B", "B"]

    # New rows sort before the first page ("A") and in the middle of the next ("C").
    _people(3, prefix="pager-new", surnames="A")
    _people(1, prefix="pager-late", surnames="C")
    second = BY_SURNAME.page(_listed(), cursor=first.next_cursor)

    shown = {u.username for u in first.rows}
    assert not shown & {u.username for u in second.rows}  # nothing shown twice
    rest = [u.username for u in _listed().order_by(*BY_SURNAME.ordering)]
    after_first = rest[rest.index(first.rows[-1].username) + 1 :]
    assert [u.username for u in second.rows] == after_first[:4]  # nothing skipped


def test_a_backwards_cursor_with_nothing_before_it_gives_the_first_page() -> None:
    people = _people(5)
    oldest = min(people, key=lambda u: (u.last_name, -u.pk))

    page = BY_SURNAME.page(_listed(), cursor=Position(BY_SURNAME.key_of(oldest), forward=False))

    assert [u.username for u in page.rows] == [u.username for u in BY_SURNAME.page(_listed()).rows]


def test_the_page_size_is_capped_and_defaulted() -> None:
    _people(9)

    assert len(BY_SURNAME.page(_listed(), page_size=10_000).rows) == 6
    assert len(BY_SURNAME.page(_listed()).rows) == 4
    assert len(BY_SURNAME.page(_listed(), page_size=2).rows) == 2


def test_a_page_is_one_query_and_exact_links_one_more(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    _people(9)
    first = BY_SURNAME.page(_listed())

    with django_assert_num_queries(1):
        page = BY_SURNAME.page(_listed(), cursor=first.next_cursor, count_cap=100)
    assert page.total == CappedCount(9, capped=False)
    with django_assert_num_queries(2):
        exact = BY_SURNAME.page(_listed(), cursor=first.next_cursor, exact=True)
    assert exact.previous_cursor is not None


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "not a cursor!",
        "bm9uc2Vuc2U",  # base64 of "nonsense"
        encode_cursor(("A",)),  # one value short
        encode_cursor(("A", 1, 2)),  # one too many
        encode_cursor((1, 2)),  # a number where the surname goes
        encode_cursor(("A", "1")),  # text where the id goes
        encode_cursor(("A", 2**63)),  # more than the column holds
        encode_cursor(("A" * 151, 1)),  # longer than the column holds
        "A" * 600,
    ],
)
def test_a_bad_cursor_is_refused_before_any_query(
    token: str, django_assert_num_queries: Callable[..., Any]
) -> None:
    with django_assert_num_queries(0), pytest.raises(InvalidCursor, match="cursor"):
        BY_SURNAME.page(_listed(), cursor=token)


def test_cursors_are_opaque_and_exact_for_times() -> None:
    moment = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)

    token = encode_cursor((moment, 7), forward=False)

    assert "2026" not in token
    assert "," not in token
    assert decode_cursor(token, length=2) == Position((moment, 7), forward=False)
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor((moment, 7)), length=3)


# --- the capped count -------------------------------------------------------------------------


def test_the_count_stops_past_the_cap() -> None:
    _people(5)

    assert count_capped(_listed(), cap=3) == CappedCount(3, capped=True)
    assert str(count_capped(_listed(), cap=3)) == "3+"
    assert count_capped(_listed(), cap=5) == CappedCount(5, capped=False)
    assert str(count_capped(_listed(), cap=10)) == "5"


def test_the_count_never_reads_more_than_cap_plus_one_rows(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    _people(5)

    with django_assert_num_queries(1) as queries:
        count_capped(_listed(), cap=2)
    assert "LIMIT 3" in queries.captured_queries[0]["sql"]


def test_a_counted_page_past_the_end_still_counts() -> None:
    people = _people(3)
    last = max(people, key=lambda u: (u.last_name, -u.pk))

    page = BY_SURNAME.page(_listed(), cursor=Position(BY_SURNAME.key_of(last)), count_cap=2)

    assert page.rows == []
    assert page.total == CappedCount(2, capped=True)


# --- the DRF pagination class -----------------------------------------------------------------


def _token_client(user: User) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


ACCESS_API = "/api/v1/audit/personal-data-access/"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "zzz"}, "cursor"),
        ({"cursor": encode_cursor((2**63,))}, "cursor"),
        ({"page_size": "many"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_a_bad_cursor_or_page_size_in_a_list_is_a_400(
    auditor: User, params: dict[str, str], field: str
) -> None:
    response = _token_client(auditor).get(ACCESS_API, params)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_pagination_class_answers_next_previous_results() -> None:
    _people(5)

    class ByName(KeysetPagination):
        ordering = ("username",)
        page_size = 2

    pager = ByName()
    request = Request(APIRequestFactory().get("/api/v1/people/", {"page_size": "2"}))
    rows = pager.paginate_queryset(_listed(), request)
    body = pager.get_paginated_response([u.username for u in rows]).data

    assert list(body) == ["next", "previous", "results"]
    assert body["results"] == ["pager-000", "pager-001"]
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/people/?")
    assert "cursor=" in body["next"]
    assert "page_size=2" in body["next"]
