"""Reads shared by the case pages, the API and exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases import policy
from cases.models import OPEN_STATUSES, Case, CaseEvent, CaseEventKind, Note
from cases.permissions import can_view_cases
from scoring.models import Assessment, AssessmentTrigger, Block
from scoring.selectors import assessment_detail


def case_for_user(user: Any, pk: int) -> Case:
    """The case with its customer, credit line and assignee, if ``user`` may see cases.

    Like Healthchecks' ``_get_check_for_user``: a stranger (no ``cases.view_case``) gets the
    same 404 as a missing case, never a 403 that confirms the case exists.
    """
    if not can_view_cases(user):
        raise Http404
    try:
        return Case.objects.select_related("customer", "credit_line", "assignee").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404 from None


# --- queues -------------------------------------------------------------------------------------


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
    """The last row of a page: the next page starts after ``(priority, due, id)``."""

    priority: int
    due: datetime
    id: int

    def encode(self) -> str:
        micros = int(self.due.timestamp() * 1_000_000)
        return f"{self.priority}.{micros}.{self.id}"

    @classmethod
    def decode(cls, token: str) -> QueueCursor | None:
        try:
            priority, micros, pk = (int(part) for part in token.split("."))
            due = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None
        return cls(priority=priority, due=due, id=pk)


@dataclass(frozen=True)
class CappedCount:
    """A row count that stops at the cap: pages say "about N" above it."""

    value: int
    capped: bool


@dataclass(frozen=True)
class QueuePage:
    cases: Sequence[Case]
    next_cursor: str | None
    total: CappedCount


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case for staff who may see cases, none for anyone else."""
    return Case.objects.all() if can_view_cases(user) else Case.objects.none()


def cases_for_queue(
    *, user: Any, filters: QueueFilters, now: datetime | None = None
) -> QuerySet[Case]:
    now = now or timezone.now()
    cases = cases_visible_to(user)
    if filters.status:
        cases = cases.filter(status=filters.status)
    else:
        cases = cases.filter(status__in=OPEN_STATUSES)
    if filters.category:
        cases = cases.filter(category=filters.category)
    if filters.reason_code:
        cases = cases.filter(reason_code=filters.reason_code)
    if filters.priority is not None:
        cases = cases.filter(priority=filters.priority)
    if filters.assignee == "me":
        cases = cases.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee:
        cases = cases.filter(assignee_id=int(filters.assignee))
    if filters.sla == SlaFilter.BREACHED:
        cases = cases.filter(Q(sla_breached_at__isnull=False) | Q(sla_due_at__lt=now))
    elif filters.sla == SlaFilter.DUE_SOON:
        soon = now + timedelta(minutes=policy.due_soon_minutes())
        cases = cases.filter(
            sla_breached_at__isnull=True, sla_due_at__gte=now, sla_due_at__lte=soon
        )
    if filters.external_id:
        cases = cases.filter(customer__external_id=filters.external_id)
    if filters.phone_hash:
        cases = cases.filter(customer__phone_hash=filters.phone_hash)
    return cases


def _after(cursor: QueueCursor) -> Q:
    return Q(priority__gt=cursor.priority) | Q(priority=cursor.priority) & (
        Q(sla_due_at__gt=cursor.due) | Q(sla_due_at=cursor.due, id__gt=cursor.id)
    )


def queue_page(
    *,
    user: Any,
    filters: QueueFilters,
    after: QueueCursor | None = None,
    page_size: int | None = None,
) -> QueuePage:
    """One keyset page ordered by priority, due time and id, and a capped count.

    Two queries whatever the page size: the count (``LIMIT cap + 1``, never a count of the
    whole table) and the rows with their customers and assignees. The customer's ID number
    is never loaded (so never decrypted); name and phone are shown masked.
    """
    size = page_size or int(getattr(settings, "CASES_QUEUE_PAGE_SIZE", 50))
    cap = int(getattr(settings, "CASES_QUEUE_COUNT_CAP", 1000))
    filtered = cases_for_queue(user=user, filters=filters)
    n = filtered.order_by().values("pk")[: cap + 1].count()
    rows = filtered if after is None else filtered.filter(_after(after))
    found = list(
        rows.select_related("customer", "assignee")
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
        .order_by("priority", "sla_due_at", "id")[: size + 1]
    )
    next_cursor = None
    if len(found) > size:
        found = found[:size]
        last = found[-1]
        next_cursor = QueueCursor(last.priority, last.sla_due_at, last.pk).encode()
    return QueuePage(cases=found, next_cursor=next_cursor, total=CappedCount(min(n, cap), n > cap))


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
    "version",
    "customer_id",
    "assignee_id",
)


