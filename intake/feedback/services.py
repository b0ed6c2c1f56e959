"""Customer feedback intake: submit, process (match → case or triage), sweep, look up, triage.

``feedback_submit`` stores first (its own transaction) and enqueues processing after the
commit; a broker that is down is logged (ids only) and the row stays ``received`` for the
sweeper (``feedback_sweep``, every minute through ``intake.tasks.intake_sweep``).

``feedback_process`` is idempotent: it claims the row with a conditional update from
``received`` and re-checks the status under the row lock, so a message delivered twice (or
re-sent by the sweeper) opens or attaches to a case exactly once. It gives up after
``MAX_ATTEMPTS`` runs (as signals do): the feedback then waits in triage marked as failed,
and the sweeper stops sending it.

Matching: customers whose phone's keyed hash equals the feedback's; several → narrowed by
the name's keyed hash; exactly one → matched, otherwise triage. A matched customer always
ends linked to a case (``matched`` requires one): the case the cause of a shown-but-unusable
line suggests (the same one nightly detection opens, so they meet), the kind's category for
a failed payment or activation, and a ``complaint`` case otherwise, so every customer who
took the trouble to write gets an officer's answer and a status that moves.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.log import audit_record, change_reason, save_with_history
from cases import policy
from cases.models import OPEN_STATUSES, CaseCategory, CaseSource, Priority
from cases.services import case_open_or_attach
from intake.channels import channel_actor
from intake.inbox import enqueue_or_log
from intake.models import Channel, Feedback, FeedbackKind, FeedbackStatus, TriageCloseReason
from intake.permissions import ensure_can_triage_feedback
from portal.dates import year_in_range, year_range_message
from portal.errors import Conflict
from portal.permissions import ChannelActor, SystemActor
from portal.pii.crypto import decrypt, encrypt, normalise
from scoring.models import CreditLine, CreditLineState, Customer
from scoring.selectors import credit_line_active_reason_codes, credit_lines_shown_but_unusable

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 50
PHONE_MAX_LENGTH = 20  # what a person may type: +86, spaces, dashes
DESCRIPTION_MIN_LENGTH = 5
DESCRIPTION_MAX_LENGTH = 1000
CONSENT_VERSION_MAX_LENGTH = 32
REFERENCE_MAX_LENGTH = 40  # what the lookup accepts before normalising
# Clock skew allowed for "when it happened" (a phone's clock may run a little fast).
FUTURE_TOLERANCE = timedelta(minutes=5)

# Unambiguous: no 0/O, 1/I/L. 12 characters of 31 symbols is about 59 bits.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_PREFIX = "FB-"
REFERENCE_LENGTH = 12

FEEDBACK_ACTOR = SystemActor("feedback")
FORM_ACTOR = SystemActor("feedback_form")

# Feedback stays "received" this long before the sweeper re-sends its message.
SWEEP_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500
# Processing runs claimed (each counted in ``attempts``, the task's own retries included)
# before automatic processing gives up and hands the feedback to an officer in triage.
MAX_ATTEMPTS = 5
# What ``error`` says then (a code, like the exception class names stored otherwise).
GAVE_UP_ERROR = "gave_up_after_max_attempts"

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_CONSENT_VERSION = re.compile(r"[A-Za-z0-9._\-]{1,32}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LANGUAGES = {"zh-hans": "zh-hans", "zh": "zh-hans", "zh-cn": "zh-hans", "en": "en"}

_KIND_CATEGORY: dict[str, str] = {
    FeedbackKind.PAYMENT_FAILED: CaseCategory.PAYMENT_FAILED,
    FeedbackKind.CANNOT_ACTIVATE: CaseCategory.ACTIVATION_FAILED,
}


# --- submitting ---------------------------------------------------------------------------------


def _clean_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def clean_phone(value: Any) -> str:
    """A mainland mobile number as 11 digits (``+86``, spaces, dashes, full-width digits
    accepted), or ``ValidationError``."""
    text = str(value or "")
    if not text.strip():
        raise ValidationError(_("Enter your mobile number."), code="required")
    if len(text) > PHONE_MAX_LENGTH or re.search(r"[^0-9\uff10-\uff19+\s\-()]", text):
        raise ValidationError(
            _("Enter a mainland mobile number of 11 digits, for example 138 0013 8000."),
            code="invalid",
        )
    digits = normalise(text, kind="phone")
    compact = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", text))
    foreign = compact.startswith("+") and not compact.startswith("+86")
    if foreign or not _MOBILE.fullmatch(digits):
        raise ValidationError(
            _("Enter a mainland mobile number of 11 digits, for example 138 0013 8000."),
            code="invalid",
        )
    return digits


def _validate(
    *,
    kind: str,
    name: str,
    phone: str,
    description: str,
    happened_at: datetime | None,
    consent: bool,
    consent_version: str,
    language: str,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = [_("Choose what happened from the list.")]
    cleaned["kind"] = kind
    clean_name = " ".join(_clean_text(name).split())
    if not clean_name:
        errors["name"] = [_("Enter your name.")]
    elif len(clean_name) > NAME_MAX_LENGTH:
        errors["name"] = [
            _("Your name can have at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}
        ]
    elif _CONTROL.search(clean_name):
        errors["name"] = [_("Your name contains characters we cannot accept.")]
    cleaned["name"] = clean_name
    try:
        cleaned["phone"] = clean_phone(phone)
    except ValidationError as exc:
        errors["phone"] = list(exc.messages)
    text = str(description or "").strip()
    if len(text) < DESCRIPTION_MIN_LENGTH:
        errors["description"] = [
            _("Describe what happened in at least %(min)d characters.")
            % {"min": DESCRIPTION_MIN_LENGTH}
        ]
    elif len(text) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [
            _("The description can have at most %(max)d characters.")
            % {"max": DESCRIPTION_MAX_LENGTH}
        ]
    elif "\x00" in text:
        errors["description"] = [_("The description contains characters we cannot accept.")]
    cleaned["description"] = text
    if not year_in_range(happened_at):
        errors["happened_at"] = [year_range_message()]
        happened_at = None
    elif happened_at is not None:
        if timezone.is_naive(happened_at):
            happened_at = timezone.make_aware(happened_at)
        if happened_at > timezone.now() + FUTURE_TOLERANCE:
            errors["happened_at"] = [_("The time it happened cannot be in the future.")]
    cleaned["happened_at"] = happened_at
    if consent is not True:
        errors["consent"] = [
            _(
                "We can only handle your feedback with your consent to processing your "
                "financial information. Tick the box to give it."
            )
        ]
    version = str(consent_version or "").strip() or settings.INTAKE_CONSENT_VERSION
    if not _CONSENT_VERSION.fullmatch(version):
        errors["consent_version"] = [
            _("The consent text version may hold at most %(max)d letters, digits, dots or dashes.")
            % {"max": CONSENT_VERSION_MAX_LENGTH}
        ]
    cleaned["consent_version"] = version
    lang = _LANGUAGES.get(str(language or "zh-hans").strip().lower().replace("_", "-"))
    if lang is None:
        errors["language"] = [_("Choose the language zh-hans or en.")]
    cleaned["language"] = lang
    if errors:
        raise ValidationError(errors)
    return cleaned


def new_reference() -> str:
    """``FB-`` and 12 random characters from an unambiguous alphabet (``secrets``)."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _i in range(REFERENCE_LENGTH)
    )


