"""Revealing a customer's personal fields in plain text: the one way out of the masking.

Every reveal serves a piece of the actor's work (a case or a data-subject request, checked
through ``portal.registries.work_check``), states a purpose and is logged before the values
leave, through ``scoring.customers.reveal.personal_data_access_record``: one
``PersonalDataAccess`` row (who, whose, which fields, why, for which case or request, from
where) and one ``customer.revealed`` audit
entry (ids and field names only), written in the same transaction. The values themselves
are never logged, audited or put in an exception message; the purpose (free text typed by
staff) stays on the access row, out of the hash-chained audit log.

An erased customer's personal fields are empty (``NULL``): the reveal still succeeds and
is still logged, with ``""`` for each such field, so the caller can say so.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.log import audit_record
from portal.permissions import actor_label
from portal.registries import work_check
from scoring.customers.access import (
    AccessSource,
    PersonalDataAccess,
    PersonalField,
    RevealPurpose,
)
from scoring.customers.budget import reveal_budget_ensure, reveal_budget_noted
from scoring.models import Customer
from scoring.permissions import ensure_can_reveal_personal_data

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "PURPOSE_MAX_LENGTH",
    "PURPOSE_MIN_LENGTH",
    "Reveal",
    "customer_reveal",
    "customer_reveal_with_access",
]

logger = logging.getLogger(__name__)

PURPOSE_MIN_LENGTH = 5
PURPOSE_MAX_LENGTH = 500  # PersonalDataAccess.purpose


@dataclass(frozen=True)
class Reveal:
    """What one reveal gave back and the access-log row that records it.

    ``values`` is left out of the ``repr`` so that a traceback or a debug print of the
    result never shows plain personal data.
    """

    customer_id: int
    access_id: int
    values: dict[str, str] = field(repr=False)

    @property
    def empty_fields(self) -> list[str]:
        """The requested fields with nothing on file (erased, or never recorded)."""
        return [name for name, value in self.values.items() if not value]


def _clean_fields(fields: Sequence[str], errors: dict[str, list[str]]) -> list[str]:
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        errors["fields"] = [_("Choose the fields to reveal as a list.")]
        return []
    chosen = [str(name) for name in fields]
    allowed = set(PersonalField.values)
    if not chosen:
        errors["fields"] = [_("Choose at least one field to reveal.")]
    elif any(name not in allowed for name in chosen):
        # The unknown names are not echoed: whatever was sent might itself be personal data.
        errors["fields"] = [
            _("Unknown field. Choose from: %(allowed)s.")
            % {"allowed": ", ".join(PersonalField.values)}
        ]
    elif len(set(chosen)) != len(chosen):
        errors["fields"] = [_("Choose each field only once.")]
    # Always in the order the choices are declared: the access row reads the same each time.
    return [name for name in PersonalField.values if name in set(chosen)]


def _clean_purpose(
    purpose_code: str, purpose: str, errors: dict[str, list[str]]
) -> tuple[str, str]:
    """The purpose's code and the text stored with it: what was typed, or (when nothing was
    typed for a listed purpose) the purpose's name in English, like audit reasons."""
    code = str(purpose_code or "")
    text = " ".join(str(purpose or "").split())
    if code not in RevealPurpose.values:
        errors["purpose_code"] = [_("Choose why you need to see these details from the list.")]
        return code, text
    if len(text) > PURPOSE_MAX_LENGTH:
        errors["purpose"] = [
            _("Keep the purpose under %(max)d characters.") % {"max": PURPOSE_MAX_LENGTH}
        ]
    elif code == RevealPurpose.OTHER and len(text) < PURPOSE_MIN_LENGTH:
        errors["purpose"] = [
            _("For “other”, state why you need to see these details (at least %(min)d characters).")
            % {"min": PURPOSE_MIN_LENGTH}
        ]
    elif not text:
        with translation.override("en"):
            text = str(RevealPurpose(code).label)
    return code, text


