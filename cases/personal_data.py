"""What cases hold about a customer, for data-subject requests, erasure and retention.

Registered with ``portal.pii.sources`` from ``CasesConfig.ready()``. Cases hold officers'
notes and decisions, and open the case for a human review of an automated decision (the
customer's own words, their feedback, are intake's: ``intake.personal_data``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.actions import AuditAction
from audit.history_rows import change_reason, history_user
from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseSource,
    Decision,
    Note,
    Priority,
)
from portal.permissions import SystemActor
from portal.pii.sources import (
    Holds,
    PersonalDataSource,
    PersonalValues,
    RetentionRecordType,
    redact_text,
)

# What an officer's note on a long-closed case becomes once retention has run.
NOTE_PLACEHOLDER = "[note removed under the retention policy]"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


class CasesPersonalData(PersonalDataSource):
    name = "cases"

    # --- access and copy --------------------------------------------------------------------

    def export(self, customer_id: int) -> dict[str, Any]:
        cases = list(Case.objects.filter(customer_id=customer_id).order_by("opened_at", "pk"))
        decisions = list(
            Decision.objects.filter(case__customer_id=customer_id).order_by("proposed_at", "pk")
        )
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
        return redacted

    def legal_hold_cases(self, customer_id: int) -> list[int]:
        return list(Case.objects.filter(customer_id=customer_id).values_list("pk", flat=True))

    def case_exists(self, case_id: int) -> bool:
        return Case.objects.filter(pk=case_id).exists()

    # --- human review -----------------------------------------------------------------------

    def human_review(self, *, customer_id: int, actor: User | SystemActor, request_id: int) -> int:
        from cases.services.opening import case_open_or_attach

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
        """Customers with an open case or a case touched after ``cutoff``."""
        return [
            Case.objects.filter(
                Q(status__in=OPEN_STATUSES) | Q(updated_at__gte=cutoff)
            ).values_list("customer_id", flat=True),
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
        if record_type == RetentionRecordType.CASE_NOTES:
            closed = (
                Case.objects.filter(closed_at__lt=cutoff)
                .exclude(status__in=OPEN_STATUSES)
                .exclude(pk__in=holds.case_ids)
                .exclude(customer_id__in=holds.customer_ids)
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
                default_change_reason=change_reason(AuditAction.NOTE_RETENTION_REMOVED, actor),
                default_date=timezone.now(),
            )
            return len(ids)
        return None
