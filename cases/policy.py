"""SLA policy: how long a case of a category and priority may stay open.

Hours per priority, overridable per category with ``settings.CASES_SLA_HOURS``::

    CASES_SLA_HOURS = {"default": {1: 4, 2: 24, 3: 72, 4: 120}, "complaint": {1: 2, ...}}
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from cases.models import Priority

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
