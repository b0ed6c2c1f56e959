"""What intake holds about a customer, for data-subject requests, erasure and retention.

Registered with ``portal.pii.sources`` from ``IntakeConfig.ready()``: the customer's own
words (feedback: name, number, description) and the signals received about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import User
from audit.actions import AuditAction
from audit.history_rows import change_reason, history_user
from intake.models import Feedback, FeedbackStatus, Signal
from portal.permissions import SystemActor
from portal.pii.sources import Holds, PersonalDataSource, PersonalValues, RetentionRecordType

_FEEDBACK_SCRUB: dict[str, Any] = {
    "name": None,
    "phone": None,
    "description": None,
    "name_hash": "",
    "phone_hash": "",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _scrub_feedback(
    ids: Iterable[int], *, actor: User | SystemActor, action: str, detail: str = ""
) -> int:
    """Scrub the customer's words from these feedback rows and every version of them."""
    ids = list(ids)
    if not ids:
        return 0
    live = Feedback.objects.filter(pk__in=ids).update(**_FEEDBACK_SCRUB)
    history = Feedback.history.filter(id__in=ids).update(**_FEEDBACK_SCRUB)
    # A version saying who scrubbed them and why, written after the scrub (holds nothing).
    Feedback.history.bulk_history_create(
        list(Feedback.objects.filter(pk__in=ids)),
        update=True,
        default_user=history_user(actor),
        default_change_reason=change_reason(action, actor, detail),
    )
    return int(live + history)


class IntakePersonalData(PersonalDataSource):
    name = "intake"

    def export(self, customer_id: int) -> dict[str, Any]:
        feedback = list(Feedback.objects.filter(customer_id=customer_id).order_by("received_at"))
        return {
            "feedback": [
                {
                    "reference": item.reference,
                    "kind": item.kind,
                    "name": item.name,
                    "phone": item.phone,
                    "description": item.description,
                    "happened_at": _iso(item.happened_at),
                    "received_at": _iso(item.received_at),
                    "status": item.status,
                    "case": item.case_id,
                }
                for item in feedback
            ],
        }

    def erase(
        self,
        *,
        customer_id: int,
        pseudonym: str,
        actor: User | SystemActor,
        values: PersonalValues,
    ) -> int:
        # Their feedback, and submissions from their number that were never matched to them.
        match = Q(customer_id=customer_id)
        if values.phone_hash:
            match |= Q(phone_hash=values.phone_hash)
        feedback_ids = set(Feedback.objects.filter(match).values_list("pk", flat=True))
        if values.phone_hash:
            feedback_ids |= set(
                Feedback.history.filter(phone_hash=values.phone_hash).values_list("id", flat=True)
            )
        scrubbed = _scrub_feedback(feedback_ids, actor=actor, action=AuditAction.FEEDBACK_ERASED)
        return scrubbed

    def retention_keep_customer_ids(self, *, cutoff: datetime) -> list[QuerySet[Any]]:
        """Customers with feedback or a signal received after ``cutoff``."""
        return [
            Feedback.objects.filter(received_at__gte=cutoff, customer_id__isnull=False).values_list(
                "customer_id", flat=True
            ),
            Signal.objects.filter(received_at__gte=cutoff).values_list("customer_id", flat=True),
        ]

    def retention_sweep(
        self,
        *,
        record_type: str,
        cutoff: datetime,
        dry_run: bool,
        actor: User | SystemActor,
        holds: Holds,
    ) -> int | None:
        if record_type == RetentionRecordType.FEEDBACK_TEXT:
            due = (
                Feedback.objects.filter(
                    received_at__lt=cutoff,
                    status__in=[FeedbackStatus.CLOSED, FeedbackStatus.MATCHED],
                )
                .filter(
                    Q(name__isnull=False) | Q(phone__isnull=False) | Q(description__isnull=False)
                )
                .exclude(case_id__in=holds.case_ids)
                .exclude(customer_id__in=holds.customer_ids)
            )
            ids = list(due.values_list("pk", flat=True))
            if dry_run or not ids:
                return len(ids)
            _scrub_feedback(ids, actor=actor, action=AuditAction.FEEDBACK_RETENTION_SCRUBBED)
            return len(ids)
        return None
