"""Upstream signals: services that receive, process and re-send events from upstream systems.

(These are *not* Django signals: nothing here hooks ``post_save``. A "signal" is an
upstream system's event about a customer, such as a declined payment or a failed
activation, sent to ``POST /api/v1/signals/``.)

``signal_receive`` validates and stores the event, deduplicated by the sender's event id
(a unique constraint on channel and event id: a repeat returns the stored signal), audits
``signal.received`` and queues ``signal_process`` after commit. When the broker is down
the signal stays ``received`` and ``signals_resend_unprocessed`` (called by the intake
sweep) sends it again later. Sending, claiming, counting attempts and the sweep are
``SIGNAL_INBOX``'s (``intake.inbox``, shared with feedback).

``signal_process`` decides what the event means for the customer (``signal_route``) and
opens or attaches to a case through ``case_open_or_attach``; it is idempotent (the row is
locked and must still be ``received``), so a second delivery changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.changes import record_change
from audit.encoding import normalise_data
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from cases import policy
from cases.models import CaseCategory, CaseSource, Priority
from cases.services.opening import case_open_or_attach
from intake.channels import channel_actor
from intake.inbox import Inbox
from intake.models import Channel, Signal, SignalKind, SignalStatus
from portal.permissions import SystemActor
from scoring.models import CreditLine, Customer, ReasonCode
from scoring.selectors import credit_line_active_reason_codes, credit_lines_shown_but_unusable

logger = logging.getLogger(__name__)

PROCESS_ACTOR = SystemActor("signals")

EVENT_ID_MAX_LENGTH = 100
DETAILS_MAX_BYTES = 2048
DETAILS_MAX_DEPTH = 3
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between the sender and us
MAX_ATTEMPTS = 5
RESEND_BATCH = 500

SIGNAL_INBOX: Inbox[Signal] = Inbox(
    model=Signal,
    task="intake.tasks.signal_process",
    received=SignalStatus.RECEIVED,
    label="signals",
    max_attempts=MAX_ATTEMPTS,
    batch_size=RESEND_BATCH,
)


# --- receiving ----------------------------------------------------------------------------------


def _details_problems(value: Any, path: str, depth: int) -> list[str]:
    """Why ``details`` is not codes and ids only (the audit log's rules), or nothing."""
    if isinstance(value, float):
        return [
            _(
                "“%(path)s” is a number with a fraction; send whole numbers, or amounts as "
                'text such as "12.50".'
            )
            % {"path": path}
        ]
    if isinstance(value, str) and "\x00" in value:
        return [_("“%(path)s” contains a NUL character.") % {"path": path}]
    if isinstance(value, Mapping | list) and depth > DETAILS_MAX_DEPTH:
        return [_("Details are nested at most %(n)d levels deep.") % {"n": DETAILS_MAX_DEPTH}]
    problems: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            where = f"{path}.{key_text}" if path else key_text
            if "\x00" in key_text:
                problems.append(_("A key of details contains a NUL character."))
                continue
            try:
                normalise_data({key_text: None})
            except ValueError:
                problems.append(
                    _("“%(key)s” looks like personal data; details hold codes and ids only.")
                    % {"key": where}
                )
                continue
            problems.extend(_details_problems(item, where, depth + 1))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems.extend(_details_problems(item, f"{path}[{index}]", depth + 1))
    return problems


def _clean_details(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    if not isinstance(details, Mapping):
        raise ValidationError({"details": [_("Details must be a JSON object.")]})
    size = len(json.dumps(details, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8"))
    if size > DETAILS_MAX_BYTES:
        raise ValidationError(
            {"details": [_("Details are at most %(n)d bytes of JSON.") % {"n": DETAILS_MAX_BYTES}]}
        )
    problems = _details_problems(details, "", 1)
    if problems:
        raise ValidationError({"details": problems})
    return normalise_data(details)


def _validate(
    *,
    channel: Channel,
    event_id: str,
    kind: str,
    customer_external_id: str,
    credit_line_id: int | None,
    occurred_at: datetime,
) -> tuple[int, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    event_id = event_id or ""
    if (
        not event_id.strip()
        or len(event_id) > EVENT_ID_MAX_LENGTH
        or not all(" " <= c <= "~" for c in event_id)
    ):
        errors["event_id"] = [
            _("An event id is 1 to %(n)d printable ASCII characters.") % {"n": EVENT_ID_MAX_LENGTH}
        ]
    if kind not in SignalKind.values:
        errors["type"] = [
            _("Unknown signal type “%(type)s”. Known types: %(known)s.")
            % {"type": str(kind)[:40], "known": ", ".join(SignalKind.values)}
        ]
    customer_id = (
        Customer.objects.filter(external_id=customer_external_id)
        .values_list("pk", flat=True)
        .first()
        if customer_external_id and len(customer_external_id) <= 40
        else None
    )
    if customer_id is None:
        errors["customer"] = [_("No customer has this external id.")]
    elif (
        credit_line_id is not None
        and not CreditLine.objects.filter(pk=credit_line_id, customer_id=customer_id).exists()
    ):
        errors["credit_line"] = [_("This credit line does not belong to the customer.")]
    if occurred_at is None or timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("Give the time with its time zone.")]
    elif occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = [_("The event cannot have happened in the future.")]
    return customer_id or 0, errors


def signal_receive(
    *,
    channel: Channel,
    event_id: str,
    kind: str,
    customer_external_id: str,
    credit_line_id: int | None = None,
    occurred_at: datetime,
    details: Mapping[str, Any] | None = None,
) -> tuple[Signal, bool]:
    """Store an upstream event: ``(signal, True)``, or ``(the stored one, False)`` when the
    channel already sent this event id. Processing is queued after commit.

    ``ValidationError`` keys are the API's field names (``event_id``, ``type``,
    ``customer``, ``credit_line``, ``occurred_at``, ``details``). ``details`` holds codes
    and ids only: personal-looking keys, fractions and over-large objects are refused.
    """
    if channel.kind != Channel.Kind.UPSTREAM or not channel.active:
        raise PermissionDenied(_("Only an active upstream system may send signals."))
    customer_id, errors = _validate(
        channel=channel,
        event_id=event_id,
        kind=kind,
        customer_external_id=customer_external_id,
        credit_line_id=credit_line_id,
        occurred_at=occurred_at,
    )
    try:
        clean_details = _clean_details(details)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    actor = channel_actor(channel)
    with transaction.atomic():
        existing = Signal.objects.filter(channel=channel, event_id=event_id).first()
        if existing is not None:
            return existing, False
        signal = Signal(
            channel=channel,
            event_id=event_id,
            kind=kind,
            customer_id=customer_id,
            credit_line_id=credit_line_id,
            occurred_at=occurred_at,
            details=clean_details,
        )
        try:
            with transaction.atomic():
                save_with_history(
                    signal,
                    actor=actor,
                    reason=change_reason(AuditAction.SIGNAL_RECEIVED, actor),
                    force_insert=True,
                )
        except IntegrityError:
            # The same event raced in on another connection; the first one stored it.
            return Signal.objects.get(channel=channel, event_id=event_id), False
        audit_record(
            actor=actor,
            action=AuditAction.SIGNAL_RECEIVED,
            target=signal,
            data={
                "channel": channel.code,
                "event_id": event_id,
                "kind": kind,
                "customer": customer_id,
                "credit_line": credit_line_id,
            },
        )
        SIGNAL_INBOX.send_on_commit(signal.pk)
    return signal, True


# --- processing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """What a signal means: the case it belongs to, or ``None`` fields when it needs none."""

    category: str
    reason_code: str
    priority: int


def _is_system_error(details: Mapping[str, Any]) -> bool:
    return str(details.get("decline_code", "")).lower() in {"system_error", "timeout"}


def _operation_category(details: Mapping[str, Any]) -> str:
    if str(details.get("operation", "")).lower() == "activation":
        return CaseCategory.ACTIVATION_FAILED
    return CaseCategory.PAYMENT_FAILED


def _unusable_line(signal: Signal) -> int | None:
    """The signal's line when it is shown but unusable; without a line, the customer's
    first such line. ``None`` when the customer can use what they are shown."""
    lines = credit_lines_shown_but_unusable().filter(customer_id=signal.customer_id)
    if signal.credit_line_id is not None:
        lines = lines.filter(pk=signal.credit_line_id)
    return lines.order_by("pk").values_list("pk", flat=True).first()


def signal_route(signal: Signal) -> tuple[Route | None, int | None]:
    """``(route, credit line)`` for a signal; ``route`` is ``None`` when no case is needed.

    - ``system_error``: ours to fix (P2), a payment or an activation failure by
      ``details.operation``.
    - ``payment_declined``: with ``details.decline_code`` ``system_error``/``timeout``, as a
      system error. Otherwise it matters only when the line is shown but unusable: then the
      decline is the symptom and the block is the cause, so the case is the one the block
      suggests (``policy.detected_case``; usually ``limit_unusable``), where it meets the
      detection job's and the customer's own reports instead of opening a parallel case.
      A decline on a usable line (funds, merchant) needs no case.
    - ``activation_failed``: an activation case (P2), ``SYSTEM_ERROR`` when the details say so.
    - ``device_changed``: only when the line is shown but unusable (the anomaly rule
      blocked a probably legitimate customer): ``DEVICE_ANOMALY`` P2; otherwise nothing.
    - ``kyc_expired``: a regulatory hold that makes the limit unusable: ``KYC_EXPIRED`` P3.
    """
    details: Mapping[str, Any] = signal.details or {}
    line = _unusable_line(signal)
    given_line = signal.credit_line_id
    if signal.kind == SignalKind.SYSTEM_ERROR:
        return Route(_operation_category(details), ReasonCode.SYSTEM_ERROR, Priority.P2), given_line
    if signal.kind == SignalKind.ACTIVATION_FAILED:
        reason = (
            ReasonCode.SYSTEM_ERROR if _is_system_error(details) else ReasonCode.ACTIVATION_DECLINED
        )
        return Route(CaseCategory.ACTIVATION_FAILED, reason, Priority.P2), given_line
    if signal.kind == SignalKind.PAYMENT_DECLINED:
        if _is_system_error(details):
            return Route(
                CaseCategory.PAYMENT_FAILED, ReasonCode.SYSTEM_ERROR, Priority.P2
            ), given_line
        if line is None:
            return None, given_line
        cause, category, priority = policy.detected_case(
            credit_line_active_reason_codes(credit_line_id=line)
        )
        # A refused payment is a customer stuck right now: never the lowest priority.
        return Route(category, cause, min(int(priority), int(Priority.P3))), line
    if signal.kind == SignalKind.DEVICE_CHANGED:
        if line is None:
            return None, given_line
        return Route(CaseCategory.LIMIT_UNUSABLE, ReasonCode.DEVICE_ANOMALY, Priority.P2), line
    if signal.kind == SignalKind.KYC_EXPIRED:
        return Route(CaseCategory.LIMIT_UNUSABLE, ReasonCode.KYC_EXPIRED, Priority.P3), (
            line or given_line
        )
    return None, given_line


_FINISHED_ACTION = {
    SignalStatus.IGNORED: AuditAction.SIGNAL_IGNORED,
    SignalStatus.ATTACHED: AuditAction.SIGNAL_ATTACHED,
    SignalStatus.FAILED: AuditAction.SIGNAL_FAILED,
}


def _finish(
    signal: Signal, *, status: str, case_id: int | None, data: dict[str, Any], error: str = ""
) -> None:
    """The signal's last state, with its history row and its audit entry (``signal.<status>``)."""
    signal.status = status
    signal.case_id = case_id
    signal.processed_at = timezone.now()
    signal.error = error[:300]
    record_change(
        signal,
        actor=PROCESS_ACTOR,
        action=_FINISHED_ACTION[SignalStatus(status)],
        update_fields=["status", "case", "processed_at", "error"],
        data=data,
    )


def signal_process(*, signal_id: int) -> Signal | None:
    """Open or attach to the case the signal calls for, or mark it ignored.

    Idempotent: the row is locked and must still be ``received``; a second delivery (or a
    re-send by the sweeper) finds it done and changes nothing. Every attempt is counted
    (committed before the work); after ``MAX_ATTEMPTS`` the signal is marked failed. A
    domain error fails the signal with its message; a lost database connection propagates
    (the task retries).
    """
    try:
        return SIGNAL_INBOX.process(
            signal_id,
            work=_route_and_attach,
            give_up=_give_up,
            skipped=lambda: Signal.objects.filter(pk=signal_id).first(),
        )
    except ValidationError as exc:
        with transaction.atomic():
            failed = SIGNAL_INBOX.lock_received(signal_id)
            if failed is None:
                return Signal.objects.filter(pk=signal_id).first()
            return _fail(failed, "; ".join(exc.messages))


def _route_and_attach(signal: Signal) -> Signal:
    route, line_id = signal_route(signal)
    if route is None:
        _finish(
            signal,
            status=SignalStatus.IGNORED,
            case_id=None,
            data={"kind": signal.kind, "customer": signal.customer_id},
        )
        return signal
    case, opened = case_open_or_attach(
        actor=PROCESS_ACTOR,
        customer_id=signal.customer_id,
        category=route.category,
        source=CaseSource.SIGNAL,
        credit_line_id=line_id,
        reason_code=route.reason_code,
        priority=route.priority,
        event={"signal": signal.pk, "kind": signal.kind},
    )
    _finish(
        signal,
        status=SignalStatus.ATTACHED,
        case_id=case.pk,
        data={
            "kind": signal.kind,
            "customer": signal.customer_id,
            "case": case.pk,
            "opened": opened,
            "category": route.category,
            "reason_code": route.reason_code,
            "priority": route.priority,
        },
    )
    return signal


def _give_up(signal: Signal) -> Signal:
    return _fail(signal, _("Gave up after %(n)d attempts.") % {"n": MAX_ATTEMPTS})


def signal_give_up(*, signal_id: int) -> bool:
    """Fail a signal still ``received`` whose attempts are all used (its runs crashed);
    ``False`` when it was no longer ``received``."""
    with transaction.atomic():
        signal = SIGNAL_INBOX.lock_received(signal_id)
        if signal is None:
            return False
        _give_up(signal)
    return True


def _fail(signal: Signal, error: str) -> Signal:
    _finish(
        signal,
        status=SignalStatus.FAILED,
        case_id=None,
        error=error,
        data={"kind": signal.kind, "attempts": signal.attempts},
    )
    logger.warning("signal %s failed after %d attempts", signal.pk, signal.attempts)
    return signal


# --- the sweeper's part -------------------------------------------------------------------------


def signals_resend_unprocessed(*, older_than_seconds: int = 30) -> int:
    """Send ``received`` signals older than ``older_than_seconds`` to the workers again
    (their message was lost, or the broker was down when they arrived). Returns how many
    were sent; stops early when the broker is still unreachable. Processing is idempotent,
    so a signal sent twice is processed once. A signal whose attempts are all used is
    failed instead of sent (``signal_give_up``)."""
    sent = SIGNAL_INBOX.sweep(
        older_than=timedelta(seconds=older_than_seconds),
        give_up=lambda signal_id: signal_give_up(signal_id=signal_id),
    )
    return len(sent)