def normalise_reference(value: Any) -> str:
    """What a person typed as a reference, in its stored form (``FB-`` + 12), or ``""``."""
    text = unicodedata.normalize("NFKC", str(value or ""))[:REFERENCE_MAX_LENGTH].upper()
    compact = re.sub(r"[\s\-]", "", text)
    # Only a prefix that is really there: "FB" and "F", "B" are in the alphabet, so twelve
    # characters starting "FB" are a body typed without its prefix (about 1 in 961).
    prefix = REFERENCE_PREFIX.rstrip("-")
    if len(compact) == REFERENCE_LENGTH + len(prefix) and compact.startswith(prefix):
        compact = compact[len(prefix) :]
    if len(compact) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in compact):
        return ""
    return REFERENCE_PREFIX + compact


def feedback_submit(
    *,
    kind: str,
    name: str,
    phone: str,
    description: str,
    happened_at: datetime | None,
    consent: bool,
    consent_version: str,
    language: str,
    channel: Channel | None,
) -> Feedback:
    """Validate and store a submission (committed before anything is queued), then enqueue
    its processing after the commit. ``ValidationError`` by field, in the active language.
    Never fails because the broker is down: the row waits for the sweeper.

    When jobs run in-process (a local run without Redis) processing has already happened
    by the time the store commits, and the returned feedback carries its outcome
    (``status``, ``case``); otherwise it is ``received``."""
    cleaned = _validate(
        kind=kind,
        name=name,
        phone=phone,
        description=description,
        happened_at=happened_at,
        consent=consent,
        consent_version=consent_version,
        language=language,
    )
    actor = channel_actor(channel) if channel is not None else FORM_ACTOR
    for attempt in range(3):
        try:
            feedback = _feedback_store(cleaned=cleaned, channel=channel, actor=actor)
        except IntegrityError:  # the reference was taken (about 1 in 2**59): draw another
            if attempt == 2:
                raise
            continue
        if _processed_in_process():
            feedback.refresh_from_db(fields=["status", "case"])
        return feedback
    raise AssertionError("unreachable")  # pragma: no cover


