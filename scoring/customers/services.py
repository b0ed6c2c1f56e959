"""Every write to customers, and the audited lookup of a customer by identifier.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason) and its audit entry together. Audit entries hold codes, ids and masked values
only, because the audit log is append-only and must never hold personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.log import audit_record
from portal.errors import Conflict
from portal.permissions import SystemActor
from portal.pii.masking import mask
from scoring.models import (
    Customer,
)
from scoring.permissions import (
    ensure_can_create_customers,
    ensure_can_search_customers,
)
from scoring.selectors import (
    classify_search_term,
    customers_matching,
    customers_with_lines,
)


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
    return record_change(
        customer,
        actor=actor,
        action=AuditAction.CUSTOMER_CREATED,
        data={
            "external_id": external_id,
            "phone_masked": customer.masked_phone,
            "consent_financial_info": consent_financial_info,
        },
    )


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
        action=AuditAction.CUSTOMER_SEARCHED,
        target=("scoring.customer", str(ids[0])) if len(ids) == 1 else None,
        data={"match_kind": kind, "results": len(ids), "customers": ids},
    )
    masked = value if kind == "external_id" else mask(kind, value)
    return CustomerSearchResult(kind=kind, masked_term=masked, customers=customers_with_lines(ids))
