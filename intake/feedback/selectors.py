"""Reads of the intake pages: the triage queue of unmatched feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.models import Feedback, FeedbackStatus
from portal.pii.masking import mask_name, mask_phone
from scoring.models import Customer

TRIAGE_PAGE_SIZE = 50
# Customers offered per page as possible matches (by the feedback's phone).
TRIAGE_CANDIDATES_MAX = 200


@dataclass(frozen=True)
class TriagePage:
    rows: list[dict[str, Any]]
    next_after: int | None  # the id to continue after, when there is a next page


def triage_page(*, after: str = "") -> TriagePage:
    """Feedback waiting in triage, oldest first, a keyset page after the id ``after``
    (ids follow the order feedback arrived in), with masked display values: two queries."""
    waiting = Feedback.objects.filter(status=FeedbackStatus.TRIAGE).order_by("id")
    if after.isdigit():
        waiting = waiting.filter(pk__gt=int(after))
    feedback = list(
        waiting.only(
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
        )[: TRIAGE_PAGE_SIZE + 1]
    )
    next_after = feedback[TRIAGE_PAGE_SIZE - 1].pk if len(feedback) > TRIAGE_PAGE_SIZE else None
    return TriagePage(rows=_triage_rows(feedback[:TRIAGE_PAGE_SIZE]), next_after=next_after)


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
