"""What cases hold about a customer, for data-subject requests, erasure and retention.

Registered with ``compliance.personal_data`` from ``CasesConfig.ready()``. Cases hold the
customer's own words (feedback: name, number, description), officers' notes and decisions,
and open the case for a human review of an automated decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseSource,
    Decision,
    Feedback,
    FeedbackStatus,
    Note,
    Priority,
    Signal,
)
from compliance.audit import SystemActor, change_reason, history_user
from compliance.models import LegalHold, RetentionRecordType
from compliance.personal_data import PersonalDataSource, PersonalValues, redact_text

# What an officer's note on a long-closed case becomes once retention has run.
NOTE_PLACEHOLDER = "[note removed under the retention policy]"

_FEEDBACK_SCRUB: dict[str, Any] = {
    "name": None,
    "phone": None,
    "description": None,
    "name_hash": "",
    "phone_hash": "",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _held_case_ids() -> QuerySet[Any]:
    return LegalHold.objects.filter(released_at__isnull=True, case_id__isnull=False).values(
        "case_id"
    )


def _held_customer_ids() -> QuerySet[Any]:
    return LegalHold.objects.filter(released_at__isnull=True, customer__isnull=False).values(
        "customer_id"
    )


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


class CasesPersonalData(PersonalDataSource):
    name = "cases"

    # --- access and copy --------------------------------------------------------------------

    def export(self, customer_id: int) -> dict[str, Any]:
        cases = list(Case.objects.filter(customer_id=customer_id).order_by("opened_at", "pk"))
        decisions = list(
            Decision.objects.filter(case__customer_id=customer_id).order_by("proposed_at", "pk")
        )
        feedback = list(Feedback.objects.filter(customer_id=customer_id).order_by("received_at"))
        return {
            "cases": [
                {
                    "id": case.pk,
                    "category": case.category,
                    "source": case.source,
                    "reason_code": case.reason_code,
                    "status": case.status,
                    "opened_at": _iso(case.opened_at),
                    "closed_at": _iso(case.closed_at),
                }
                for case in cases
            ],
            "decisions": [
                {
                    "id": decision.pk,
                    "case": decision.case_id,
                    "kind": decision.kind,
                    "reason_code": decision.reason_code,
                    "reason": decision.get_reason_code_display(),
                    "state": decision.state,
                    "usable_limit": (
                        str(decision.usable_limit) if decision.usable_limit is not None else None
                    ),
                    "proposed_at": _iso(decision.proposed_at),
                    "applied_at": _iso(decision.applied_at),
                }
                for decision in decisions
            ],
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

    # --- erasure ----------------------------------------------------------------------------

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
        scrubbed = _scrub_feedback(feedback_ids, actor=actor, action="feedback.erased")
        # Officers' notes and decisions stay (the record of what was decided), without any
        # copy of the person's values.
        case_ids = Case.objects.filter(customer_id=customer_id).values("pk")
        needles = values.needles()
        redacted = 0
        for model, fields in ((Note, ["body"]), (Decision, ["justification", "approver_comment"])):
            redacted += redact_text(model.objects.filter(case_id__in=case_ids), fields, needles)
            redacted += redact_text(
                model.history.filter(case_id__in=case_ids),
                fields,
                needles,
            )
        return scrubbed + redacted

    def legal_hold_cases(self, customer_id: int) -> list[int]:
        return list(Case.objects.filter(customer_id=customer_id).values_list("pk", flat=True))

    def case_exists(self, case_id: int) -> bool:
        return Case.objects.filter(pk=case_id).exists()

    # --- human review -----------------------------------------------------------------------

    def human_review(self, *, customer_id: int, actor: User | SystemActor, request_id: int) -> int:
        from cases.services import case_open_or_attach

        case, _created = case_open_or_attach(
            actor=actor,
            customer_id=customer_id,
            category=CaseCategory.HUMAN_REVIEW,
            source=CaseSource.PRIVACY_REQUEST,
            priority=Priority.P2,
            event={"privacy_request": request_id},
        )
        return int(case.pk)

    # --- retention ----------------------------------------------------------------------------

    def retention_keep_customer_ids(self, *, cutoff: datetime) -> list[QuerySet[Any]]:
        """Customers with an open case, a case touched after ``cutoff``, or feedback or a
        signal received after it."""
        return [
            Case.objects.filter(
                Q(status__in=OPEN_STATUSES) | Q(updated_at__gte=cutoff)
            ).values_list("customer_id", flat=True),
            Feedback.objects.filter(received_at__gte=cutoff, customer_id__isnull=False).values_list(
                "customer_id", flat=True
            ),
            Signal.objects.filter(received_at__gte=cutoff).values_list("customer_id", flat=True),
        ]

    def retention_sweep(
        self, *, record_type: str, cutoff: datetime, dry_run: bool, actor: User | SystemActor
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
                .exclude(case_id__in=_held_case_ids())
                .exclude(customer_id__in=_held_customer_ids())
            )
            ids = list(due.values_list("pk", flat=True))
            if dry_run or not ids:
                return len(ids)
            _scrub_feedback(ids, actor=actor, action="feedback.retention_scrubbed")
            return len(ids)
        if record_type == RetentionRecordType.CASE_NOTES:
            closed = (
                Case.objects.filter(closed_at__lt=cutoff)
                .exclude(status__in=OPEN_STATUSES)
                .exclude(pk__in=_held_case_ids())
                .exclude(customer_id__in=_held_customer_ids())
                .values("pk")
            )
            notes = Note.objects.filter(case_id__in=closed).exclude(body=NOTE_PLACEHOLDER)
            ids = list(notes.values_list("pk", flat=True))
            if dry_run or not ids:
                return len(ids)
            Note.objects.filter(pk__in=ids).update(body=NOTE_PLACEHOLDER)
            Note.history.filter(id__in=ids).update(body=NOTE_PLACEHOLDER)
            Note.history.bulk_history_create(
                list(Note.objects.filter(pk__in=ids)),
                update=True,
                default_user=history_user(actor),
                default_change_reason=change_reason("note.retention_removed", actor),
                default_date=timezone.now(),
            )
            return len(ids)
        return None
