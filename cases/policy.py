"""SLA policy: how long a case of a category and priority may stay open.

Hours per priority, overridable per category with ``settings.CASES_SLA_HOURS``::

    CASES_SLA_HOURS = {"default": {1: 4, 2: 24, 3: 72, 4: 120}, "complaint": {1: 2, ...}}
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from cases.models import CaseCategory, Priority
from scoring.models import ReasonCode

DEFAULT_SLA_HOURS: dict[int, int] = {
    Priority.P1: 4,
    Priority.P2: 24,
    Priority.P3: 72,
    Priority.P4: 120,
}


def sla_hours(*, category: str, priority: int) -> int:
    configured: dict[str, dict[int, int]] = getattr(settings, "CASES_SLA_HOURS", {})
    for table in (configured.get(category), configured.get("default"), DEFAULT_SLA_HOURS):
        if table and priority in table:
            return int(table[priority])
    return DEFAULT_SLA_HOURS[Priority.P3]


def sla_due(*, category: str, priority: int, start: datetime) -> datetime:
    return start + timedelta(hours=sla_hours(category=category, priority=priority))


def escalated_priority(priority: int) -> int:
    """One step more urgent, never above P1."""
    return max(int(Priority.P1), int(priority) - 1)


def wip_limit() -> int:
    return int(getattr(settings, "CASES_WIP_LIMIT", 10))


def claim_timeout_minutes() -> int:
    return int(getattr(settings, "CASES_CLAIM_TIMEOUT_MINUTES", 120))


def due_soon_minutes() -> int:
    return int(getattr(settings, "CASES_SLA_DUE_SOON_MINUTES", 60))


# --- detection: what a shown-but-unusable line's cause suggests --------------------------------

# The category a cause belongs to, and how urgent it is. A system error is the portal's
# fault, not the customer's: it goes first. Anomaly blocks on a legitimate customer come
# next (the customer is stuck now); data and model causes follow; no block at all (a usable
# limit of zero) is the least specific.
_CAUSE: dict[str, tuple[CaseCategory, Priority]] = {
    ReasonCode.SYSTEM_ERROR: (CaseCategory.PAYMENT_FAILED, Priority.P1),
    ReasonCode.ACTIVATION_DECLINED: (CaseCategory.ACTIVATION_FAILED, Priority.P2),
    ReasonCode.DEVICE_ANOMALY: (CaseCategory.LIMIT_UNUSABLE, Priority.P2),
    ReasonCode.GEO_ANOMALY: (CaseCategory.LIMIT_UNUSABLE, Priority.P2),
    ReasonCode.VELOCITY: (CaseCategory.LIMIT_UNUSABLE, Priority.P2),
    ReasonCode.DATA_MISMATCH: (CaseCategory.LIMIT_UNUSABLE, Priority.P3),
    ReasonCode.KYC_EXPIRED: (CaseCategory.LIMIT_UNUSABLE, Priority.P3),
    ReasonCode.CONSENT_MISSING: (CaseCategory.LIMIT_UNUSABLE, Priority.P3),
    ReasonCode.SCORE_BELOW_CUTOFF: (CaseCategory.LIMIT_UNUSABLE, Priority.P3),
    ReasonCode.THIN_FILE: (CaseCategory.LIMIT_UNUSABLE, Priority.P3),
    ReasonCode.ASSESSMENT_STALE: (CaseCategory.LIMIT_UNUSABLE, Priority.P3),
}
_NO_BLOCK = (CaseCategory.LIMIT_UNUSABLE, Priority.P4)


def detected_case(reason_codes: list[str]) -> tuple[str, CaseCategory, Priority]:
    """For a line's active block reasons: (main reason, category, priority).

    The most urgent cause wins; with no active block the line is unusable because its
    usable limit is zero.
    """
    known = [code for code in reason_codes if code in _CAUSE]
    if not known:
        return "", *_NO_BLOCK
    main = min(known, key=lambda code: (_CAUSE[code][1], code))
    return main, *_CAUSE[main]
