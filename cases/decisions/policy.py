"""Which decisions need a second pair of eyes (four-eyes approval), as pure functions.

``decision_needs_approval`` reads no database and no settings: the service passes it the
numbers it looked up, so the rule is easy to read, test and change in one place. It returns
``(needs_approval, reason)`` where ``reason`` is a stable code (stored on the decision and
written to the audit log) with a translated label in ``APPROVAL_REASON_LABELS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import DecisionKind
from scoring.models import ReasonCode

LIMIT_ABOVE_THRESHOLD = "limit_above_threshold"
LIMIT_ABOVE_RECOMMENDATION = "limit_above_recommendation"
REGULATORY_BLOCK = "regulatory_block"

APPROVAL_REASON_LABELS: dict[str, Promise] = {
    LIMIT_ABOVE_THRESHOLD: _("Raises the usable limit above the approval threshold."),
    LIMIT_ABOVE_RECOMMENDATION: _("Raises the usable limit above the recommended limit."),
    REGULATORY_BLOCK: _("Lifts an identity-document or consent block."),
}

# Blocks that exist for a regulatory reason: lifting one always takes a supervisor.
REGULATORY_BLOCK_REASONS = frozenset({ReasonCode.KYC_EXPIRED, ReasonCode.CONSENT_MISSING})


def approval_limit_threshold() -> Decimal:
    """``CASES_APPROVAL_LIMIT_THRESHOLD`` (CNY)."""
    return Decimal(str(settings.CASES_APPROVAL_LIMIT_THRESHOLD))


def approval_reason_label(code: str) -> str:
    """The plain-language reason for an approval code ("" when there is none)."""
    label = APPROVAL_REASON_LABELS.get(code)
    return str(label) if label is not None else ""


def decision_needs_approval(
    *,
    kind: str,
    threshold: Decimal,
    usable_limit: Decimal | None = None,
    usable_limit_before: Decimal | None = None,
    recommended_limit: Decimal | None = None,
    block_reason_codes: Iterable[str] = (),
) -> tuple[bool, str]:
    """``(True, code)`` when the decision must wait for a supervisor, else ``(False, "")``.

    - ``override_limit`` that *raises* the usable limit above ``threshold`` or above the
      latest succeeded assessment's ``recommended_limit`` (lowering never needs approval);
    - ``lift_block`` of a ``KYC_EXPIRED`` or ``CONSENT_MISSING`` block;
    - everything else applies at once.
    """
    if kind == DecisionKind.OVERRIDE_LIMIT and usable_limit is not None:
        raises = usable_limit_before is None or usable_limit > usable_limit_before
        if raises and usable_limit > threshold:
            return True, LIMIT_ABOVE_THRESHOLD
        if raises and recommended_limit is not None and usable_limit > recommended_limit:
            return True, LIMIT_ABOVE_RECOMMENDATION
    if kind == DecisionKind.LIFT_BLOCK and any(
        code in REGULATORY_BLOCK_REASONS for code in block_reason_codes
    ):
        return True, REGULATORY_BLOCK
    return False, ""
