"""The list of data-subject requests, one read path for the privacy page and its API.

The order is open requests first, by due date, then the closed ones, by due date; ties go to
the newest (``-id``). It is a keyset over ``(open first, due_at, -id)``: the first column is
computed, so the list is read as two stretches in turn (the open requests, then the closed),
each paged by the shared ``Keyset`` over ``("due_at", "-id")``. A page that ends one stretch
goes on with the next, so every page but the last is full. A cursor names a position in the
whole list (the stretch, due time and id of a row, and a direction), written and checked by
``portal.api.pagination`` like every other list's, so a forged one is ``InvalidCursor``.

The page shows the list's capped count ("1000+"), never a count of the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from compliance.models import DataSubjectRequest, RequestStatus
from portal.api.pagination import (
    CappedCount,
    InvalidCursor,
    Keyset,
    Position,
    count_capped,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "REQUESTS",
    "REQUEST_PAGE_SIZE",
    "RequestFilters",
    "RequestPage",
    "decode_request_cursor",
    "privacy_request_page",
    "privacy_requests",
]

REQUEST_PAGE_SIZE = 50
REQUESTS = Keyset("due_at", "-id", model=DataSubjectRequest, page_size=REQUEST_PAGE_SIZE)
_OPEN, _CLOSED = 0, 1
_STRETCHES = (_OPEN, _CLOSED)
# Past every row of a stretch in its order (later than any due time; ``-id``: lowest id).
_END_OF_STRETCH = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), 0)


@dataclass(frozen=True)
class RequestFilters:
    status: str = ""
    kind: str = ""


def privacy_requests(filters: RequestFilters) -> QuerySet[DataSubjectRequest]:
    """Requests matching the filters (unordered: ``privacy_request_page`` orders them)."""
    queryset = DataSubjectRequest.objects.select_related("customer", "created_by", "closed_by")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    return queryset


@dataclass(frozen=True)
class RequestCursor:
    """A position in the whole list: a stretch and a key of it, going forward or back."""

    stretch: int
    key: tuple[Any, ...]
    forward: bool

    def encode(self) -> str:
        return encode_cursor((self.stretch, *self.key), forward=self.forward)


def decode_request_cursor(token: str) -> RequestCursor:
    """The position in a page link's ``cursor``; ``InvalidCursor`` if it is not one."""
    position = decode_cursor(token, length=1 + len(REQUESTS.columns))
    stretch, *key = position.key
    if stretch not in _STRETCHES:
        raise InvalidCursor("no such stretch")
    return RequestCursor(stretch, REQUESTS.check(key), position.forward)


@dataclass(frozen=True)
class RequestPage:
    """A page of requests in the list's order, the cursors of the pages beside it, and the
    capped count of the whole filtered list."""

    rows: list[DataSubjectRequest]
    total: CappedCount
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _stretches(filters: RequestFilters) -> dict[int, QuerySet[DataSubjectRequest]]:
    requests = privacy_requests(filters)
    return {
        _OPEN: requests.filter(status=RequestStatus.OPEN),
        _CLOSED: requests.exclude(status=RequestStatus.OPEN),
    }


def _any(stretches: dict[int, QuerySet[DataSubjectRequest]], which: Sequence[int]) -> bool:
    return any(stretches[stretch].exists() for stretch in which)


def _forward(
    stretches: dict[int, QuerySet[DataSubjectRequest]], at: RequestCursor | None, size: int
) -> RequestPage:
    rows: list[tuple[int, DataSubjectRequest]] = []
    previous: RequestCursor | None = None
    more = False
    first = _OPEN if at is None else at.stretch
    for stretch in _STRETCHES[first:]:
        need = size - len(rows)
        if need == 0:
            more = _any(stretches, _STRETCHES[stretch:])
            break
        cursor = Position(at.key) if at is not None and stretch == at.stretch else None
        page = REQUESTS.page(stretches[stretch], cursor=cursor, page_size=need)
        if page.rows and not rows and at is not None:
            # What comes before this page: the rest of this stretch, or the previous one.
            previous = (
                RequestCursor(stretch, REQUESTS.key_of(page.rows[0]), forward=False)
                if cursor is not None
                else RequestCursor(stretch - 1, _END_OF_STRETCH, forward=False)
            )
        rows += [(stretch, row) for row in page.rows]
        if page.next_key is not None:
            more = True
            break
    return _page(rows, previous=previous, more_after=more)


def _backward(
    stretches: dict[int, QuerySet[DataSubjectRequest]], at: RequestCursor, size: int
) -> RequestPage:
    rows: list[tuple[int, DataSubjectRequest]] = []
    more = False
    for stretch in reversed(_STRETCHES[: at.stretch + 1]):
        need = size - len(rows)
        if need == 0:
            more = _any(stretches, _STRETCHES[: stretch + 1])
            break
        key = at.key if stretch == at.stretch else _END_OF_STRETCH
        page = REQUESTS.page(
            stretches[stretch], cursor=Position(key, forward=False), page_size=need
        )
        rows = [(stretch, row) for row in page.rows] + rows
        if page.previous_key is not None:
            more = True
            break
    previous = (
        RequestCursor(rows[0][0], REQUESTS.key_of(rows[0][1]), forward=False)
        if rows and more
        else None
    )
    return _page(rows, previous=previous, more_after=True)


def _page(
    rows: list[tuple[int, DataSubjectRequest]],
    *,
    previous: RequestCursor | None,
    more_after: bool,
) -> RequestPage:
    following = (
        RequestCursor(rows[-1][0], REQUESTS.key_of(rows[-1][1]), forward=True)
        if rows and more_after
        else None
    )
    return RequestPage(
        rows=[row for _stretch, row in rows],
        total=CappedCount(0),
        next_cursor=following.encode() if following else None,
        previous_cursor=previous.encode() if previous else None,
    )


def privacy_request_page(
    filters: RequestFilters,
    cursor: RequestCursor | str | None = None,
    *,
    page_size: int | None = None,
) -> RequestPage:
    """One page of the requests matching ``filters``: the first, or the one just past (or
    before) ``cursor`` (a ``cursor`` token that is not one of ours is ``InvalidCursor``),
    ``REQUEST_PAGE_SIZE`` a page unless ``page_size`` says otherwise (up to the keyset's cap).
    """
    at = decode_request_cursor(cursor) if isinstance(cursor, str) and cursor else cursor or None
    stretches = _stretches(filters)
    size = REQUESTS.size(page_size)
    if at is None or at.forward:
        page = _forward(stretches, at, size)
    else:
        page = _backward(stretches, at, size)
        if not page.rows:  # nothing before the cursor any more: the first page
            page = _forward(stretches, None, size)
    return RequestPage(
        rows=page.rows,
        total=count_capped(privacy_requests(filters)),
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
    )
