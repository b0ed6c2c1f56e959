"""Every write to a credit line: opening it, its usable limit set by a person (an officer's
decision), and the limit following a succeeded assessment where the scorecard allows it.
Blocks are raised and lifted in ``scoring.lines.blocks``.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason) and its audit entry together. Audit entries hold ids, codes and amounts only.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from portal.errors import Conflict
from portal.permissions import SystemActor
from scoring.models import (
    Assessment,
    AssessmentStatus,
    Block,
    CreditLine,
    CreditLineState,
    Customer,
)
from scoring.permissions import (
    ensure_can_create_customers,
    ensure_can_set_usable_limits,
)

CENT = Decimal("0.01")


def _money(value: Decimal | int | str) -> Decimal:
    """An amount in CNY with two decimal places; ``ValidationError`` when it is not one."""
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter an amount in yuan."), code="amount") from None
    if not amount.is_finite():
        raise ValidationError(_("Enter an amount in yuan."), code="amount")
    return amount


@transaction.atomic
def credit_line_open(
    *,
    actor: SystemActor,
    customer_id: int,
    product: str,
    granted_limit: Decimal | int | str,
    usable_limit: Decimal | int | str | None = None,
    state: str = CreditLineState.NOT_ACTIVATED,
) -> CreditLine:
    """A credit line as the issuing system grants it (``usable_limit`` defaults to granted)."""
    ensure_can_create_customers(actor)
    granted = _money(granted_limit)
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    line = CreditLine(
        customer=customer,
        product=product,
        state=state,
        granted_limit=granted,
        usable_limit=granted if usable_limit is None else _money(usable_limit),
    )
    if (
        CreditLine.objects.filter(customer=customer, product=product)
        .exclude(state=CreditLineState.CLOSED)
        .exists()
    ):
        raise Conflict(_("The customer already has an open line for this product."))
    line.full_clean()  # choices, amounts and the check constraints, before the database
    return record_change(
        line,
        actor=actor,
        action=AuditAction.CREDIT_LINE_OPENED,
        data={
            "customer": customer.pk,
            "product": product,
            "state": state,
            "granted_limit": line.granted_limit,
            "usable_limit": line.usable_limit,
        },
    )


# --- automatic application of a recommendation -------------------------------------------------


@transaction.atomic
def credit_line_apply_recommendation(
    *, actor: SystemActor, assessment_id: int
) -> CreditLine | None:
    """Let a line's usable limit follow a succeeded assessment, where its scorecard allows it.

    Only when the scorecard has ``auto_apply``, the assessment names a credit line, and the
    line is open: the usable limit becomes the recommendation, capped at the granted limit.
    While the line has an active block it may go down but never up (a block is lifted by a
    person, not by a score). Blocks and the granted limit are never touched. Returns the
    line when it changed, else ``None``. Called in the caller's transaction, next to the
    assessment's own result, so both land or neither.
    """
    assessment = Assessment.objects.select_related("scorecard").get(pk=assessment_id)
    if (
        not assessment.scorecard.auto_apply
        or assessment.status != AssessmentStatus.SUCCEEDED
        or assessment.credit_line_id is None
        or assessment.recommended_limit is None
    ):
        return None
    line = CreditLine.objects.select_for_update().get(pk=assessment.credit_line_id)
    if line.state in {CreditLine.State.CLOSED, CreditLine.State.FROZEN}:
        return None
    target = min(assessment.recommended_limit, line.granted_limit)
    blocked = Block.objects.active().filter(credit_line=line).exists()
    if target == line.usable_limit or (blocked and target > line.usable_limit):
        return None
    before = line.usable_limit
    line.usable_limit = target
    return record_change(
        line,
        actor=actor,
        action=AuditAction.CREDIT_LINE_RECOMMENDATION_APPLIED,
        detail=f"assessment #{assessment.pk}, scorecard v{assessment.scorecard.version}",
        update_fields=["usable_limit", "updated_at"],
        data={
            "assessment": assessment.pk,
            "scorecard_version": assessment.scorecard.version,
            "usable_limit_before": before,
            "usable_limit_after": target,
            "granted_limit": line.granted_limit,
        },
    )


# --- usable limit set by a person ----------------------------------------------------------------


@transaction.atomic
def credit_line_set_usable_limit(
    *,
    actor: User,
    credit_line_id: int,
    usable_limit: Decimal,
    reason: str,
    audit_data: Mapping[str, Any] | None = None,
) -> tuple[Decimal, Decimal]:
    """Set a line's usable limit (an officer's override, applied by a decision): locked,
    kept within 0 and the granted limit, saved with history (user and ``reason``) and
    audited with before and after plus ``audit_data`` (ids and codes only). Returns
    ``(before, after)``. ``PermissionDenied`` without ``scoring.change_creditline``.
    """
    ensure_can_set_usable_limits(actor)
    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    if usable_limit < 0 or usable_limit > line.granted_limit:
        raise ValidationError(
            {
                "usable_limit": [
                    _("The usable limit must be between 0 and the granted limit (%(granted)s).")
                    % {"granted": line.granted_limit}
                ]
            },
            code="usable_limit_range",
        )
    before = line.usable_limit
    line.usable_limit = usable_limit
    record_change(
        line,
        actor=actor,
        action=AuditAction.CREDIT_LINE_USABLE_LIMIT_SET,
        detail=reason,
        update_fields=["usable_limit", "updated_at"],
        data={
            **(audit_data or {}),
            "customer": line.customer_id,
            "usable_limit_before": before,
            "usable_limit_after": usable_limit,
            "granted_limit": line.granted_limit,
        },
    )
    return before, usable_limit
