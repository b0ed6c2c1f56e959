"""What ends an assessment as its own failure (recorded on the row, can be re-run) rather
than the infrastructure's (retried), and how such a failure is worded on the row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# What counts as the assessment's own failure (recorded on the row, can be re-run) rather
# than the infrastructure's (retried): refused input, a malformed scorecard, bad data.
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    ValidationError,
    ValueError,
    ArithmeticError,
    LookupError,
    TypeError,
)


class AssessmentRefused(ValidationError):
    """The assessment may not run (for example: the customer withdrew consent)."""


def consent_refusal(*, withdrawn: bool = False) -> AssessmentRefused:
    if withdrawn:
        return AssessmentRefused(
            _(
                "Consent withdrawn: the customer withdrew their consent to the use of their "
                "financial information, so no assessment may run."
            ),
            code="consent_withdrawn",
        )
    return AssessmentRefused(
        _(
            "The customer has not given, or has withdrawn, consent to the use of their "
            "financial information, so no assessment may run."
        ),
        code="consent",
    )


def error_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    # A bug in a scorecard spec or in the data: name the kind, never repeat the values
    # (an exception's text could hold personal data).
    return _("The scoring step failed (%(kind)s); check the scorecard and the features.") % {
        "kind": type(exc).__name__
    }
