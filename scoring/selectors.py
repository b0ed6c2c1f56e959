"""Reads that pages, the API, jobs and exports share."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from portal.api.pagination import COUNT_CAP, CappedCount, Keyset, Position
from portal.pii.crypto import keyed_hash
from scoring.models import (
    Assessment,
    AssessmentStatus,
    Block,
    BulkJob,
    BulkJobStatus,
    CreditLine,
    CreditLineState,
    Customer,
    Scorecard,
)

# Never count a large table exactly on a page load: the list counts up to the kernel's cap.
UNUSABLE_LINES_PAGE_SIZE = 50
UNUSABLE_LINES = Keyset("-id", model=CreditLine, page_size=UNUSABLE_LINES_PAGE_SIZE)


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
class UnusableLinesPage:
    lines: Sequence[CreditLine]
    total: CappedCount
    next_cursor: str | None = None
    previous_cursor: str | None = None


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
    cursor: Position | None = None,
    page_size: int | None = None,
) -> UnusableLinesPage:
    """One keyset page, newest line first (``UNUSABLE_LINES``, the shared pager): the first,
    or the one just past or before ``cursor`` (a page link's, read by
    ``UNUSABLE_LINES.decode``); with the count of matching lines capped at ``COUNT_CAP``.

    Queries: one for the lines with their customers and the capped count (a subquery of
    the same statement), one for all their active blocks, whatever the page size. The
    customer's ID number is never loaded (and so never decrypted): the page does not show it.
    """
    filtered = unusable_lines_filtered(
        reason_code=reason_code, product=product, city=city, state=state
    )
    lines = (
        filtered.select_related("customer")
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
    )
    page = UNUSABLE_LINES.page(lines, cursor=cursor, page_size=page_size, count_cap=COUNT_CAP)
    return UnusableLinesPage(
        lines=page.rows,
        total=page.total or CappedCount(0),
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
    )


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


# --- assessments and bulk re-assessments (jobs) -----------------------------------------------

# How many failed assessments a bulk job's progress lists (the rest are counted).
BULK_FAILURES_SHOWN = 50


def champion_scorecard() -> Scorecard | None:
    return Scorecard.objects.filter(is_champion=True).first()


def assessment_detail(*, assessment_id: int) -> Assessment:
    """One assessment with what its detail views show, in one query (``DoesNotExist``).

    The customer is loaded for the masked name only; the ID number is never loaded.
    """
    return (
        Assessment.objects.select_related("customer", "scorecard")
        .only(
            *(f.name for f in Assessment._meta.concrete_fields),
            "customer__id",
            "customer__external_id",
            "customer__name",
            "scorecard__id",
            "scorecard__version",
            "scorecard__name",
        )
        .get(pk=assessment_id)
    )


def assessment_in_flight(*, customer_id: int) -> Assessment | None:
    """The customer's queued or running single assessment (not part of a bulk job), if any."""
    return (
        Assessment.objects.filter(
            customer_id=customer_id,
            bulk_job__isnull=True,
            status__in=[AssessmentStatus.QUEUED, AssessmentStatus.RUNNING],
        )
        .order_by("-queued_at", "-pk")
        .first()
    )


def bulk_job_customers(filters: dict[str, Any]) -> QuerySet[Customer]:
    """Customers a bulk re-assessment with these (already validated) filters covers.

    Only customers with active consent: an assessment never runs without it.

    - ``reason_code`` / ``block_source``: an active block with that reason and/or source
      (both on the same block when both are given);
    - ``city``; ``product``: a line of that product that is not closed;
    - ``scorecard_version``: the latest succeeded assessment used that version;
    - ``assessed_before`` (a date, Asia/Shanghai): no succeeded assessment finished on or
      after that day (customers never assessed are included: they are the stalest).
    """
    customers = Customer.objects.filter(
        consent_financial_info=True, consent_withdrawn_at__isnull=True
    )
    block_match: dict[str, Any] = {}
    if filters.get("reason_code"):
        block_match["reason_code"] = filters["reason_code"]
    if filters.get("block_source"):
        block_match["source"] = filters["block_source"]
    if block_match:
        customers = customers.filter(
            Exists(
                Block.objects.active().filter(credit_line__customer=OuterRef("pk"), **block_match)
            )
        )
    if filters.get("city"):
        customers = customers.filter(city=filters["city"])
    if filters.get("product"):
        customers = customers.filter(
            Exists(
                CreditLine.objects.filter(
                    customer=OuterRef("pk"), product=filters["product"]
                ).exclude(state=CreditLineState.CLOSED)
            )
        )
    if filters.get("scorecard_version") is not None:
        latest_version = Subquery(
            Assessment.objects.filter(customer=OuterRef("pk"), status=AssessmentStatus.SUCCEEDED)
            .order_by("-finished_at", "-pk")
            .values("scorecard__version")[:1]
        )
        customers = customers.annotate(latest_version=latest_version).filter(
            latest_version=filters["scorecard_version"]
        )
    if filters.get("assessed_before"):
        day = filters["assessed_before"]
        if isinstance(day, str):
            day = date.fromisoformat(day)
        since = timezone.make_aware(datetime.combine(day, time.min))
        customers = customers.exclude(
            Exists(
                Assessment.objects.filter(
                    customer=OuterRef("pk"),
                    status=AssessmentStatus.SUCCEEDED,
                    finished_at__gte=since,
                )
            )
        )
    return customers


def bulk_job_remaining_customer_ids(*, job: BulkJob) -> list[int]:
    """Ids (ascending) of the customers of the job's filter without an assessment in it."""
    return list(
        bulk_job_customers(job.filters)
        .exclude(Exists(Assessment.objects.filter(bulk_job=job, customer=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def bulk_job_assessed_customer_ids(*, job_id: int, customer_ids: Sequence[int]) -> set[int]:
    return set(
        Assessment.objects.filter(
            bulk_job_id=job_id, customer_id__in=list(customer_ids)
        ).values_list("customer_id", flat=True)
    )


@dataclass(frozen=True)
class BulkJobFailure:
    assessment_id: int
    customer_id: int
    error: str


@dataclass(frozen=True)
class BulkJobProgress:
    job: BulkJob
    percent: int
    failures: list[BulkJobFailure]

    @property
    def is_active(self) -> bool:
        """Still moving (the progress page keeps polling)."""
        return self.job.status in {BulkJobStatus.QUEUED, BulkJobStatus.RUNNING}


def bulk_job_progress(*, job_id: int) -> BulkJobProgress:
    """A bulk job's counts and its first failures: two queries (``DoesNotExist``)."""
    job = BulkJob.objects.select_related("requested_by", "scorecard").get(pk=job_id)
    if job.total:
        percent = job.done * 100 // job.total
    else:
        percent = 100 if job.status == BulkJobStatus.FINISHED else 0
    failures = (
        [
            BulkJobFailure(assessment_id=a_id, customer_id=c_id, error=error)
            for a_id, c_id, error in Assessment.objects.filter(
                bulk_job_id=job_id, status=AssessmentStatus.FAILED
            )
            .order_by("pk")
            .values_list("pk", "customer_id", "error")[:BULK_FAILURES_SHOWN]
        ]
        if job.failed
        else []
    )
    return BulkJobProgress(job=job, percent=percent, failures=failures)


def bulk_jobs_recent(*, limit: int = 50) -> list[BulkJob]:
    return list(
        BulkJob.objects.select_related("requested_by").order_by("-created_at", "-pk")[:limit]
    )
