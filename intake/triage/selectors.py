"""Reads of the triage page: the queue of unmatched feedback and the customer it names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.models import Feedback, FeedbackStatus
from portal.api.pagination import ID_MAX, Keyset, Position
from portal.pii.masking import mask_name, mask_phone
from scoring.models import Customer

TRIAGE_PAGE_SIZE = 50
# Customers offered per page as possible matches (by the feedback's phone).
TRIAGE_CANDIDATES_MAX = 200


@dataclass(frozen=True)
class TriagePage:
    rows: list[dict[str, Any]]
    next_after: int | None  # the id to continue after, when there is a next page


TRIAGE_KEYSET = Keyset("id", model=Feedback, page_size=TRIAGE_PAGE_SIZE)


def triage_page(*, after: str = "") -> TriagePage:
    """Feedback waiting in triage, oldest first, a keyset page after the id ``after``
    (ids follow the order feedback arrived in; ``portal.api.pagination``), with masked
    display values: two queries. An ``after`` that is not an id gives the first page."""
    waiting = Feedback.objects.filter(status=FeedbackStatus.TRIAGE).only(
        "id",
        "reference",
        "kind",
        "name",
        "phone",
        "phone_hash",
        "description",
        "received_at",
        "happened_at",
        "error",
    )
    position = Position((min(int(after), ID_MAX),)) if after.isdigit() else None
    page = TRIAGE_KEYSET.page(waiting, cursor=position)
    next_after = page.next_key[0] if page.next_key else None
    return TriagePage(rows=_triage_rows(page.rows), next_after=next_after)


def _triage_rows(feedback: list[Feedback]) -> list[dict[str, Any]]:
    """Masked display values, and the customers whose phone matches (masked, by external
    id) to help the officer choose, in one query for the whole page."""
    hashes = {f.phone_hash for f in feedback if f.phone_hash}
    candidates: dict[str, list[dict[str, str]]] = {}
    if hashes:
        for customer in (
            Customer.objects.filter(phone_hash__in=hashes)
            .only("id", "external_id", "name", "phone_hash")
            .order_by("external_id")[:TRIAGE_CANDIDATES_MAX]
        ):
            candidates.setdefault(customer.phone_hash, []).append(
                {"external_id": customer.external_id, "name_masked": mask_name(customer.name)}
            )
    return [
        {
            "feedback": f,
            "name_masked": mask_name(f.name),
            "phone_masked": mask_phone(f.phone),
            "candidates": candidates.get(f.phone_hash, []),
        }
        for f in feedback
    ]


def customer_id_for(external_id: str) -> int | None:
    """The id of the customer with this customer number (surrounding spaces ignored)."""
    return (
        Customer.objects.filter(external_id=external_id.strip())
        .values_list("pk", flat=True)
        .first()
    )