def _clean_work(case_id: int | None, request_id: int | None, errors: dict[str, list[str]]) -> None:
    for key, value in (("case", case_id), ("request", request_id)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            errors[key] = [_("Give the work by its number.")]
    if case_id is not None and request_id is not None:
        errors["request"] = [_("Name either a case or a data-subject request, not both.")]


def _ensure_serves_work(
    actor: User, customer_id: int, case_id: int | None, request_id: int | None
) -> None:
    """The reveal serves the actor's own work: a case (its assignee, or a supervisor) or a
    data-subject request (a privacy officer, while it is open). Asked through
    ``portal.registries.work_check``: the cases app and the compliance workspace sit above
    scoring."""
    kind, work_id = ("case", case_id) if case_id is not None else ("request", request_id)
    if work_id is None:
        raise PermissionDenied(
            _(
                "Name the work this reveal serves: a case assigned to you, or a "
                "data-subject request you handle."
            )
        )
    check = work_check(kind)
    if check is None:
        raise PermissionDenied(_("Personal details cannot be revealed for this kind of work."))
    check(actor, customer_id, work_id)


def customer_reveal_with_access(
    *,
    actor: User,
    customer_id: int,
    fields: Sequence[str],
    purpose: str,
    source: str,
    ip_address: str | None,
    case_id: int | None = None,
    request_id: int | None = None,
    purpose_code: str = RevealPurpose.OTHER,
) -> Reveal:
    """Reveal ``fields`` of a customer for ``purpose``, logged; see ``customer_reveal``."""
    ensure_can_reveal_personal_data(actor)
    if source not in AccessSource.values:
        raise ValueError(f"Unknown access source {source!r}.")
    errors: dict[str, list[str]] = {}
    chosen = _clean_fields(fields, errors)
    code, text = _clean_purpose(purpose_code, purpose, errors)
    _clean_work(case_id, request_id, errors)
    if (
        code == RevealPurpose.DATA_SUBJECT_REQUEST
        and request_id is None
        and "request" not in errors
    ):
        errors["purpose_code"] = [_("Answering a data-subject request needs its number.")]
    if errors:
        raise ValidationError(errors)
    customer = Customer.objects.get(pk=customer_id)  # DoesNotExist: the caller answers 404
    _ensure_serves_work(actor, customer.pk, case_id, request_id)
    used, limit = reveal_budget_ensure(actor)
    values = {name: getattr(customer, name) or "" for name in chosen}
    with transaction.atomic():
        access = personal_data_access_record(
            actor=actor,
            customer_id=customer.pk,
            fields=chosen,
            purpose=text,
            purpose_code=code,
            case_id=case_id,
            request_id=request_id,
            source=source,
            ip_address=ip_address,
            action=AuditAction.CUSTOMER_REVEALED,
            audit_data={"empty_fields": [name for name in chosen if not values[name]]},
        )
        reveal_budget_noted(actor, used, limit)
    # Ids and field names only, never the values.
    logger.info(
        "personal data revealed: access=%s customer=%s actor=%s fields=%s source=%s",
        access.pk,
        customer.pk,
        actor.pk,
        ",".join(chosen),
        source,
    )
    return Reveal(customer_id=customer.pk, access_id=access.pk, values=values)


def customer_reveal(
    *,
    actor: User,
    customer_id: int,
    fields: Sequence[str],
    purpose: str,
    source: str,
    ip_address: str | None,
    case_id: int | None = None,
    request_id: int | None = None,
    purpose_code: str = RevealPurpose.OTHER,
) -> dict[str, str]:
    """The plain values of ``fields`` (``PersonalField`` values) of one customer.

    Checks ``scoring.reveal_personal_data`` (``PermissionDenied``); validates the fields
    (at least one, known, no repeats), the purpose (``purpose_code``, a ``RevealPurpose``;
    free text up to 500 characters, at least 5 for "other"; "data_subject_request" only
    with a request) and the work (``ValidationError`` keyed by ``fields``,
    ``purpose_code``, ``purpose``, ``case`` and ``request``); raises
    ``Customer.DoesNotExist`` for an unknown customer. The reveal must serve the actor's
    work, exactly one of: ``case_id``, an open case about this customer assigned to the
    actor (any open one for a supervisor); ``request_id``, an open data-subject request
    about this customer, for a privacy officer. Otherwise ``PermissionDenied`` with a
    message saying why (nothing is written; the caller audits the refusal).
    In one transaction writes one ``PersonalDataAccess`` row and one ``customer.revealed``
    audit entry. A field with nothing on file (an erased customer) comes back as ``""``.
    """
    return customer_reveal_with_access(
        actor=actor,
        customer_id=customer_id,
        fields=fields,
        purpose=purpose,
        case_id=case_id,
        source=source,
        ip_address=ip_address,
        request_id=request_id,
        purpose_code=purpose_code,
    ).values


# --- recording an access --------------------------------------------------------------------


def clean_ip_address(ip_address: str | None) -> str | None:
    """A valid address or ``None``: a malformed header must not turn a reveal into a 500."""
    if not ip_address:
        return None
    try:
        return str(ipaddress.ip_address(str(ip_address).strip()))
    except ValueError:
        return None


@transaction.atomic(savepoint=False)
def personal_data_access_record(
    *,
    actor: User,
    customer_id: int,
    fields: Sequence[str],
    purpose: str,
    source: str,
    ip_address: str | None,
    case_id: int | None = None,
    request_id: int | None = None,
    purpose_code: str = "",
    action: str = AuditAction.CUSTOMER_REVEALED,
    audit_data: Mapping[str, Any] | None = None,
) -> PersonalDataAccess:
    """Record that ``actor`` saw ``fields`` of a customer in plain text: the one way to write
    the access log.

    Writes one ``PersonalDataAccess`` row and one audit entry (``action``, about the
    customer) in the caller's transaction, or in its own outside one. The audit entry holds
    ids, field names and codes: ``access``, ``fields``, ``case`` and ``source``, then
    ``purpose_code`` when one is given, ``request`` when a data-subject request is named,
    then ``audit_data`` (which must hold
    no personal values either); never the purpose, which is free text typed by staff and
    stays on the access row. The address is kept only when it is a valid IP address.

    The caller has checked that the actor may see the data and validated what the user
    typed; what is left to check here are programming errors (``ValueError``): an unknown
    source or field, no field, an empty purpose.
    """
    if source not in AccessSource.values:
        raise ValueError(f"Unknown access source {source!r}.")
    chosen = [str(name) for name in fields]
    if not chosen or any(name not in PersonalField.values for name in chosen):
        raise ValueError("An access names at least one field, each a PersonalField value.")
    text = " ".join(str(purpose or "").split())
    if not text:
        raise ValueError("An access states its purpose.")
    if purpose_code and purpose_code not in RevealPurpose.values:
        raise ValueError(f"Unknown purpose {purpose_code!r}.")
    access = PersonalDataAccess.objects.create(
        actor=actor,
        actor_label=actor_label(actor),
        customer_id=customer_id,
        fields=chosen,
        purpose=text,
        purpose_code=purpose_code,
        case_id=case_id,
        request_id=request_id,
        source=source,
        ip_address=clean_ip_address(ip_address),
    )
    data: dict[str, Any] = {
        "access": access.pk,
        "fields": chosen,
        "case": case_id,
        "source": source,
    }
    if purpose_code:
        data["purpose_code"] = purpose_code  # a code from the list, never the free text
    if request_id is not None:
        data["request"] = request_id
    data.update(audit_data or {})
    target = ("scoring.customer", str(customer_id))
    audit_record(actor=actor, action=action, target=target, data=data)
    return access
