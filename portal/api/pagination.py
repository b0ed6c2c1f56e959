"""Keyset pages and capped counts: the one pager of every list, pages and API alike.

A list is a queryset ordered by a unique key tuple (``("priority", "sla_due_at", "id")``,
``("-id",)``). A page is ``size + 1`` rows past a position (``WHERE key > cursor ORDER BY
key LIMIT size + 1``): no ``OFFSET``, so a page costs the same on the thousandth page as
on the first, and a row inserted elsewhere never shifts a page (no row is skipped or
shown twice).

``Keyset(*ordering, model=…)`` pages a queryset::

    CASES = Keyset("priority", "sla_due_at", "id", model=Case, max_page_size=200)
    page = CASES.page(queryset, cursor=request.GET.get("cursor"), page_size=…)
    page.rows, page.next_cursor, page.previous_cursor

Cursors are opaque (URL-safe base64 of the direction and the key's typed values) and
checked when they are read: a token that does not decode, has the wrong shape, or names a
value no column of the key could hold raises ``InvalidCursor`` (a ``ValueError``); the
API answers it 400 on the cursor's parameter, a page shows it as the form's error. Never a
500.

``KeysetPagination`` is the same pager as a DRF pagination class (``?cursor=&page_size=``,
``{"next", "previous", "results"}``), for ``ListAPIView``\\ s.

``count_capped(queryset, cap=…)`` counts at most ``cap + 1`` rows (``SELECT count(*) FROM
(… LIMIT cap + 1)``): a page shows "N+" beyond the cap, never counts a huge table.
``Keyset.page(…, count_cap=N)`` runs the same count as a scalar subquery of the page's
own query, so a counted page is still one query.
"""

from __future__ import annotations

import base64
import binascii
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

__all__ = [
    "COUNT_CAP",
    "DEFAULT_PAGE_SIZE",
    "ID_MAX",
    "MAX_PAGE_SIZE",
    "CappedCount",
    "InvalidCursor",
    "Keyset",
    "KeysetPage",
    "KeysetPagination",
    "Position",
    "count_capped",
    "decode_cursor",
    "encode_cursor",
    "page_link",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_CAP = 1000
# No cursor the portal writes is near this long; a longer one is not read at all.
CURSOR_MAX_LENGTH = 512
# The largest id a ``BigAutoField`` holds.
ID_MAX = 2**63 - 1

T = TypeVar("T")
Key = tuple[Any, ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FORWARD, _BACKWARD = "n", "p"


# --- cursors ---------------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """A page link's cursor that does not decode, or names a value no column holds."""

    # What a person is told (the exception's own text stays English, for logs and tests).
    message = _("This page link is not valid; start from the first page.")

    def __init__(self, reason: str = "") -> None:
        super().__init__(f"Not a valid cursor{': ' + reason if reason else ''}.")


@dataclass(frozen=True)
class Position:
    """Where a page starts: just past ``key`` going ``forward`` in the list's order, or
    just before it going backwards."""

    key: Key
    forward: bool = True


def id_position(*, before: int | None, after: int | None) -> Position | None:
    """Where a page of a list keyed on ``-id`` starts, from plain ``before``/``after`` ids
    in its links: ``before`` an id goes back in time, ``after`` an id comes forward, neither
    is the newest page. Ids past what the column holds (a hand-made link) mean "before or
    after every row", never an overflow."""
    if before is not None:
        return Position((min(before, ID_MAX),), forward=True)
    if after is not None:
        return Position((min(after, ID_MAX),), forward=False)
    return None


def _encode_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"A keyset column holds {value!r}: key columns are NOT NULL.")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("A keyset time must be aware.")
        return f"t{(value - _EPOCH) // _MICROSECOND}"  # exact: integer microseconds
    if isinstance(value, str):
        return f"s{value}"
    raise TypeError(f"No cursor encoding for {type(value).__name__}.")


def _decode_value(raw: Any) -> Any:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.startswith("s"):
        return raw[1:]
    if isinstance(raw, str) and raw.startswith("t") and raw[1:].lstrip("-").isdigit():
        try:
            return _EPOCH + int(raw[1:]) * _MICROSECOND
        except OverflowError:
            raise InvalidCursor("time out of range") from None
    raise InvalidCursor("unknown value")


def encode_cursor(key: Sequence[Any], *, forward: bool = True) -> str:
    """An opaque token for the position just past (``forward``) or before ``key``."""
    payload = [_FORWARD if forward else _BACKWARD, *(_encode_value(v) for v in key)]
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str, *, length: int) -> Position:
    """The position in ``token``, a key of ``length`` values; ``InvalidCursor`` when it is
    not a token ``encode_cursor`` wrote (types are checked, ranges are the caller's)."""
    if not isinstance(token, str) or not token or len(token) > CURSOR_MAX_LENGTH:
        raise InvalidCursor
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        payload = json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor from None
    if not isinstance(payload, list) or len(payload) != length + 1:
        raise InvalidCursor("wrong shape")
    direction, *values = payload
    if direction not in (_FORWARD, _BACKWARD):
        raise InvalidCursor("no direction")
    return Position(tuple(_decode_value(v) for v in values), forward=direction == _FORWARD)


