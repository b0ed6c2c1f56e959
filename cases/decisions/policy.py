"""Which decisions need a second pair of eyes (four-eyes approval), as pure functions.

``decision_needs_approval`` reads no database and no settings: the service passes it the
numbers and dates it looked up, so the rule is easy to read, test and change in one place.
It returns ``(needs_approval, reason)`` where ``reason`` is a stable code (stored on the
decision and written to the audit log); ``approval_reason_label`` says it in words, with the
amounts. The policy is the same whoever proposes: an officer's decision and a supervisor's
own both wait, and only a supervisor who is not the proposer approves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import DecisionKind
from scoring.models import ReasonCode
from scoring.templatetags.scoring_tags import cny

LIMIT_ABOVE_THRESHOLD = "limit_above_threshold"
LIMIT_ABOVE_RECOMMENDATION = "limit_above_recommendation"
ASSESSMENT_MISSING = "assessment_missing"
ASSESSMENT_STALE = "assessment_stale"
REGULATORY_BLOCK = "regulatory_block"

APPROVAL_REASONS = (
    LIMIT_ABOVE_THRESHOLD,
    ASSESSMENT_MISSING,
    ASSESSMENT_STALE,
    LIMIT_ABOVE_RECOMMENDATION,
    REGULATORY_BLOCK,
)

# Blocks that exist for a regulatory reason: lifting one always takes a supervisor.
REGULATORY_BLOCK_REASONS = frozenset({ReasonCode.KYC_EXPIRED, ReasonCode.CONSENT_MISSING})


def approval_limit_threshold() -> Decimal:
    """``CASES_APPROVAL_LIMIT_THRESHOLD`` (CNY)."""
    return Decimal(str(settings.CASES_APPROVAL_LIMIT_THRESHOLD))


def assessment_stale_days() -> int:
    """``CASES_ASSESSMENT_STALE_DAYS``: how old the latest succeeded assessment may be."""
    return int(settings.CASES_ASSESSMENT_STALE_DAYS)


def assessment_fresh_since(now: datetime | None = None) -> datetime:
    """Assessments finished before this moment are out of date for a raise."""
    return (now or timezone.now()) - timedelta(days=assessment_stale_days())


def approval_reason_label(code: str, *, recommended_limit: Decimal | None = None) -> str:
    """Why a decision waits, in the user's language, money as money ("" for no reason).

    The threshold and the staleness window are today's settings; the recommendation is
    named when the caller knows it.
    """
    if code == LIMIT_ABOVE_THRESHOLD:
        return _("Raises the usable limit above %(amount)s, the approval threshold.") % {
            "amount": cny(approval_limit_threshold())
        }
    if code == LIMIT_ABOVE_RECOMMENDATION:
        if recommended_limit is not None:
            return _("Raises the usable limit above the recommended limit (%(amount)s).") % {
                "amount": cny(recommended_limit)
            }
        return _("Raises the usable limit above the recommended limit.")
    if code == ASSESSMENT_MISSING:
        return _(
            "No recent assessment: no assessment of this customer has succeeded, so any "
            "raise of the usable limit needs approval."
        )
    if code == ASSESSMENT_STALE:
        return _(
            "No recent assessment: the latest succeeded assessment is older than %(days)d "
            "days, so any raise of the usable limit needs approval."
        ) % {"days": assessment_stale_days()}
    if code == REGULATORY_BLOCK:
        return _("Lifts an identity-document or consent block.")
    return ""


def decision_needs_approval(
    *,
    kind: str,
    threshold: Decimal,
    usable_limit: Decimal | None = None,
    usable_limit_before: Decimal | None = None,
    recommended_limit: Decimal | None = None,
    assessed_at: datetime | None = None,
    fresh_since: datetime | None = None,
    block_reason_codes: Iterable[str] = (),
) -> tuple[bool, str]:
    """``(True, code)`` when the decision must wait for a supervisor, else ``(False, "")``.

    - ``override_limit`` that *raises* the usable limit (lowering never needs approval):
      above ``threshold``; with no succeeded assessment on record (``assessed_at`` is
      ``None``); with one finished before ``fresh_since``; or above that assessment's
      ``recommended_limit``. Checked in that order; the first that applies is the reason.
    - ``lift_block`` of a ``KYC_EXPIRED`` or ``CONSENT_MISSING`` block;
    - everything else applies at once.

    ``assessed_at`` and ``recommended_limit`` come from the customer's latest succeeded
    assessment; ``fresh_since`` is ``assessment_fresh_since()`` (``None``: no staleness
    check, for callers that have already applied one).
    """
    if kind == DecisionKind.OVERRIDE_LIMIT and usable_limit is not None:
        raises = usable_limit_before is None or usable_limit > usable_limit_before
        if raises:
            if usable_limit > threshold:
                return True, LIMIT_ABOVE_THRESHOLD
            if assessed_at is None:
                return True, ASSESSMENT_MISSING
            if fresh_since is not None and assessed_at < fresh_since:
                return True, ASSESSMENT_STALE
            if recommended_limit is not None and usable_limit > recommended_limit:
                return True, LIMIT_ABOVE_RECOMMENDATION
    if kind == DecisionKind.LIFT_BLOCK and any(
        code in REGULATORY_BLOCK_REASONS for code in block_reason_codes
    ):
        return True, REGULATORY_BLOCK
    return False, ""
