"""Every write to customers, credit lines and blocks.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason) and its audit entry together. Free text (notes, lift reasons) stays on
the rows, where erasure can reach it; audit entries hold codes, ids and masked values only,
because the audit log is append-only and must never hold personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from compliance.audit import SystemActor, audit_record
from compliance.masking import mask
from portal.errors import Conflict
from scoring.models import (
    Block,
    BlockSource,
    CreditLine,
    CreditLineState,
    Customer,
    ReasonCode,
)
from scoring.permissions import (
    ensure_can_create_customers,
    ensure_can_manage_blocks,
    ensure_can_search_customers,
)
from scoring.selectors import (
    classify_search_term,
    credit_line_active_reason_codes,
    credit_line_is_shown_but_unusable,
    customers_matching,
    customers_with_lines,
)

Actor = User | SystemActor

NOTE_MAX_LENGTH = 500
CENT = Decimal("0.01")
CHANGE_REASON_MAX_LENGTH = 100  # django-simple-history's history_change_reason column


def _history_user(actor: Actor) -> User | None:
    return None if isinstance(actor, SystemActor) else actor


def _actor_label(actor: Actor) -> str:
    return actor.label if isinstance(actor, SystemActor) else actor.get_username()


def _change_reason(action: str, actor: Actor, detail: str = "") -> str:
    """``block.lifted by system:rules: <detail>`` (the system is named, a user is history_user)."""
    text = action
    if isinstance(actor, SystemActor):
        text += f" by {actor.label}"
    if detail:
        text += f": {detail}"
    return text[:CHANGE_REASON_MAX_LENGTH]


def _usability(credit_line_id: int) -> dict[str, Any]:
    """What the audit entry records before and after a change to a line's blocks."""
    return {
        "shown_but_unusable": credit_line_is_shown_but_unusable(credit_line_id=credit_line_id),
        "active_reasons": credit_line_active_reason_codes(credit_line_id=credit_line_id),
    }


def _money(value: Decimal | int | str) -> Decimal:
    """An amount in CNY with two decimal places; ``ValidationError`` when it is not one."""
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter an amount in yuan."), code="amount") from None
    if not amount.is_finite():
        raise ValidationError(_("Enter an amount in yuan."), code="amount")
    return amount


# --- blocks -----------------------------------------------------------------------------------


@transaction.atomic
def block_raise(
    *,
    actor: Actor,
    credit_line_id: int,
    reason_code: str,
    source: str,
    note: str = "",
) -> Block:
    """Block a credit line for a reason. One active block per line and reason.

    An officer raises blocks with source ``officer``; the system (rules, upstream signals)
    with ``rule`` or ``upstream``. Raises ``PermissionDenied``, ``ValidationError`` for a
    reason or source outside the lists, ``Conflict`` when the line is closed or already
    blocked for that reason, and ``CreditLine.DoesNotExist``.
    """
    ensure_can_manage_blocks(actor)
    if reason_code not in ReasonCode.values:
        raise ValidationError(_("Choose a reason code from the list."), code="reason_code")
    if source not in BlockSource.values:
        raise ValidationError(_("Choose a block source from the list."), code="source")
    if (source == BlockSource.OFFICER) == isinstance(actor, SystemActor):
        raise ValidationError(
            _("Blocks from officers have the source 'officer'; the system's never do."),
            code="source",
        )
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the note under %(limit)d characters.") % {"limit": NOTE_MAX_LENGTH},
            code="note",
        )

    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    if line.state == CreditLineState.CLOSED:
        raise Conflict(_("This credit line is closed."), code="closed")
    if Block.objects.active().filter(credit_line=line, reason_code=reason_code).exists():
        raise Conflict(_("This credit line is already blocked for that reason."), code="duplicate")
    before = _usability(line.pk)

    block = Block(
        credit_line=line,
        reason_code=reason_code,
        source=source,
        raised_at=timezone.now(),
        raised_by=_history_user(actor),
        raised_by_label=_actor_label(actor),
        note=note,
    )
    block._history_user = _history_user(actor)  # type: ignore[attr-defined]
    block._change_reason = _change_reason("block.raised", actor, reason_code)  # type: ignore[attr-defined]
    block.save()

    audit_record(
        actor=actor,
        action="block.raised",
        target=block,
        data={
            "credit_line": line.pk,
            "customer": line.customer_id,
            "reason_code": reason_code,
            "source": source,
            "before": before,
            "after": _usability(line.pk),
        },
    )
    return block


