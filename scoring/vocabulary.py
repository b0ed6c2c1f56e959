"""The scoring app's controlled vocabularies: why a line is blocked (reason codes, with
their plain-language descriptions), who blocked it, line states, products, and money.

Shared by the customers, lines, scorecards and assessments packages; imports no model.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ReasonCode(models.TextChoices):
    """Why a credit line is blocked (the design's table of causes)."""

    SCORE_BELOW_CUTOFF = "SCORE_BELOW_CUTOFF", _("Score below cut-off")
    THIN_FILE = "THIN_FILE", _("Thin credit file")
    ASSESSMENT_STALE = "ASSESSMENT_STALE", _("Risk assessment out of date")
    DEVICE_ANOMALY = "DEVICE_ANOMALY", _("Unusual device")
    GEO_ANOMALY = "GEO_ANOMALY", _("Unusual location")
    VELOCITY = "VELOCITY", _("Unusual activity rate")
    DATA_MISMATCH = "DATA_MISMATCH", _("Inconsistent identity or income data")
    KYC_EXPIRED = "KYC_EXPIRED", _("Identity document expired")
    CONSENT_MISSING = "CONSENT_MISSING", _("Consent missing")
    SYSTEM_ERROR = "SYSTEM_ERROR", _("System error")
    ACTIVATION_DECLINED = "ACTIVATION_DECLINED", _("Activation declined")


# Plain-language "why the block" text, fit to show an officer and, reworded by the
# explanation pages, a customer. No jargon, no personal data.
REASON_DESCRIPTIONS: dict[str, Promise] = {
    ReasonCode.SCORE_BELOW_CUTOFF: _(
        "The latest credit score is below the level the product requires, although a limit "
        "was granted earlier."
    ),
    ReasonCode.THIN_FILE: _(
        "There is too little credit history on file to confirm the limit, for example "
        "because the data sits with other institutions."
    ),
    ReasonCode.ASSESSMENT_STALE: _(
        "The risk assessment is older than policy allows; it must be re-run before the "
        "limit can be used."
    ),
    ReasonCode.DEVICE_ANOMALY: _(
        "A payment or sign-in came from a device that does not match the customer's usual devices."
    ),
    ReasonCode.GEO_ANOMALY: _(
        "Activity came from a place far from where the customer usually uses the product."
    ),
    ReasonCode.VELOCITY: _("There were more attempts in a short time than the fraud rules allow."),
    ReasonCode.DATA_MISMATCH: _(
        "Identity or income details differ between the sources they were checked against."
    ),
    ReasonCode.KYC_EXPIRED: _("The identity document on file has expired and must be renewed."),
    ReasonCode.CONSENT_MISSING: _(
        "The customer's consent to use their financial information is missing or was withdrawn."
    ),
    ReasonCode.SYSTEM_ERROR: _(
        "A payment or activation attempt failed because of a system error, not because of "
        "the customer."
    ),
    ReasonCode.ACTIVATION_DECLINED: _("The attempt to activate the credit line was declined."),
}


def reason_description(code: str) -> str:
    """The plain-language reason for a code, in the active language ("" when unknown)."""
    text = REASON_DESCRIPTIONS.get(code)
    return str(text) if text is not None else ""


class BlockSource(models.TextChoices):
    RULE = "rule", _("Scoring rule")
    UPSTREAM = "upstream", _("Upstream system")
    OFFICER = "officer", _("Risk officer")


class CreditLineState(models.TextChoices):
    NOT_ACTIVATED = "not_activated", _("Not activated")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    CLOSED = "closed", _("Closed")


class Product(models.TextChoices):
    PAYLATER = "paylater", _("Pay later")
    INSTALLMENT = "installment", _("Instalments")
    CASH_LINE = "cash_line", _("Cash line")


CURRENCY = "CNY"
MONEY_DIGITS = 12
MONEY_PLACES = 2
