from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CaseEventKind, CaseStatus
from cases.services.sla import cases_sla_sweep
from cases.tasks import cases_sla_sweep as sla_task
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


def _statements_during(call):
    """The SQL the call sends, in order."""
    from django.db import connection

    sent: list[str] = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    return sent


def _lock_taken_after_every_case_write(sent: list[str]) -> bool:
    locks = [i for i, sql in enumerate(sent) if "pg_advisory_xact_lock" in sql]
    writes = [i for i, sql in enumerate(sent) if sql.lstrip().upper().startswith("UPDATE")]
    return bool(locks) and bool(writes) and min(locks) > max(writes)


# PostgreSQL only: the chain lock is PostgreSQL's advisory lock. SQLite has none to order:
# its one write lock is taken for the whole transaction at BEGIN IMMEDIATE.
@pytest.mark.postgres_only
@pytest.mark.parametrize("sweep", ["sla", "release", "reassign"])
def test_a_batch_takes_the_audit_chain_lock_only_after_its_case_writes(
    sweep, settings, supervisor, officer
):
    # The chain lock serialises every audited write in the portal and is held from the
    # first append to the commit: a batch appends last, so others wait for the appends only.
    from cases.services.reassign import case_reassign
    from cases.services.release import cases_release_stale

    now = timezone.now()
    if sweep == "sla":
        cases = [CaseFactory(sla_due_at=now - timedelta(minutes=n + 1)) for n in range(3)]
        sent = _statements_during(lambda: cases_sla_sweep(now=now))
    elif sweep == "release":
        settings.CASES_CLAIM_TIMEOUT_MINUTES = 10
        old = now - timedelta(hours=1)
        cases = [
            CaseFactory(
                status=CaseStatus.ASSIGNED, assignee=officer, assigned_at=old, last_touched_at=old
            )
            for _ in range(3)
        ]
        sent = _statements_during(lambda: cases_release_stale(now=now))
    else:
        cases = [CaseFactory() for _ in range(3)]
        sent = _statements_during(
            lambda: case_reassign(
                actor=supervisor, case_ids=[c.pk for c in cases], assignee_id=officer.pk
            )
        )
    assert _lock_taken_after_every_case_write(sent)
    assert AuditEntry.objects.filter(target_id__in=[str(c.pk) for c in cases]).count() == 3