@transaction.atomic
def block_lift(*, actor: Actor, block_id: int, reason: str) -> Block:
    """Lift an active block, saying why. Lifting a lifted block is a ``Conflict`` and
    changes nothing (safe to retry). Raises ``PermissionDenied``, ``ValidationError`` for
    an empty reason and ``Block.DoesNotExist``.

    Locks the line before the block, in the same order as ``block_raise``.
    """
    ensure_can_manage_blocks(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the block is lifted."), code="reason")

    credit_line_id = Block.objects.values_list("credit_line_id", flat=True).get(pk=block_id)
    line = CreditLine.objects.select_for_update().get(pk=credit_line_id)
    block = Block.objects.select_for_update().get(pk=block_id)
    if block.lifted_at is not None:
        raise Conflict(_("This block has already been lifted."), code="already_lifted")
    before = _usability(line.pk)

    block.lifted_at = timezone.now()
    block.lifted_by = _history_user(actor)
    block.lifted_by_label = _actor_label(actor)
    block.lift_reason = reason
    block._history_user = _history_user(actor)  # type: ignore[attr-defined]
    block._change_reason = _change_reason("block.lifted", actor, reason)  # type: ignore[attr-defined]
    block.save(update_fields=["lifted_at", "lifted_by", "lifted_by_label", "lift_reason"])

    audit_record(
        actor=actor,
        action="block.lifted",
        target=block,
        data={
            "credit_line": line.pk,
            "customer": line.customer_id,
            "reason_code": block.reason_code,
            "source": block.source,
            "raised_at": block.raised_at,
            "before": before,
            "after": _usability(line.pk),
        },
    )
    return block


# --- customers --------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor: SystemActor,
    external_id: str,
    name: str,
    phone: str,
    national_id: str,
    city: str = "",
    consent_financial_info: bool = False,
    consent_version: str = "",
) -> Customer:
    """A customer as an upstream system reports them (staff never create customers)."""
    ensure_can_create_customers(actor)
    if Customer.objects.filter(external_id=external_id).exists():
        raise Conflict(_("A customer with this external id already exists."), code="duplicate")
    now = timezone.now()
    customer = Customer(
        external_id=external_id,
        name=name,
        phone=phone,
        national_id=national_id,
        city=city,
        consent_financial_info=consent_financial_info,
        consent_version=consent_version if consent_financial_info else "",
        consent_at=now if consent_financial_info else None,
    )
    customer._change_reason = _change_reason("customer.created", actor)  # type: ignore[attr-defined]
    customer.save()
    audit_record(
        actor=actor,
        action="customer.created",
        target=customer,
        data={
            "external_id": external_id,
            "phone_masked": customer.masked_phone,
            "consent_financial_info": consent_financial_info,
        },
    )
    return customer


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
    line._change_reason = _change_reason("credit_line.opened", actor)  # type: ignore[attr-defined]
    line.save()
    audit_record(
        actor=actor,
        action="credit_line.opened",
        target=line,
        data={
            "customer": customer.pk,
            "product": product,
            "state": state,
            "granted_limit": line.granted_limit,
            "usable_limit": line.usable_limit,
        },
    )
    return line


@dataclass(frozen=True)
class CustomerSearchResult:
    kind: str
    masked_term: str
    customers: list[Customer]


@transaction.atomic
def customer_search(*, actor: User, term: str) -> CustomerSearchResult:
    """Exact-match lookup by mobile number, ID number or external id; results masked.

    A lookup by phone or ID number is a use of personal information, so it is audited:
    who searched, by which kind of identifier, and which customers came back (never the
    term itself). Raises ``PermissionDenied`` and ``ValidationError``.
    """
    ensure_can_search_customers(actor)
    classified = classify_search_term(term)
    if classified is None:
        raise ValidationError(
            _("Enter a mobile number, an ID number or a customer number."), code="unrecognised"
        )
    kind, value = classified
    ids = customers_matching(kind=kind, value=value)
    audit_record(
        actor=actor,
        action="customer.searched",
        target=("scoring.customer", str(ids[0])) if len(ids) == 1 else None,
        data={"match_kind": kind, "results": len(ids), "customers": ids},
    )
    masked = value if kind == "external_id" else mask(kind, value)
    return CustomerSearchResult(kind=kind, masked_term=masked, customers=customers_with_lines(ids))