def _processed_in_process() -> bool:
    """Whether the processing job queued at the commit has already run here: jobs run
    eagerly and the commit was a real one (not inside an outer transaction)."""
    from intake.tasks import feedback_process as feedback_process_task  # tasks import this

    return bool(feedback_process_task.app.conf.task_always_eager) and not (
        transaction.get_connection().in_atomic_block
    )


def _feedback_store(
    *, cleaned: dict[str, Any], channel: Channel | None, actor: SystemActor | ChannelActor
) -> Feedback:
    now = timezone.now()
    with transaction.atomic():
        feedback = Feedback(
            reference=new_reference(),
            kind=cleaned["kind"],
            name=cleaned["name"],
            phone=cleaned["phone"],
            description=cleaned["description"],
            happened_at=cleaned["happened_at"],
            language=cleaned["language"],
            consent_version=cleaned["consent_version"],
            consent_at=now,
            channel=channel,
            received_at=now,
        )
        feedback._history_user = None  # type: ignore[attr-defined]
        feedback._change_reason = change_reason("feedback.received", actor)  # type: ignore[attr-defined]
        feedback.save(force_insert=True)
        feedback_id = feedback.pk
        transaction.on_commit(lambda: feedback_enqueue(feedback_id=feedback_id))
        # Last: the COMMIT rides with the append (the chain lock is released sooner).
        audit_record(
            actor=actor,
            action="feedback.received",
            target=feedback,
            data={
                "kind": feedback.kind,
                "channel": channel.pk if channel is not None else None,
                "language": feedback.language,
                "consent_version": feedback.consent_version,
            },
            commit=True,
        )
    return feedback


def feedback_enqueue(*, feedback_id: int) -> bool:
    """Send the processing message; ``False`` (logged, no personal data) when the broker is
    unreachable: the row stays ``received`` and the sweeper sends it later."""
    from intake.tasks import feedback_process as feedback_process_task  # tasks import this

    return enqueue_or_log(feedback_process_task, feedback_id)


# --- processing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CasePlan:
    category: str
    credit_line_id: int | None
    reason_code: str
    priority: int | None