# --- counts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CappedCount:
    """A row count that stops at the cap: ``str()`` is "N", or "N+" when ``capped``."""

    value: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.value}+" if self.capped else str(self.value)

    @classmethod
    def of(cls, n: int, cap: int) -> CappedCount:
        """The count ``n`` rows make, ``n`` having been counted up to ``cap + 1``."""
        return cls(value=min(n, cap), capped=n > cap)


def _capped(queryset: QuerySet[Any], cap: int) -> QuerySet[Any]:
    return queryset.order_by().values("pk")[: cap + 1]


def count_capped(queryset: QuerySet[Any], *, cap: int = COUNT_CAP) -> CappedCount:
    """``SELECT count(*) FROM (… LIMIT cap + 1)``: bounded work whatever the table size."""
    return CappedCount.of(_capped(queryset, cap).count(), cap)


def _count_subquery(queryset: QuerySet[Any], cap: int) -> Subquery:
    """The capped count as an uncorrelated scalar subquery (the database computes it once)."""
    count = (
        queryset.model._default_manager.filter(pk__in=_capped(queryset, cap))
        .order_by()
        .annotate(_n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("_n")
    )
    return Subquery(count, output_field=IntegerField())


# --- pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """A page's rows in the list's order, and where the pages next to it start.

    ``next_key`` / ``previous_key`` are the last / first row's key when rows follow /
    come before the page (``None`` otherwise); ``next_cursor`` / ``previous_cursor`` are
    the same as opaque tokens for ``Keyset.page(cursor=…)``. ``total`` is the capped
    count when one was asked for.
    """

    rows: list[T]
    next_key: Key | None = None
    previous_key: Key | None = None
    total: CappedCount | None = None
    next_cursor: str | None = field(default=None, init=False)
    previous_cursor: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.next_key is not None:
            object.__setattr__(self, "next_cursor", encode_cursor(self.next_key, forward=True))
        if self.previous_key is not None:
            object.__setattr__(
                self, "previous_cursor", encode_cursor(self.previous_key, forward=False)
            )


_TOTAL = "_keyset_total"


class Keyset:
    """Keyset pages over ``ordering``, a unique key of NOT NULL columns of ``model``
    (``"-id"`` for descending). ``page_size`` is the default size, capped at
    ``max_page_size``; cursors read back are checked against the columns' types and
    ranges (``model``), so a forged one is ``InvalidCursor``, not a database error."""

    def __init__(
        self,
        *ordering: str,
        model: type[models.Model],
        page_size: int = DEFAULT_PAGE_SIZE,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if not ordering:
            raise ValueError("A keyset needs at least one column.")
        self.ordering = tuple(ordering)
        self.columns = tuple((name.lstrip("-"), name.startswith("-")) for name in ordering)
        self.model = model
        self.page_size = page_size
        self.max_page_size = max_page_size

    # cursors

    def key_of(self, row: Any) -> Key:
        """A row's key: a model instance, or a ``values()`` dict."""
        if isinstance(row, Mapping):
            return tuple(row[name] for name, _desc in self.columns)
        return tuple(getattr(row, self._attname(name)) for name, _desc in self.columns)

    def _attname(self, name: str) -> str:
        return "pk" if name == "pk" else self._field(name).attname

    def _field(self, name: str) -> models.Field[Any, Any]:
        return self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)  # type: ignore[return-value]

    def check(self, key: Sequence[Any]) -> Key:
        """``key`` if each value fits its column, else ``InvalidCursor``."""
        if len(key) != len(self.columns):
            raise InvalidCursor("wrong shape")
        for (name, _desc), value in zip(self.columns, key, strict=True):
            column = self._field(name)
            if isinstance(column, models.DateTimeField):
                if not isinstance(value, datetime):
                    raise InvalidCursor("not a time")
            elif isinstance(column, models.IntegerField | models.AutoField):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InvalidCursor("not a number")
                low, high = connection.ops.integer_field_range(column.get_internal_type())
                if (low is not None and value < low) or (high is not None and value > high):
                    raise InvalidCursor("number out of range")
            elif isinstance(column, models.CharField | models.TextField):
                if not isinstance(value, str):
                    raise InvalidCursor("not text")
                if column.max_length is not None and len(value) > column.max_length:
                    raise InvalidCursor("text too long")
        return tuple(key)

    def encode(self, key: Sequence[Any], *, forward: bool = True) -> str:
        return encode_cursor(key, forward=forward)

    def decode(self, token: str) -> Position:
        """The checked position in ``token``; ``InvalidCursor`` when it is not one of ours."""
        position = decode_cursor(token, length=len(self.columns))
        return Position(self.check(position.key), position.forward)

    def size(self, requested: int | None = None) -> int:
        """The page size: ``requested`` (the default when ``None``), from 1 to the cap."""
        return max(1, min(requested or self.page_size, self.max_page_size))

    # queries

    def _order(self, *, forward: bool) -> list[str]:
        return [
            f"-{name}" if desc == forward else name
            for name, desc in self.columns  # forward: as declared; backwards: reversed
        ]

    def _beyond(self, key: Key, *, forward: bool) -> Q:
        """Rows strictly past ``key`` in the list's order (``forward``) or strictly before
        it: ``(a > x) OR (a = x AND b > y) OR …``, each column's comparison by its
        direction."""
        steps = []
        for i, (name, desc) in enumerate(self.columns):
            step = Q(**{f"{name}__{'gt' if desc != forward else 'lt'}": key[i]})
            for earlier, (earlier_name, _desc) in enumerate(self.columns[:i]):
                step &= Q(**{earlier_name: key[earlier]})
            steps.append(step)
        return reduce(operator.or_, steps)

    def page(
        self,
        queryset: QuerySet[Any],
        *,
        cursor: str | Position | None = None,
        page_size: int | None = None,
        exact: bool = False,
        count_cap: int | None = None,
    ) -> KeysetPage[Any]:
        """One page of ``queryset`` (its filters, ``select_related`` and ``only`` kept; its
        order replaced by the keyset's): the first page, the one just past ``cursor`` or
        the one just before it (a backwards cursor with nothing before it gives the first
        page, not an empty one).

        One query. Past a cursor, the side the cursor came from is assumed to hold rows;
        ``exact`` checks it instead (one ``EXISTS`` more). ``count_cap`` adds the capped
        count of ``queryset`` to the page, as a subquery of the same query (a second only
        when a cursor points past the end).
        """
        if isinstance(cursor, str):
            position: Position | None = self.decode(cursor) if cursor else None
        elif cursor is not None:
            position = Position(self.check(cursor.key), cursor.forward)
        else:
            position = None
        size = self.size(page_size)
        forward = position is None or position.forward
        rows = queryset.order_by(*self._order(forward=forward))
        if position is not None:
            rows = rows.filter(self._beyond(position.key, forward=forward))
        if count_cap is not None:
            rows = rows.annotate(**{_TOTAL: _count_subquery(queryset, count_cap)})
        found = list(rows[: size + 1])
        if not forward and not found:
            return self.page(queryset, page_size=size, exact=exact, count_cap=count_cap)
        more = len(found) > size
        found = found[:size]
        if not forward:
            found.reverse()
        has_next, has_previous = (more, position is not None) if forward else (True, more)
        if exact and found and position is not None:
            # The side the cursor came from: really any rows there?
            if forward:
                edge = self.key_of(found[0])
                has_previous = queryset.filter(self._beyond(edge, forward=False)).exists()
            else:
                edge = self.key_of(found[-1])
                has_next = queryset.filter(self._beyond(edge, forward=True)).exists()
        total = None
        if count_cap is not None:
            if found:
                total = CappedCount.of(_total_of(found[0]), count_cap)
            elif position is not None:  # past the end: the rows were not there to carry it
                total = count_capped(queryset, cap=count_cap)
            else:
                total = CappedCount(0)
        return KeysetPage(
            rows=found,
            next_key=self.key_of(found[-1]) if found and has_next else None,
            previous_key=self.key_of(found[0]) if found and has_previous else None,
            total=total,
        )


