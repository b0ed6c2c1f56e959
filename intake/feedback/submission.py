"""Submitting feedback: validation, the reference, and the store.

``feedback_submit`` stores first (its own transaction) and enqueues processing after the
commit (``intake.feedback.processing.FEEDBACK_INBOX``); a broker that is down is logged
(ids only) and the row stays ``received`` for the sweep."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.history_rows import change_reason, save_with_history
from audit.log import audit_record
from intake.channels import channel_actor
from intake.feedback.processing import FEEDBACK_INBOX
from intake.models import Channel, Feedback, FeedbackKind
from portal.dates import year_in_range, year_range_message
from portal.permissions import ChannelActor, SystemActor
from portal.pii.crypto import normalise

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

FORM_ACTOR = SystemActor("feedback_form")

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_CONSENT_VERSION = re.compile(r"[A-Za-z0-9._\-]{1,32}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LANGUAGES = {"zh-hans": "zh-hans", "zh": "zh-hans", "zh-cn": "zh-hans", "en": "en"}


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


def _validate(  # noqa: C901  (one flat check per input field; splitting it would scatter the rules)
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
    return bool(FEEDBACK_INBOX.task.app.conf.task_always_eager) and not (
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
        # The job is sent after commit; the audit entry is last, its COMMIT riding along.
        save_with_history(
            feedback,
            actor=actor,
            reason=change_reason(AuditAction.FEEDBACK_RECEIVED, actor),
            force_insert=True,
        )
        FEEDBACK_INBOX.send_on_commit(feedback.pk)
        # Last: the COMMIT rides with the append (the chain lock is released sooner).
        audit_record(
            actor=actor,
            action=AuditAction.FEEDBACK_RECEIVED,
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