def _case_plan(*, kind: str, customer_id: int) -> _CasePlan:
    """Which case a matched customer's feedback belongs to (see the module docstring)."""
    unusable = (
        credit_lines_shown_but_unusable()
        .filter(customer_id=customer_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if unusable is not None:
        codes = credit_line_active_reason_codes(credit_line_id=unusable)
        reason, detected, priority = policy.detected_case(codes)
        category = _KIND_CATEGORY.get(kind, detected)
        if category == detected:
            return _CasePlan(category, unusable, reason, int(priority))
        return _CasePlan(category, unusable, "", None)
    if kind in _KIND_CATEGORY:
        lines = (
            CreditLine.objects.filter(customer_id=customer_id)
            .exclude(state=CreditLineState.CLOSED)
            .order_by("pk")
        )
        line = None
        if kind == FeedbackKind.CANNOT_ACTIVATE:
            # A line not yet activated is the one the customer means.
            line = (
                lines.filter(state=CreditLineState.NOT_ACTIVATED)
                .values_list("pk", flat=True)
                .first()
            )
        if line is None:
            line = lines.values_list("pk", flat=True).first()
        return _CasePlan(_KIND_CATEGORY[kind], line, "", None)
    return _CasePlan(CaseCategory.COMPLAINT, None, "", int(Priority.P3))


def _match_customer(feedback: Feedback) -> int | None:
    """The one customer with the feedback's phone (narrowed by name when several)."""
    if not feedback.phone_hash:
        return None
    candidates = list(
        Customer.objects.filter(phone_hash=feedback.phone_hash)
        .order_by("pk")
        .values_list("pk", "name_hash")[:20]
    )
    if len(candidates) > 1:
        candidates = [c for c in candidates if feedback.name_hash and c[1] == feedback.name_hash]
    return candidates[0][0] if len(candidates) == 1 else None


def _link_to_case(
    *, feedback: Feedback, customer_id: int, actor: User | SystemActor, action: str
) -> Feedback:
    plan = _case_plan(kind=feedback.kind, customer_id=customer_id)
    case, created = case_open_or_attach(
        actor=actor,
        customer_id=customer_id,
        category=plan.category,
        source=CaseSource.FEEDBACK,
        credit_line_id=plan.credit_line_id,
        reason_code=plan.reason_code,
        priority=plan.priority,
        event={"feedback": feedback.pk, "kind": feedback.kind},
    )
    feedback.status = FeedbackStatus.MATCHED
    feedback.customer_id = customer_id
    feedback.case = case
    feedback.processed_at = timezone.now()
    save_with_history(
        feedback,
        actor=actor,
        reason=change_reason(action, actor),
        fields=["status", "customer", "case", "processed_at"],
    )
    audit_record(
        actor=actor,
        action=action,
        target=feedback,
        data={
            "customer": customer_id,
            "case": case.pk,
            "case_opened": created,
            "category": plan.category,
        },
    )
    return feedback


def feedback_process(*, feedback_id: int) -> str:
    """Match and link one received feedback, or send it to triage. Returns its status
    afterwards (``"skipped"`` when it was no longer ``received``: a repeated message).

    Every run is counted in ``attempts`` (committed before the work, so a run that crashes
    still counts); a run past ``MAX_ATTEMPTS`` does no work and hands the feedback to an
    officer in triage, marked as failed (``GAVE_UP_ERROR``)."""
    claimed = Feedback.objects.filter(pk=feedback_id, status=FeedbackStatus.RECEIVED).update(
        # Capped: past the cap nothing more is tried, and the column is a small integer.
        attempts=Least(F("attempts") + 1, MAX_ATTEMPTS + 1)
    )
    if not claimed:
        return "skipped"
    with transaction.atomic():
        # Re-checked under the row lock: a concurrent delivery that got here first has
        # changed the status, and PostgreSQL re-evaluates the condition after the wait.
        feedback = (
            Feedback.objects.select_for_update(of=("self",))
            .filter(pk=feedback_id, status=FeedbackStatus.RECEIVED)
            .first()
        )
        if feedback is None:
            return "skipped"
        if feedback.attempts > MAX_ATTEMPTS:
            _to_triage_failed(feedback, error=GAVE_UP_ERROR)
            return str(feedback.status)
        customer_id = _match_customer(feedback)
        if customer_id is not None:
            _link_to_case(
                feedback=feedback,
                customer_id=customer_id,
                actor=FEEDBACK_ACTOR,
                action="feedback.matched",
            )
            return str(feedback.status)
        feedback.status = FeedbackStatus.TRIAGE
        feedback.processed_at = timezone.now()
        save_with_history(
            feedback,
            actor=FEEDBACK_ACTOR,
            reason=change_reason("feedback.triage", FEEDBACK_ACTOR),
            fields=["status", "processed_at"],
        )
        audit_record(
            actor=FEEDBACK_ACTOR,
            action="feedback.triage",
            target=feedback,
            data={"kind": feedback.kind},
        )
        return str(feedback.status)


def _to_triage_failed(feedback: Feedback, *, error: str) -> None:
    """Automatic processing failed for good: the (locked, ``received``) feedback waits in
    triage with ``error`` set, which the triage page shows, for an officer to identify the
    customer. Audited and logged with ids, counts and the error code only."""
    feedback.status = FeedbackStatus.TRIAGE
    feedback.error = error[:300]
    feedback.processed_at = timezone.now()
    save_with_history(
        feedback,
        actor=FEEDBACK_ACTOR,
        reason=change_reason("feedback.processing_failed", FEEDBACK_ACTOR, error),
        fields=["status", "error", "processed_at"],
    )
    audit_record(
        actor=FEEDBACK_ACTOR,
        action="feedback.processing_failed",
        target=feedback,
        data={"error": error[:100], "attempts": feedback.attempts},
    )
    logger.warning(
        "feedback %s: automatic processing failed after %d attempts (%s); sent to triage",
        feedback.pk,
        feedback.attempts,
        error[:100],
    )


def feedback_process_failed(*, feedback_id: int, error: str) -> bool:
    """A processing error that retrying will not fix (``error`` is an exception class name
    or ``GAVE_UP_ERROR``, never an exception's text): the feedback goes to triage, where
    an officer sees it. ``False`` when it was no longer ``received``."""
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update(of=("self",))
            .filter(pk=feedback_id, status=FeedbackStatus.RECEIVED)
            .first()
        )
        if feedback is None:
            return False
        _to_triage_failed(feedback, error=error)
    return True


def feedback_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH) -> list[int]:
    """Re-send the processing message of feedback still ``received`` after ``SWEEP_AFTER``
    (its message was lost, or the broker was down when it was stored); returns the ids
    sent. Stops at the first broker error: the next sweep tries again. Processing is
    idempotent, so a message that was only slow costs one skipped run.

    Feedback that used all ``MAX_ATTEMPTS`` and is still ``received`` (its runs crashed) is
    not sent again: it goes to triage, marked as failed, without a message."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    rows = list(
        Feedback.objects.filter(status=FeedbackStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", "attempts")[:batch_size]
    )
    sent: list[int] = []
    for feedback_id, attempts in rows:
        if attempts >= MAX_ATTEMPTS:
            feedback_process_failed(feedback_id=feedback_id, error=GAVE_UP_ERROR)
            continue
        if not feedback_enqueue(feedback_id=feedback_id):
            break
        sent.append(feedback_id)
    return sent


# --- triage -------------------------------------------------------------------------------------


def _feedback_in_triage(feedback_id: int) -> Feedback:
    feedback = Feedback.objects.select_for_update(of=("self",)).filter(pk=feedback_id).first()
    if feedback is None:
        raise ValidationError(_("This feedback does not exist."), code="not_found")
    if feedback.status != FeedbackStatus.TRIAGE:
        raise Conflict(
            _("This feedback is no longer waiting for triage (someone else handled it)."),
            code="not_in_triage",
        )
    return feedback


@transaction.atomic
def feedback_triage_link(*, actor: User, feedback_id: int, customer_id: int) -> Feedback:
    """An officer identifies the customer of unmatched feedback: it is linked to the case
    its kind and the customer's lines suggest (opened or attached, as processing would)."""
    ensure_can_triage_feedback(actor)
    feedback = _feedback_in_triage(feedback_id)
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ValidationError({"customer": [_("No customer has this customer number.")]})
    return _link_to_case(
        feedback=feedback, customer_id=customer_id, actor=actor, action="feedback.linked"
    )


