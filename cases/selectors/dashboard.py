"""The supervisor's reads: the dashboard summary (``supervision_summary``) and the override
and approval rates (``decision_rates``). Aggregate queries only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Q,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from cases import policy
from cases.models import (
    OPEN_STATUSES,
    Case,
    Decision,
    DecisionKind,
    DecisionState,
)


@dataclass(frozen=True)
class Supervision:
    """What a supervisor watches: the open work, the SLA, throughput and decision habits."""

    open_total: int
    by_category: list[tuple[str, int]]
    by_reason: list[tuple[str, int]]
    breached: int
    due_soon: int
    oldest_open: Case | None
    # (day, officer username, cases closed) over the window, oldest day first
    closed_per_officer_day: list[tuple[Any, str, int]]
    decisions: int
    overrides: int
    approvals_decided: int
    approvals_approved: int
    days: int

    @property
    def override_rate(self) -> float | None:
        return self.overrides / self.decisions if self.decisions else None

    @property
    def approval_rate(self) -> float | None:
        return self.approvals_approved / self.approvals_decided if self.approvals_decided else None


def supervision_summary(*, now: datetime | None = None, days: int = 14) -> Supervision:
    """Eight aggregate queries, whatever the number of cases (no rows are loaded but one)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    by_category = list(
        open_cases.values_list("category").annotate(n=Count("id")).order_by("-n", "category")
    )
    by_reason = list(
        open_cases.values_list("reason_code").annotate(n=Count("id")).order_by("-n", "reason_code")
    )
    counts = open_cases.aggregate(
        total=Count("id"),
        breached=Count("id", filter=Q(sla_due_at__lt=now)),
        due_soon=Count(
            "id",
            filter=Q(
                sla_due_at__gte=now,
                sla_due_at__lt=now + timedelta(minutes=policy.due_soon_minutes()),
            ),
        ),
    )
    oldest = open_cases.select_related("customer").order_by("opened_at", "id").first()
    closed = list(
        Case.objects.filter(closed_at__gte=since, assignee__isnull=False)
        .annotate(day=TruncDate("closed_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "assignee__username")
        .annotate(n=Count("id"))
        .order_by("day", "assignee__username")
    )
    decided = Decision.objects.filter(proposed_at__gte=since)
    decision_counts = decided.aggregate(
        total=Count("id"),
        overrides=Count("id", filter=Q(kind=DecisionKind.OVERRIDE_LIMIT)),
        approvals_decided=Count(
            "id",
            filter=Q(requires_approval=True, decided_at__isnull=False),
        ),
        approvals_approved=Count(
            "id",
            filter=Q(
                requires_approval=True,
                decided_at__isnull=False,
                state__in=[DecisionState.APPROVED, DecisionState.APPLIED],
            ),
        ),
    )
    return Supervision(
        open_total=counts["total"],
        by_category=by_category,
        by_reason=by_reason,
        breached=counts["breached"],
        due_soon=counts["due_soon"],
        oldest_open=oldest,
        closed_per_officer_day=closed,
        decisions=decision_counts["total"],
        overrides=decision_counts["overrides"],
        approvals_decided=decision_counts["approvals_decided"],
        approvals_approved=decision_counts["approvals_approved"],
        days=days,
    )


# --- override and approval rates -----------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    """Decisions of one group (a week and an officer, or a reason code)."""

    decisions: int
    overrides: int
    approved: int
    rejected: int

    @property
    def override_share(self) -> float | None:
        return self.overrides / self.decisions if self.decisions else None

    @property
    def reviewed(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_share(self) -> float | None:
        return self.approved / self.reviewed if self.reviewed else None

    @property
    def rejection_share(self) -> float | None:
        return self.rejected / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class DecisionRates:
    since: datetime
    until: datetime
    # (week start, officer username) -> figures, weeks in the display time zone
    weekly: dict[tuple[Any, str], RateRow]
    by_reason: list[tuple[str, RateRow]]
    total: RateRow

    @property
    def weeks(self) -> list[Any]:
        return sorted({week for week, _officer in self.weekly})

    @property
    def officers(self) -> list[str]:
        return sorted({officer for _week, officer in self.weekly})


def decision_rates(
    *,
    since: datetime,
    until: datetime,
    officer_id: int | None = None,
    reason_code: str = "",
) -> DecisionRates:
    """Decisions proposed in ``[since, until)`` by week and officer (the proposer) and by
    reason code: how many, how many override the usable limit, and of the proposals a
    supervisor reviewed, how many were approved and rejected. Two aggregate queries in the
    database, whatever the number of decisions."""
    decisions = Decision.objects.filter(proposed_at__gte=since, proposed_at__lt=until)
    if officer_id is not None:
        decisions = decisions.filter(proposed_by_id=officer_id)
    if reason_code:
        decisions = decisions.filter(reason_code=reason_code)
    reviewed = Q(requires_approval=True, decided_at__isnull=False)
    figures = {
        "n": Count("id"),
        "overrides": Count("id", filter=Q(kind=DecisionKind.OVERRIDE_LIMIT)),
        "approved": Count(
            "id", filter=reviewed & Q(state__in=[DecisionState.APPROVED, DecisionState.APPLIED])
        ),
        "rejected": Count("id", filter=reviewed & Q(state=DecisionState.REJECTED)),
    }

    def row(values: Mapping[str, Any]) -> RateRow:
        return RateRow(values["n"], values["overrides"], values["approved"], values["rejected"])

    weekly_rows = (
        decisions.annotate(week=TruncWeek("proposed_at", tzinfo=timezone.get_current_timezone()))
        .values("week", "proposed_by__username")
        .annotate(**figures)
        .order_by("week", "proposed_by__username")
    )
    weekly = {(r["week"].date(), r["proposed_by__username"]): row(r) for r in weekly_rows}
    reason_rows: Any = decisions.values("reason_code").annotate(**figures).order_by()
    by_reason = sorted(
        ((r["reason_code"], row(r)) for r in reason_rows),
        key=lambda pair: (-pair[1].decisions, pair[0]),
    )
    total = RateRow(
        sum(r.decisions for _c, r in by_reason),
        sum(r.overrides for _c, r in by_reason),
        sum(r.approved for _c, r in by_reason),
        sum(r.rejected for _c, r in by_reason),
    )
    return DecisionRates(since=since, until=until, weekly=weekly, by_reason=by_reason, total=total)
