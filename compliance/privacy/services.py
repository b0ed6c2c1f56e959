"""Data-subject requests (PIPL Art. 44-47): recording, fulfilling and refusing them, and the
machine-readable export of a person's data.

Each write runs in one transaction with its history row (acting user and reason) and its
audit entry. What a request needs from the apps above compliance (the customer, their
lines, assessments, cases and feedback) comes through ``compliance.personal_data`` hooks.

Exports of a person's data are built when downloaded and never stored. Each download shows
plain personal values, so it is recorded through
``scoring.customers.reveal.personal_data_access_record`` (one ``PersonalDataAccess`` row naming
the request and one ``privacy_request.export_downloaded`` audit entry). Fulfilling an access
or copy request only counts the export's sections: nobody sees the values then, so it writes
no access row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.changes import record_change
from compliance.models import DataSubjectRequest, RequestChannel, RequestKind, RequestStatus
from compliance.permissions import (
    can_add_requests,
    can_download_exports,
    can_fulfil_requests,
)
from compliance.privacy.erasure import customer_erase, customer_model
from portal.errors import Conflict
from portal.pii.sources import ERASED_TEXT, case_records, customer_records, sources
from scoring.customers.access import AccessSource, PersonalField, RevealPurpose
from scoring.customers.reveal import personal_data_access_record

if TYPE_CHECKING:
    from accounts.models import User

EXPORT_FORMAT = "risk-portal.personal-data/1"
OUTCOME_MAX_LENGTH = 4000
# A request may be recorded as received a little in the future (clock skew), not more.
RECEIVED_AT_SKEW = timedelta(minutes=5)
EXPORT_KINDS = (RequestKind.ACCESS, RequestKind.COPY)
EXPORT_FIELDS = (PersonalField.NAME, PersonalField.PHONE, PersonalField.NATIONAL_ID)
# Requests are not older than the portal; this also keeps a mistyped year (0001) from
# overflowing when the time is moved to UTC or the due date is computed.
EARLIEST_RECEIVED_YEAR = 2000


# --- reads --------------------------------------------------------------------------------------


def customer_id_for(external_id: str) -> int | None:
    """The id of the customer with this external id (customer number), or ``None``."""
    value = (external_id or "").strip()
    if not value:
        return None
    pk = customer_model().objects.filter(external_id=value).values_list("pk", flat=True).first()
    return int(pk) if pk is not None else None


def request_deadline_state(request: DataSubjectRequest, *, now: datetime | None = None) -> str:
    """``overdue``, ``due_soon`` or ``""`` for an open request; ``""`` once closed."""
    if request.status != RequestStatus.OPEN:
        return ""
    now = now or timezone.now()
    if request.due_at < now:
        return "overdue"
    if request.due_at <= now + timedelta(days=settings.PRIVACY_REQUEST_DUE_SOON_DAYS):
        return "due_soon"
    return ""


def privacy_request_get(*, request_id: int) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_related("customer", "created_by", "closed_by").get(
        pk=request_id
    )


# --- recording ----------------------------------------------------------------------------------


@transaction.atomic
def privacy_request_create(
    *,
    actor: User,
    customer_id: int,
    kind: str,
    channel: str,
    received_at: datetime | None = None,
) -> DataSubjectRequest:
    """Record a request; due ``PRIVACY_REQUEST_DUE_DAYS`` after it was received.

    Raises ``PermissionDenied``; ``ValidationError`` for an unknown customer, kind or
    channel, or a receipt time in the future (nothing is created).
    """
    if not can_add_requests(actor):
        raise PermissionDenied(_("You may not record data-subject requests."))
    errors: dict[str, list[str]] = {}
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose a type of request from the list.")]
    if channel not in RequestChannel.values:
        errors["channel"] = [_("Choose a channel from the list.")]
    now = timezone.now()
    received = received_at or now
    if timezone.is_naive(received):
        errors["received_at"] = [_("Give the time with its time zone.")]
    elif received.year < EARLIEST_RECEIVED_YEAR:
        errors["received_at"] = [
            _("A request cannot be received before %(year)d.") % {"year": EARLIEST_RECEIVED_YEAR}
        ]
    elif received > now + RECEIVED_AT_SKEW:
        errors["received_at"] = [_("A request cannot be received in the future.")]
    if not customer_model().objects.filter(pk=customer_id).exists():
        errors["customer"] = [_("No such customer.")]
    if errors:
        raise ValidationError(errors)
    request = DataSubjectRequest(
        customer_id=customer_id,
        kind=kind,
        channel=channel,
        received_at=received,
        due_at=received + timedelta(days=settings.PRIVACY_REQUEST_DUE_DAYS),
        created_by=actor,
        created_at=now,
    )
    return record_change(
        request,
        actor=actor,
        action=AuditAction.PRIVACY_REQUEST_CREATED,
        data={
            "customer": customer_id,
            "kind": kind,
            "channel": channel,
            "received_at": received,
            "due_at": request.due_at,
        },
    )


def _lock_open(*, request_id: int, version: int | None) -> DataSubjectRequest:
    request = DataSubjectRequest.objects.select_for_update().get(pk=request_id)
    if request.status != RequestStatus.OPEN:
        raise Conflict(
            _("This request is already closed (%(status)s).")
            % {"status": request.get_status_display()},
            code="already_closed",
        )
    if version is None or int(version) != request.version:
        raise Conflict(
            _(
                "This request changed since you opened it (someone else worked on it). "
                "Reload the page and try again."
            ),
            code="stale_version",
        )
    return request


def _clean_text(value: str | None, *, field: str, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Give a reason.")]}, code="required")
    if len(text) > OUTCOME_MAX_LENGTH:
        raise ValidationError(
            {field: [_("Keep this under %(n)d characters.") % {"n": OUTCOME_MAX_LENGTH}]}
        )
    return text


def _close(
    request: DataSubjectRequest,
    *,
    actor: User,
    status: str,
    action: str,
    fields: list[str],
    data: dict[str, Any],
) -> None:
    request.status = status
    request.closed_by = actor
    request.closed_at = timezone.now()
    request.version += 1
    record_change(
        request,
        actor=actor,
        action=action,
        update_fields=[*fields, "status", "closed_by", "closed_at", "version"],
        data=data,
    )


@transaction.atomic
def privacy_request_fulfil(
    *,
    actor: User,
    request_id: int,
    outcome: str = "",
    version: int | None,
    corrections: Mapping[str, str] | None = None,
) -> DataSubjectRequest:
    """Do what the request asks and close it as fulfilled.

    - ``access``/``copy``: record the export's section counts (nobody sees the values here,
      so no access row is written); the file itself is built, and logged as a reveal, on
      each download (``privacy_request_export``);
    - ``correct``: change the fields in ``corrections`` (name, phone, national_id, city);
    - ``explain``: the customer-facing explanation of the latest automated decision;
    - ``human_review``: open (or join) a human-review case;
    - ``withdraw_consent``: record the withdrawal; assessments then refuse to run;
    - ``delete``: erase the customer's personal data (refused under legal hold).

    Raises ``PermissionDenied``, ``Conflict`` (already closed, stale version) and
    ``ValidationError`` (bad corrections, nothing to explain, legal hold).
    """
    if not can_fulfil_requests(actor):
        raise PermissionDenied(_("You may not fulfil data-subject requests."))
    request = _lock_open(request_id=request_id, version=version)
    text = _clean_text(outcome, field="outcome", required=False)
    reason = f"privacy request #{request.pk}"
    customer_id = int(request.customer_id)
    result: dict[str, Any]
    if request.kind in EXPORT_KINDS:
        result = {
            "export": {
                name: len(value) if isinstance(value, list) else int(value is not None)
                for name, value in _export_data(customer_id).items()
            }
        }
    elif request.kind == RequestKind.CORRECT:
        changed = customer_records().correct(
            customer_id=customer_id, changes=corrections or {}, actor=actor, reason=reason
        )
        result = {"corrected": changed}
    elif request.kind == RequestKind.EXPLAIN:
        result = {"explanation": customer_records().explain(customer_id)}
    elif request.kind == RequestKind.HUMAN_REVIEW:
        case_id = case_records().human_review(
            customer_id=customer_id, actor=actor, request_id=request.pk
        )
        result = {"case": case_id}
    elif request.kind == RequestKind.WITHDRAW_CONSENT:
        withdrawn = customer_records().withdraw_consent(
            customer_id=customer_id, actor=actor, reason=reason
        )
        result = {"consent_withdrawn": True, "already_withdrawn": not withdrawn}
    elif request.kind == RequestKind.DELETE:
        # The outcome is saved after the erasure: it must not bring a value back.
        needles = customer_records().personal_values(customer_id).needles()
        report = customer_erase(actor=actor, customer_id=customer_id, request_id=request.pk)
        for needle in needles:
            text = text.replace(needle, ERASED_TEXT)
        result = {"erased": True, "rows": report.rows}
    else:  # pragma: no cover - the kind is validated on creation
        raise ValidationError(_("Unknown type of request."))
    request.outcome = text
    request.result = result
    _close(
        request,
        actor=actor,
        status=RequestStatus.FULFILLED,
        action=AuditAction.PRIVACY_REQUEST_FULFILLED,
        fields=["outcome", "result"],
        data={"customer": customer_id, "kind": request.kind, "result": _audit_summary(result)},
    )
    return request


def _audit_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit entry keeps of a result: ids, counts and codes, not the texts."""
    summary = dict(result)
    explanation = summary.pop("explanation", None)
    if explanation is not None:
        summary["assessment"] = explanation.get("assessment")
        summary["reason_codes"] = explanation.get("reason_codes", [])
    return summary


