"""The public status lookup of a submission: a reference and the phone's last four digits
in, a status and a plain message out; an unknown reference and a wrong phone get the same
answer after the same work."""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import OPEN_STATUSES
from intake.feedback.submission import normalise_reference
from intake.models import Feedback, FeedbackStatus
from portal.pii.crypto import decrypt, encrypt


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