def _total_of(row: Any) -> int:
    return int(row[_TOTAL] if isinstance(row, Mapping) else getattr(row, _TOTAL))


# --- the API ---------------------------------------------------------------------------------


def page_link(
    request: Request, *, param: str, cursor: str | None, drop: Sequence[str] = ()
) -> str | None:
    """This request's URL with ``param=cursor`` (and without the parameters ``drop``), or
    ``None`` without a cursor: a page's ``next`` or ``previous`` link."""
    if cursor is None:
        return None
    url = request.build_absolute_uri()
    for name in drop:
        url = remove_query_param(url, name)
    return replace_query_param(url, param, cursor)


class KeysetPagination(BasePagination):
    """``Keyset`` pages for DRF's generic list views: ``?cursor=`` (from the ``next`` and
    ``previous`` links) and ``?page_size=`` (up to ``max_page_size``); the body is
    ``{"next": url|null, "previous": url|null, "results": [...]}``. A bad cursor or page
    size is a 400 on that parameter. Subclass and set ``ordering`` (a unique key)."""

    ordering: tuple[str, ...] = ("-id",)
    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def keyset(self, model: type[models.Model]) -> Keyset:
        return Keyset(
            *self.ordering,
            model=model,
            page_size=self.page_size,
            max_page_size=self.max_page_size,
        )

    def _requested_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return None
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise serializers.ValidationError(
                {self.page_size_query_param: [_("Enter a whole number from 1 upwards.")]}
            )
        return size

    def paginate_queryset(  # type: ignore[override]  # a keyset needs a queryset
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        size = self._requested_size(request)
        try:
            self.page = self.keyset(queryset.model).page(
                queryset,
                cursor=request.query_params.get(self.cursor_query_param) or None,
                page_size=size,
            )
        except InvalidCursor as exc:
            raise serializers.ValidationError({self.cursor_query_param: [exc.message]}) from None
        return self.page.rows

    def get_paginated_response(self, data: Any) -> Response:
        param = self.cursor_query_param
        return Response(
            {
                "next": page_link(self.request, param=param, cursor=self.page.next_cursor),
                "previous": page_link(self.request, param=param, cursor=self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "From the `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, up to {self.max_page_size}.",
                "schema": {"type": "integer"},
            },
        ]
