"""Erasure of a customer's personal data (PIPL Art. 47), and the legal holds that stop it.

``customer_erase`` scrubs the name, mobile number and ID number (and their keyed hashes)
from the customer row and every history row, replaces the name with a pseudonym, scrubs
the customer's own words (feedback) from live and history rows, and takes any copy of those
values out of officers' free text. Decisions, assessments and audit entries stay: they
never held raw personal data, so the audit chain still verifies. Every app's part is a
``compliance.personal_data`` hook, so compliance imports none of them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.changes import record_change
from audit.log import audit_record
from compliance.models import DataSubjectRequest, LegalHold
from compliance.permissions import can_erase, can_manage_legal_holds
from portal.errors import Conflict
from portal.permissions import SystemActor
from portal.pii.sources import case_records, customer_records, redact_text, sources

if TYPE_CHECKING:
    from accounts.models import User

    Actor = User | SystemActor

PSEUDONYM_PREFIX = "ERASED-"
REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ErasureReport:
    customer_id: int
    pseudonym: str
    rows: dict[str, int]


def customer_model() -> Any:
    """The data subject's model, reached through compliance's own foreign key (scoring sits
    above compliance and is not imported)."""
    return DataSubjectRequest._meta.get_field("customer").related_model


def pseudonym_for(customer_id: int) -> str:
    """A stable pseudonym for an erased customer, derived from the row id (never from the
    person's values), so a second erasure gives the same one."""
    key = settings.PII_HASH_KEY
    key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    digest = hmac.new(key_bytes, f"erased-customer\x1f{customer_id}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:10].upper()


def active_legal_holds(customer_id: int) -> list[LegalHold]:
    """Active holds on the customer or on any of their cases (the cases hook lists them)."""
    case_ids: list[int] = []
    for source in sources():
        case_ids.extend(source.legal_hold_cases(customer_id))
    condition = Q(customer_id=customer_id)
    if case_ids:
        condition |= Q(case_id__in=case_ids)
    return list(LegalHold.objects.filter(condition, released_at__isnull=True).order_by("pk"))


def _hold_refusal(holds: list[LegalHold]) -> ValidationError:
    return ValidationError(
        _(
            "Erasure refused: this customer's data is under legal hold (%(holds)s). "
            "A privacy officer must release the hold first."
        )
        % {"holds": ", ".join(f"#{hold.pk}" for hold in holds)},
        code="legal_hold",
    )


@transaction.atomic
def customer_erase(
    *, actor: Actor, customer_id: int, request_id: int | None = None
) -> ErasureReport:
    """Erase a customer's personal data everywhere, in one transaction, audited with counts.

    Raises ``PermissionDenied``; ``ValidationError`` for an unknown customer or when a legal
    hold is active on the customer or one of their cases (nothing is changed then).
    """
    if not can_erase(actor):
        raise PermissionDenied(_("You may not erase customers' data."))
    if not customer_model().objects.select_for_update().filter(pk=customer_id).exists():
        raise ValidationError(_("No such customer."), code="no_such_customer")
    holds = active_legal_holds(customer_id)
    if holds:
        raise _hold_refusal(holds)
    values = customer_records().personal_values(customer_id)
    pseudonym = pseudonym_for(customer_id)
    rows: dict[str, int] = {}
    for source in sources():
        rows[source.name] = source.erase(
            customer_id=customer_id, pseudonym=pseudonym, actor=actor, values=values
        )
    # Compliance's own free text about the customer: request outcomes and hold reasons.
    needles = values.needles()
    requests = DataSubjectRequest.objects.filter(customer_id=customer_id)
    holds_of_customer = LegalHold.objects.filter(customer_id=customer_id)
    rows["compliance"] = (
        redact_text(requests, ["outcome", "refusal_reason"], needles)
        + redact_text(
            DataSubjectRequest.history.filter(customer_id=customer_id),
            ["outcome", "refusal_reason"],
            needles,
        )
        + redact_text(holds_of_customer, ["reason", "release_reason"], needles)
        + redact_text(
            LegalHold.history.filter(customer_id=customer_id),
            ["reason", "release_reason"],
            needles,
        )
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTOMER_ERASED,
        target=("scoring.customer", str(customer_id)),
        data={"request": request_id, "rows": rows},
    )
    return ErasureReport(customer_id=customer_id, pseudonym=pseudonym, rows=rows)


# --- legal holds --------------------------------------------------------------------------------


def _clean_reason(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({field: [_("Give a reason.")]}, code="required")
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError(
            {field: [_("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}]}
        )
    return text


@transaction.atomic
def legal_hold_place(
    *,
    actor: User,
    customer_id: int | None = None,
    case_id: int | None = None,
    reason: str,
) -> LegalHold:
    """Keep a customer's (or a case's) data from erasure and retention until released."""
    if not can_manage_legal_holds(actor):
        raise PermissionDenied(_("You may not place legal holds."))
    text = _clean_reason(reason)
    if (customer_id is None) == (case_id is None):
        raise ValidationError(_("Choose either a customer or a case to hold."), code="subject")
    if customer_id is not None and not customer_model().objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": [_("No such customer.")]}, code="no_such_customer")
    if case_id is not None and not case_records().case_exists(case_id):
        raise ValidationError({"case": [_("No such case.")]}, code="no_such_case")
    hold = LegalHold(
        customer_id=customer_id,
        case_id=case_id,
        reason=text,
        placed_by=actor,
        placed_at=timezone.now(),
    )
    return record_change(
        hold,
        actor=actor,
        action=AuditAction.LEGAL_HOLD_PLACED,
        data={"customer": customer_id, "case": case_id},
    )


@transaction.atomic
def legal_hold_release(*, actor: User, hold_id: int, reason: str) -> LegalHold:
    if not can_manage_legal_holds(actor):
        raise PermissionDenied(_("You may not release legal holds."))
    text = _clean_reason(reason)
    hold = LegalHold.objects.select_for_update().get(pk=hold_id)
    if hold.released_at is not None:
        raise Conflict(_("This legal hold has already been released."), code="already_released")
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.release_reason = text
    return record_change(
        hold,
        actor=actor,
        action=AuditAction.LEGAL_HOLD_RELEASED,
        update_fields=["released_at", "released_by", "release_reason"],
        data={"customer": hold.customer_id, "case": hold.case_id},
    )