# --- the case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    label: str
    actor: str
    event: CaseEvent | None = None
    note: Note | None = None


def case_timeline(*, case: Case, limit: int = 200) -> list[TimelineItem]:
    """Events and notes of a case in one list, newest first (two queries)."""
    events = list(case.events.order_by("-at", "-id")[:limit])
    notes = list(case.notes.select_related("author").order_by("-created_at", "-id")[:limit])
    items = [
        TimelineItem(e.at, e.kind, e.get_kind_display(), e.actor_label, event=e)
        for e in events
        if e.kind != CaseEventKind.NOTE  # the note itself stands for its event
    ]
    items += [
        TimelineItem(
            n.created_at,
            CaseEventKind.NOTE,
            str(CaseEventKind.NOTE.label),
            n.author.get_username(),
            note=n,
        )
        for n in notes
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def case_active_blocks(*, case: Case) -> list[Block]:
    if case.credit_line_id is None:
        return []
    return list(
        Block.objects.active()
        .filter(credit_line_id=case.credit_line_id)
        .order_by("raised_at", "id")
    )


def case_latest_assessment(*, case: Case) -> Assessment | None:
    """The customer's most recent assessment (any status), loaded as the detail page does."""
    latest = (
        Assessment.objects.filter(customer_id=case.customer_id)
        .exclude(trigger=AssessmentTrigger.SHADOW)
        .order_by("-queued_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return None if latest is None else assessment_detail(assessment_id=latest)


# --- supervision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supervision:
    """What a supervisor watches: the open work, the SLA, throughput and decision habits."""

    open_total: int
    by_category: list[tuple[str, int]]
    by_reason: list[tuple[str, int]]
    breached: int
    due_soon: int
    oldest_open: Case | None
    # (day, officer username, cases closed) over the window, oldest day first
    closed_per_officer_day: list[tuple[Any, str, int]]
    decisions: int
    overrides: int
    approvals_decided: int
    approvals_approved: int
    days: int

    @property
    def override_rate(self) -> float | None:
        return self.overrides / self.decisions if self.decisions else None

    @property
    def approval_rate(self) -> float | None:
        return self.approvals_approved / self.approvals_decided if self.approvals_decided else None


def supervision_summary(*, now: datetime | None = None, days: int = 14) -> Supervision:
    """Eight aggregate queries, whatever the number of cases (no rows are loaded but one)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from cases.models import Decision, DecisionKind, DecisionState

    now = now or timezone.now()
    since = now - timedelta(days=days)
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    by_category = list(
        open_cases.values_list("category").annotate(n=Count("id")).order_by("-n", "category")
    )
    by_reason = list(
        open_cases.values_list("reason_code").annotate(n=Count("id")).order_by("-n", "reason_code")
    )
    counts = open_cases.aggregate(
        total=Count("id"),
        breached=Count("id", filter=Q(sla_due_at__lt=now)),
        due_soon=Count(
            "id",
            filter=Q(
                sla_due_at__gte=now,
                sla_due_at__lt=now + timedelta(minutes=policy.due_soon_minutes()),
            ),
        ),
    )
    oldest = open_cases.select_related("customer").order_by("opened_at", "id").first()
    closed = list(
        Case.objects.filter(closed_at__gte=since, assignee__isnull=False)
        .annotate(day=TruncDate("closed_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "assignee__username")
        .annotate(n=Count("id"))
        .order_by("day", "assignee__username")
    )
    decided = Decision.objects.filter(proposed_at__gte=since)
    decision_counts = decided.aggregate(
        total=Count("id"),
        overrides=Count("id", filter=Q(kind=DecisionKind.OVERRIDE_LIMIT)),
        approvals_decided=Count(
            "id",
            filter=Q(requires_approval=True, decided_at__isnull=False),
        ),
        approvals_approved=Count(
            "id",
            filter=Q(
                requires_approval=True,
                decided_at__isnull=False,
                state__in=[DecisionState.APPROVED, DecisionState.APPLIED],
            ),
        ),
    )
    return Supervision(
        open_total=counts["total"],
        by_category=by_category,
        by_reason=by_reason,
        breached=counts["breached"],
        due_soon=counts["due_soon"],
        oldest_open=oldest,
        closed_per_officer_day=closed,
        decisions=decision_counts["total"],
        overrides=decision_counts["overrides"],
        approvals_decided=decision_counts["approvals_decided"],
        approvals_approved=decision_counts["approvals_approved"],
        days=days,
    )
