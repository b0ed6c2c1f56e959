"""The queue: its filters, the one selector behind the queue pages, the API's case list and
exports (``cases_for_queue``), and its keyset page (``queue_page``,
``portal.api.pagination``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from cases import policy
from cases.models import OPEN_STATUSES, Case
from cases.permissions import can_view_cases
from portal.api.pagination import CappedCount, InvalidCursor, Keyset, Position
from scoring.models import Block


class SlaFilter(StrEnum):
    BREACHED = "breached"
    DUE_SOON = "due_soon"


@dataclass(frozen=True)
class QueueFilters:
    """What a queue shows. Empty means any; ``status`` empty means every open status;
    ``assignee`` is ``"me"``, ``"none"`` (unassigned) or a user id."""

    status: str = ""
    category: str = ""
    reason_code: str = ""
    priority: int | None = None
    assignee: str = ""
    sla: str = ""
    external_id: str = ""
    phone_hash: str = ""


@dataclass(frozen=True)
class QueueCursor:
    """A row of a page: the next page starts after ``(priority, due, id)``, the previous one
    ends before it. Travels as the one keyset cursor (``portal.api.pagination``, opaque);
    a token that does not decode, or names numbers no column holds, is ``None``."""

    priority: int
    due: datetime
    id: int

    def encode(self) -> str:
        return QUEUE_KEYSET.encode((self.priority, self.due, self.id))

    @classmethod
    def decode(cls, token: str) -> QueueCursor | None:
        try:
            priority, due, pk = QUEUE_KEYSET.decode(token).key
        except InvalidCursor:
            return None
        return cls(priority=priority, due=due, id=pk)


@dataclass(frozen=True)
class QueuePage:
    cases: Sequence[Case]
    next_cursor: str | None
    total: CappedCount
    previous_cursor: str | None = None


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case for staff who may see cases, none for anyone else."""
    return Case.objects.all() if can_view_cases(user) else Case.objects.none()


def cases_for_queue(
    *, user: Any, filters: QueueFilters, now: datetime | None = None
) -> QuerySet[Case]:
    """The cases a queue shows for ``filters``, within what ``user`` may see: the one
    answer for the queue pages, the API's case list and any export of it (unordered; the
    queue order is ``QUEUE_ORDER``).

    - no ``status``: every open status;
    - ``reason_code``: the case's main reason, or an active block of its credit line with
      that code (a line blocked for several reasons shows under each of them);
    - ``sla=breached``: marked breached by the SLA sweep, or past due while still open, or
      closed after its due time; ``sla=due_soon``: open, not breached, due within
      ``policy.due_soon_minutes()``.
    """
    now = now or timezone.now()
    cases = cases_visible_to(user)
    if filters.status:
        cases = cases.filter(status=filters.status)
    else:
        cases = cases.filter(status__in=OPEN_STATUSES)
    if filters.category:
        cases = cases.filter(category=filters.category)
    if filters.reason_code:
        blocked = Block.objects.active().filter(
            credit_line_id=OuterRef("credit_line_id"), reason_code=filters.reason_code
        )
        cases = cases.filter(Q(reason_code=filters.reason_code) | Exists(blocked))
    if filters.priority is not None:
        cases = cases.filter(priority=filters.priority)
    if filters.assignee == "me":
        cases = cases.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee:
        cases = cases.filter(assignee_id=int(filters.assignee))
    if filters.sla == SlaFilter.BREACHED:
        cases = cases.filter(
            Q(sla_breached_at__isnull=False)
            | Q(status__in=OPEN_STATUSES, sla_due_at__lt=now)
            | Q(closed_at__gt=F("sla_due_at"))
        )
    elif filters.sla == SlaFilter.DUE_SOON:
        soon = now + timedelta(minutes=policy.due_soon_minutes())
        cases = cases.filter(
            status__in=OPEN_STATUSES,
            sla_breached_at__isnull=True,
            sla_due_at__gte=now,
            sla_due_at__lte=soon,
        )
    if filters.external_id:
        cases = cases.filter(customer__external_id=filters.external_id)
    if filters.phone_hash:
        cases = cases.filter(customer__phone_hash=filters.phone_hash)
    return cases


QUEUE_ORDER = ("priority", "sla_due_at", "id")
QUEUE_KEYSET = Keyset(*QUEUE_ORDER, model=Case, max_page_size=200)


def queue_page(
    *,
    user: Any,
    filters: QueueFilters,
    after: QueueCursor | None = None,
    before: QueueCursor | None = None,
    page_size: int | None = None,
) -> QueuePage:
    """One keyset page of ``cases_for_queue`` in ``QUEUE_ORDER``, and a capped count: the
    first page, the page after the row ``after`` or the page before the row ``before``
    (``portal.api.pagination.Keyset``).

    One query whatever the page size: the rows with their customers and assignees, and the
    count (``LIMIT cap + 1``, never a count of the whole table) as a scalar subquery. The
    customer's ID number is never loaded (so never decrypted); name and phone are shown
    masked. ``previous_cursor`` is set when rows come before the page (known for certain
    when going backwards; after a cursor, assumed), ``next_cursor`` when rows follow it.
    """
    size = page_size or int(getattr(settings, "CASES_QUEUE_PAGE_SIZE", 50))
    cap = int(getattr(settings, "CASES_QUEUE_COUNT_CAP", 1000))
    row = before or after
    position = (
        Position((row.priority, row.due, row.id), forward=before is None)
        if row is not None
        else None
    )
    rows = (
        cases_for_queue(user=user, filters=filters)
        .select_related("customer", "assignee")
        .only(
            *QUEUE_FIELDS,
            "customer__id",
            "customer__external_id",
            "customer__name",
            "customer__phone",
            "assignee__id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    page = QUEUE_KEYSET.page(rows, cursor=position, page_size=size, count_cap=cap)
    return QueuePage(
        cases=page.rows,
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
        total=page.total or CappedCount(0),
    )


QUEUE_FIELDS = (
    "id",
    "category",
    "source",
    "reason_code",
    "status",
    "priority",
    "sla_due_at",
    "sla_due_soon_at",
    "sla_breached_at",
    "assigned_at",
    "opened_at",
    "closed_at",
    "version",
    "customer_id",
    "credit_line_id",
    "assignee_id",
)
