"""Reads that pages, the API, jobs and exports share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.db.models import Prefetch, Q, QuerySet

from compliance.crypto import keyed_hash
from scoring.models import Block, CreditLine, Customer

# "About N": never count a large table exactly on a page load; count up to the cap.
COUNT_CAP = 1000


def credit_lines_shown_but_unusable() -> QuerySet[CreditLine]:
    """Every line whose app shows a limit the customer cannot use (see the design).

    ``granted_limit > 0`` and (``usable_limit == 0`` or an active block), not closed.
    Later issues (detection job, queues, bulk re-assessment) start from this queryset.
    """
    return CreditLine.objects.shown_but_unusable()


def active_blocks() -> QuerySet[Block]:
    return Block.objects.active()


def credit_line_is_shown_but_unusable(*, credit_line_id: int) -> bool:
    """The same definition for a single line, as one indexed query."""
    return credit_lines_shown_but_unusable().filter(pk=credit_line_id).exists()


def credit_line_active_reason_codes(*, credit_line_id: int) -> list[str]:
    return sorted(
        active_blocks().filter(credit_line_id=credit_line_id).values_list("reason_code", flat=True)
    )


@dataclass(frozen=True)
class CappedCount:
    """A row count that stops at ``cap``: show "about N", or "cap+" when ``capped``."""

    value: int
    capped: bool


def count_capped(queryset: QuerySet[CreditLine], *, cap: int | None = None) -> CappedCount:
    """``SELECT count(*) FROM (… LIMIT cap + 1)``: bounded work whatever the table size."""
    cap = COUNT_CAP if cap is None else cap
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return CappedCount(value=min(n, cap), capped=n > cap)


@dataclass(frozen=True)
class UnusableLinesPage:
    lines: Sequence[CreditLine]
    next_cursor: int | None
    total: CappedCount


def unusable_lines_filtered(
    *,
    reason_code: str = "",
    product: str = "",
    city: str = "",
    state: str = "",
) -> QuerySet[CreditLine]:
    """Shown-but-unusable lines narrowed by the page's filters (empty means any)."""
    lines = credit_lines_shown_but_unusable()
    if reason_code:
        lines = lines.filter(
            pk__in=active_blocks().filter(reason_code=reason_code).values("credit_line_id")
        )
    if product:
        lines = lines.filter(product=product)
    if state:
        lines = lines.filter(state=state)
    if city:
        lines = lines.filter(customer__city=city)
    return lines


def unusable_lines_page(
    *,
    reason_code: str = "",
    product: str = "",
    city: str = "",
    state: str = "",
    after: int | None = None,
    page_size: int = 50,
) -> UnusableLinesPage:
    """One keyset page (newest line first, ``id < after``) and an "about N" count.

    Queries: one for the capped count, one for the lines with their customers, one for
    all their active blocks, whatever the page size. The customer's ID number is never
    loaded (and so never decrypted): the page does not show it.
    """
    filtered = unusable_lines_filtered(
        reason_code=reason_code, product=product, city=city, state=state
    )
    total = count_capped(filtered)
    lines = filtered
    if after is not None:
        lines = lines.filter(pk__lt=after)
    rows = list(
        lines.select_related("customer")
        .only(
            "id",
            "product",
            "state",
            "granted_limit",
            "usable_limit",
            "currency",
            "opened_at",
            "updated_at",
            "customer__id",
            "customer__external_id",
            "customer__name",
            "customer__phone",
            "customer__city",
        )
        .prefetch_related(
            Prefetch(
                "blocks",
                queryset=active_blocks().order_by("raised_at", "id"),
                to_attr="active_blocks",
            )
        )
        .order_by("-pk")[: page_size + 1]
    )
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = rows[-1].pk
    return UnusableLinesPage(lines=rows, next_cursor=next_cursor, total=total)


def customers_with_lines(customer_ids: list[int]) -> list[Customer]:
    """Customers with their credit lines and active blocks, in the order given."""
    customers = Customer.objects.filter(pk__in=customer_ids).prefetch_related(
        Prefetch(
            "credit_lines",
            queryset=CreditLine.objects.order_by("product", "pk").prefetch_related(
                Prefetch(
                    "blocks",
                    queryset=active_blocks().order_by("raised_at", "id"),
                    to_attr="active_blocks",
                )
            ),
        )
    )
    by_id = {c.pk: c for c in customers}
    return [by_id[i] for i in customer_ids if i in by_id]


# --- customer lookup --------------------------------------------------------------------------

SearchKind = Literal["phone", "id_number", "external_id"]

_SEPARATORS = re.compile(r"[\s\-]+")
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9][0-9]{9})")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")


def classify_search_term(raw: str) -> tuple[SearchKind, str] | None:
    """``(kind, value)`` for a mainland mobile number, a resident ID number or an external
    id; ``None`` for anything else. Full-width digits, spaces, dashes and +86 are accepted."""
    text = unicodedata.normalize("NFKC", raw).strip()
    compact = _SEPARATORS.sub("", text).upper()
    if match := _MOBILE.fullmatch(compact):
        return "phone", match.group(1)
    if _ID_NUMBER.fullmatch(compact):
        return "id_number", compact
    if _EXTERNAL_ID.fullmatch(text):
        return "external_id", text
    return None


def customers_matching(*, kind: SearchKind, value: str, limit: int = 20) -> list[int]:
    """Ids of customers whose phone, ID number or external id equals ``value`` exactly.

    An indexed equality on the keyed hash: nothing is decrypted to search. An external id
    is tried as well for every kind, in case an upstream system uses numeric ids.
    """
    match = Q(external_id=value)
    if kind == "phone":
        match |= Q(phone_hash=keyed_hash(value, kind="phone"))
    elif kind == "id_number":
        match |= Q(national_id_hash=keyed_hash(value, kind="id_number"))
    return list(Customer.objects.filter(match).order_by("pk").values_list("pk", flat=True)[:limit])
