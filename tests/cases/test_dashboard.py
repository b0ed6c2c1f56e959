"""The supervisor's dashboard counts what is really there, in bounded queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    CaseCategory,
    CaseStatus,
    Decision,
    DecisionKind,
    DecisionReason,
    DecisionState,
)
from cases.selectors.dashboard import supervision_summary

pytestmark = pytest.mark.django_db


def _decision(case, proposer, **fields) -> Decision:
    return Decision.objects.create(
        case=case,
        kind=fields.pop("kind", DecisionKind.KEEP_BLOCK),
        reason_code=DecisionReason.RISK_CONFIRMED,
        justification="checked",
        proposed_by=proposer,
        **fields,
    )


def test_the_summary_counts_depth_sla_throughput_and_decisions(
    make_case, officer, second_officer, supervisor
) -> None:
    now = timezone.now()
    breached = make_case(sla_due_at=now - timedelta(hours=1), opened_at=now - timedelta(days=3))
    make_case(sla_due_at=now + timedelta(minutes=10), category=CaseCategory.PAYMENT_FAILED)
    make_case(sla_due_at=now + timedelta(days=2))
    done = make_case(assignee=officer, sla_due_at=now + timedelta(days=1))
    done.status, done.closed_at = CaseStatus.RESOLVED, now - timedelta(hours=2)
    done.save()
    _decision(
        done,
        officer,
        kind=DecisionKind.OVERRIDE_LIMIT,
        usable_limit=Decimal("100"),
        state=DecisionState.APPLIED,
    )
    _decision(
        done,
        officer,
        requires_approval=True,
        approver=supervisor,
        decided_at=now,
        state=DecisionState.APPLIED,
    )
    _decision(
        done,
        second_officer,
        requires_approval=True,
        approver=supervisor,
        decided_at=now,
        state=DecisionState.REJECTED,
    )
    _decision(done, officer, requires_approval=True)  # still waiting: not counted as reviewed

    summary = supervision_summary(now=now)

    assert summary.open_total == 3
    assert dict(summary.by_category) == {
        CaseCategory.LIMIT_UNUSABLE: 2,
        CaseCategory.PAYMENT_FAILED: 1,
    }
    assert (summary.breached, summary.due_soon) == (1, 1)
    assert summary.oldest_open == breached
    assert [(officer_name, n) for _day, officer_name, n in summary.closed_per_officer_day] == [
        ("officer", 1)
    ]
    assert (summary.decisions, summary.overrides) == (4, 1)
    assert summary.override_rate == 0.25
    assert (summary.approvals_decided, summary.approvals_approved) == (2, 1)
    assert summary.approval_rate == 0.5


def test_supervisors_see_the_dashboard_with_charts_in_bounded_queries(
    client: Client, make_case, supervisor, django_assert_max_num_queries
) -> None:
    for _ in range(12):
        make_case()
    client.force_login(supervisor)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("cases:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="open-total">12<' in page
    assert 'id="chart-queue-depth"' in page
    assert "vendor/plotly/plotly.min.js" in page


def test_officers_and_auditors_may_not_open_the_dashboard(client: Client, officer, auditor) -> None:
    for user in (officer, auditor):
        client.force_login(user)
        assert client.get(reverse("cases:dashboard")).status_code == 403


def test_the_dashboard_speaks_chinese(client: Client, make_case, supervisor) -> None:
    make_case()
    client.force_login(supervisor)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    page = client.get(reverse("cases:dashboard")).content.decode()

    assert "监督" in page
