from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import CaseEventKind, CaseStatus
from cases.services import cases_sla_sweep
from cases.tasks import cases_sla_sweep as sla_task
from compliance.models import AuditEntry
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_breached_case_is_marked_escalated_and_audited_once():
    now = timezone.now()
    case = CaseFactory(priority=3, sla_due_at=now - timedelta(minutes=1))

    report = cases_sla_sweep(now=now)
    again = cases_sla_sweep(now=now + timedelta(minutes=5))

    assert report.breached == [case.pk]
    assert again.breached == []
    case.refresh_from_db()
    assert (case.sla_breached_at, case.priority, case.version) == (now, 2, 2)
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds == [CaseEventKind.SLA_BREACHED, CaseEventKind.ESCALATED]
    entry = AuditEntry.objects.get(action="case.sla_breached")
    assert entry.actor_label == "system:cases.sla_sweep"
    assert entry.data["priority_before"] == 3
    assert entry.data["priority"] == 2
    assert case.history.latest().history_change_reason.startswith("case.sla_breached")


def test_escalation_stops_at_p1():
    case = CaseFactory(priority=1, sla_due_at=timezone.now() - timedelta(hours=1))
    cases_sla_sweep()
    case.refresh_from_db()
    assert case.priority == 1
    assert case.sla_breached_at is not None


def test_a_case_due_soon_is_marked_once_without_invalidating_open_forms():
    now = timezone.now()
    case = CaseFactory(sla_due_at=now + timedelta(minutes=30))
    CaseFactory(sla_due_at=now + timedelta(hours=5))  # not yet

    assert cases_sla_sweep(now=now).due_soon == [case.pk]
    assert cases_sla_sweep(now=now).due_soon == []
    case.refresh_from_db()
    assert case.sla_due_soon_at == now
    assert case.version == 1
    assert case.events.get().kind == CaseEventKind.SLA_DUE_SOON


def test_closed_cases_are_left_alone():
    CaseFactory(status=CaseStatus.CLOSED, sla_due_at=timezone.now() - timedelta(hours=1))
    report = cases_sla_sweep()
    assert report.breached == []
    assert report.due_soon == []


def test_the_sweep_runs_from_beat():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["cases-sla-sweep"]["task"] == "cases.tasks.cases_sla_sweep"
    assert schedule["cases-release-stale"]["task"] == "cases.tasks.cases_release_stale"
    CaseFactory(sla_due_at=timezone.now() - timedelta(hours=1))
    assert sla_task.delay().get() == {"due_soon": 0, "breached": 1}
