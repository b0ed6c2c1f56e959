"""Opening and attaching cases: ``case_open_or_attach`` is the one way cases are created."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.encoding import normalise_data
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from cases import policy
from cases.models import OPEN_STATUSES, Case, CaseCategory, CaseEventKind, CaseSource, Priority
from cases.services.primitives import Actor, case_bump, case_event_record
from scoring.models import CreditLine, ReasonCode

_ATTACH_EVENT_KIND: dict[str, str] = {
    CaseSource.SIGNAL: CaseEventKind.SIGNAL,
    CaseSource.FEEDBACK: CaseEventKind.FEEDBACK,
}


def _open_case(*, customer_id: int, category: str) -> Case | None:
    return (
        Case.objects.select_for_update(of=("self",))
        .filter(customer_id=customer_id, category=category, status__in=OPEN_STATUSES)
        .first()
    )


def _validate_open(
    *, customer_id: int, category: str, source: str, credit_line_id: int | None, reason_code: str
) -> None:
    errors: dict[str, list[str]] = {}
    if category not in CaseCategory.values:
        errors["category"] = [_("Choose a case category from the list.")]
    if source not in CaseSource.values:
        errors["source"] = [_("Choose a case source from the list.")]
    if reason_code and reason_code not in ReasonCode.values:
        errors["reason_code"] = [_("Choose a reason code from the list.")]
    if (
        credit_line_id is not None
        and not CreditLine.objects.filter(pk=credit_line_id, customer_id=customer_id).exists()
    ):
        errors["credit_line"] = [_("This credit line does not belong to the customer.")]
    if errors:
        raise ValidationError(errors)


def case_open_or_attach(
    *,
    actor: Actor,
    customer_id: int,
    category: str,
    source: str,
    credit_line_id: int | None = None,
    reason_code: str = "",
    priority: int | None = None,
    event: dict[str, Any] | None = None,
) -> tuple[Case, bool]:
    """The one way cases are created: ``(case, True)`` for a new case, ``(case, False)``
    when the event attached to the customer's open case of the same category.

    Attaching records the event (``signal``, ``feedback`` or ``attached`` by source) and
    raises the case's priority (and brings its due time forward) when the new event is
    more urgent. Two callers racing for the same customer and category meet at the partial
    unique index: the loser's insert fails inside a savepoint and it attaches instead.
    ``event`` holds ids and codes only (personal keys and floats are refused).
    """
    _validate_open(
        customer_id=customer_id,
        category=category,
        source=source,
        credit_line_id=credit_line_id,
        reason_code=reason_code,
    )
    details = normalise_data(event)
    wanted = int(priority) if priority is not None else int(Priority.P3)
    if wanted not in Priority.values:
        raise ValidationError({"priority": [_("Choose a priority from P1 to P4.")]})
    with transaction.atomic():
        existing = _open_case(customer_id=customer_id, category=category)
        if existing is None:
            now = timezone.now()
            case = Case(
                customer_id=customer_id,
                credit_line_id=credit_line_id,
                category=category,
                source=source,
                reason_code=reason_code,
                priority=wanted,
                sla_due_at=policy.sla_due(category=category, priority=wanted, start=now),
                opened_at=now,
            )
            try:
                with transaction.atomic():
                    save_with_history(
                        case,
                        actor=actor,
                        reason=change_reason(AuditAction.CASE_OPENED, actor),
                        force_insert=True,
                    )
            except IntegrityError:
                existing = _open_case(customer_id=customer_id, category=category)
                if existing is None:  # the other case closed meanwhile: a real error
                    raise
            else:
                case_event_record(
                    case=case,
                    kind=CaseEventKind.OPENED,
                    actor=actor,
                    data={"source": source, "reason_code": reason_code, **details},
                )
                audit_record(
                    actor=actor,
                    action=AuditAction.CASE_OPENED,
                    target=case,
                    data={
                        "customer": customer_id,
                        "credit_line": credit_line_id,
                        "category": category,
                        "source": source,
                        "reason_code": reason_code,
                        "priority": wanted,
                    },
                )
                return case, True
        return _case_attach(
            case=existing,
            actor=actor,
            source=source,
            reason_code=reason_code,
            priority=wanted if priority is not None else None,
            details=details,
        ), False


def _case_attach(
    *,
    case: Case,
    actor: Actor,
    source: str,
    reason_code: str,
    priority: int | None,
    details: dict[str, Any],
) -> Case:
    changed: list[str] = []
    before = case.priority
    if priority is not None and priority < case.priority:
        case.priority = priority
        due = policy.sla_due(category=case.category, priority=priority, start=case.opened_at)
        if due < case.sla_due_at:
            case.sla_due_at = due
            changed.append("sla_due_at")
        changed.append("priority")
    if reason_code and not case.reason_code:
        case.reason_code = reason_code
        changed.append("reason_code")
    if changed:
        case_bump(case=case, actor=actor, reason=AuditAction.CASE_ATTACHED, fields=changed)
    case_event_record(
        case=case,
        kind=_ATTACH_EVENT_KIND.get(source, CaseEventKind.ATTACHED),
        actor=actor,
        data={"source": source, "reason_code": reason_code, **details},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_ATTACHED,
        target=case,
        data={
            "source": source,
            "reason_code": reason_code,
            "priority_before": before,
            "priority": case.priority,
        },
    )
    return case