@transaction.atomic
def privacy_request_refuse(
    *, actor: User, request_id: int, reason: str, version: int | None
) -> DataSubjectRequest:
    """Close a request as refused; the reason is required (it is what the person is told)."""
    if not can_fulfil_requests(actor):
        raise PermissionDenied(_("You may not refuse data-subject requests."))
    text = _clean_text(reason, field="reason", required=True)
    request = _lock_open(request_id=request_id, version=version)
    request.refusal_reason = text
    _close(
        request,
        actor=actor,
        status=RequestStatus.REFUSED,
        action=AuditAction.PRIVACY_REQUEST_REFUSED,
        fields=["refusal_reason"],
        data={"customer": request.customer_id, "kind": request.kind},
    )
    return request


# --- the export ---------------------------------------------------------------------------------


def _export_data(customer_id: int) -> dict[str, Any]:
    """The person's data, section by section, as every registered source exports it."""
    data: dict[str, Any] = {}
    for source in sources():
        data.update(source.export(customer_id))
    return data


@transaction.atomic
def privacy_request_export(
    *, actor: User, request_id: int, ip_address: str | None = None
) -> dict[str, Any]:
    """The person's data as a JSON-ready document, for a fulfilled access or copy request.

    Built on each call and never stored; each call is a reveal of plain personal values and
    writes one ``PersonalDataAccess`` row naming the request and one
    ``privacy_request.export_downloaded`` audit entry. Raises ``PermissionDenied``;
    ``Conflict`` when the request is not a fulfilled access or copy request.
    """
    if not can_download_exports(actor):
        raise PermissionDenied(_("You may not download the data of a data-subject request."))
    request = DataSubjectRequest.objects.get(pk=request_id)
    if request.kind not in EXPORT_KINDS:
        raise Conflict(_("Only access and copy requests have an export."), code="no_export")
    if request.status != RequestStatus.FULFILLED:
        raise Conflict(
            _("The export can be downloaded once the request is fulfilled."), code="not_fulfilled"
        )
    customer_id = int(request.customer_id)
    data = _export_data(customer_id)
    personal_data_access_record(
        actor=actor,
        customer_id=customer_id,
        fields=list(EXPORT_FIELDS),
        # Stored in English, like audit reasons: the log is read in either language.
        purpose=f"Data-subject request #{request.pk} ({request.kind}): export downloaded",
        source=AccessSource.PRIVACY_REQUEST,
        ip_address=ip_address,
        request_id=request.pk,
        purpose_code=RevealPurpose.DATA_SUBJECT_REQUEST,
        action=AuditAction.PRIVACY_REQUEST_EXPORT_DOWNLOADED,
        audit_data={"kind": request.kind},
    )
    return {
        "format": EXPORT_FORMAT,
        "request": request.pk,
        "kind": request.kind,
        "generated_at": timezone.now().isoformat(),
        "data": data,
    }