@transaction.atomic
def feedback_triage_close(*, actor: User, feedback_id: int, reason: str) -> Feedback:
    """An officer closes unmatched feedback with a reason from ``TriageCloseReason``."""
    ensure_can_triage_feedback(actor)
    if reason not in TriageCloseReason.values:
        raise ValidationError({"reason": [_("Choose a reason for closing from the list.")]})
    feedback = _feedback_in_triage(feedback_id)
    feedback.status = FeedbackStatus.CLOSED
    feedback.close_reason = reason
    feedback.processed_at = feedback.processed_at or timezone.now()
    save_with_history(
        feedback,
        actor=actor,
        reason=change_reason("feedback.closed", actor, reason),
        fields=["status", "close_reason", "processed_at"],
    )
    audit_record(actor=actor, action="feedback.closed", target=feedback, data={"reason": reason})
    return feedback


# --- status lookup ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackStatusView:
    status: str
    message: str


LOOKUP_NOT_FOUND = "not_found"


@cache
def _decoy_token() -> str:
    """An encrypted phone to decrypt when the reference is unknown, so both answers cost
    the same work (one query, one decryption, one comparison)."""
    return encrypt("13800000000")


def _status_view(feedback: Feedback | None) -> FeedbackStatusView:
    if feedback is None:
        return FeedbackStatusView(
            LOOKUP_NOT_FOUND,
            _(
                "We found no feedback with this reference number and these digits. "
                "Check both and try again."
            ),
        )
    if feedback.status == FeedbackStatus.RECEIVED:
        return FeedbackStatusView(
            "received", _("We have received your feedback. It is waiting to be reviewed.")
        )
    if feedback.status == FeedbackStatus.TRIAGE:
        return FeedbackStatusView(
            "in_review", _("An officer is reviewing your feedback to find your account.")
        )
    if feedback.status == FeedbackStatus.MATCHED:
        case_status = feedback.case.status if feedback.case is not None else ""
        if case_status in OPEN_STATUSES:
            return FeedbackStatusView(
                "in_review",
                _("Your feedback is part of a case that an officer is working on."),
            )
        return FeedbackStatusView(
            "resolved",
            _("Your case has been handled. If the problem continues, please send us new feedback."),
        )
    return FeedbackStatusView(
        "closed",
        _(
            "We have closed your feedback without further action. If you still need help, "
            "please send us new feedback."
        ),
    )


def feedback_status(*, reference: str, phone_last4: str) -> FeedbackStatusView:
    """The status of a submission and a plain message in the active language. An unknown
    reference and a wrong phone get the same answer after the same work. ``ValidationError``
    only when ``phone_last4`` is not four digits (which says nothing about the reference)."""
    last4 = unicodedata.normalize("NFKC", str(phone_last4 or "")).strip()
    if not re.fullmatch(r"[0-9]{4}", last4):
        raise ValidationError(
            {"phone_last4": [_("Enter the last four digits of your mobile number.")]}
        )
    normalised = normalise_reference(reference)
    row = (
        Feedback.objects.select_related("case")
        .only("id", "status", "phone", "case__id", "case__status")
        .filter(reference=normalised or "-")
        .first()
    )
    token = _decoy_token()
    phone = ""
    if row is not None and row.phone:
        phone = row.phone
    else:
        decrypt(token)
    matches = hmac.compare_digest(phone[-4:].encode() if phone else b"----", last4.encode())
    return _status_view(row if (row is not None and matches) else None)
