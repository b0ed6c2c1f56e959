from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CaseEventKind, CaseStatus
from cases.services.claiming import case_claim_next
from cases.services.reassign import case_reassign
from cases.services.release import cases_release_stale
from cases.tasks import cases_release_stale as release_task
from portal.errors import Conflict
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_claimed_case_left_untouched_returns_to_the_queue(officer, settings):
    settings.CASES_CLAIM_TIMEOUT_MINUTES = 120
    CaseFactory()
    case = case_claim_next(actor=officer)
    later = timezone.now() + timedelta(minutes=121)

    assert cases_release_stale(now=timezone.now()) == []
    assert cases_release_stale(now=later) == [case.pk]
    assert cases_release_stale(now=later) == []

    case.refresh_from_db()
    assert (case.status, case.assignee, case.assigned_at) == (CaseStatus.NEW, None, None)
    event = case.events.order_by("-id").first()
    assert (event.kind, event.actor_label) == (CaseEventKind.RELEASED, "system:cases.release_stale")
    assert event.data["previous_assignee"] == officer.pk
    assert AuditEntry.objects.get(action="case.released").target_id == str(case.pk)
    assert case.history.latest().history_user is None


def test_a_case_being_worked_on_stays_with_its_officer(officer):
    long_ago = timezone.now() - timedelta(hours=5)
    CaseFactory(status=CaseStatus.ASSIGNED, assignee=officer, last_touched_at=timezone.now())
    CaseFactory(status=CaseStatus.IN_REVIEW, assignee=officer, last_touched_at=long_ago)
    assert cases_release_stale() == []
    assert release_task.delay().get() == 0


def test_a_supervisor_reassigns_many_cases_at_once(supervisor, officer, second_officer):
    claimed = CaseFactory(status=CaseStatus.ASSIGNED, assignee=officer)
    waiting = CaseFactory()

    cases = case_reassign(
        actor=supervisor, case_ids=[claimed.pk, waiting.pk], assignee_id=second_officer.pk
    )

    assert [c.pk for c in cases] == sorted([claimed.pk, waiting.pk])
    for case in (claimed, waiting):
        case.refresh_from_db()
        assert (case.assignee, case.status) == (second_officer, CaseStatus.ASSIGNED)
        assert case.events.get().kind == CaseEventKind.ASSIGNED
        assert case.history.latest().history_user == supervisor
    assert AuditEntry.objects.filter(action="case.reassigned").count() == 2


def test_a_supervisor_returns_a_case_to_the_queue(supervisor, officer):
    case = CaseFactory(status=CaseStatus.IN_REVIEW, assignee=officer)
    case_reassign(actor=supervisor, case_ids=[case.pk], assignee_id=None)
    case.refresh_from_db()
    assert (case.status, case.assignee) == (CaseStatus.NEW, None)
    assert case.events.get().kind == CaseEventKind.RELEASED


def test_an_officer_cannot_reassign(officer, second_officer):
    case = CaseFactory()
    with pytest.raises(PermissionDenied):
        case_reassign(actor=officer, case_ids=[case.pk], assignee_id=second_officer.pk)


def test_reassigning_to_an_auditor_or_a_closed_case_changes_nothing(supervisor, auditor, officer):
    open_case = CaseFactory()
    closed = CaseFactory(status=CaseStatus.CLOSED)
    with pytest.raises(ValidationError):
        case_reassign(actor=supervisor, case_ids=[open_case.pk], assignee_id=auditor.pk)
    with pytest.raises(Conflict):
        case_reassign(actor=supervisor, case_ids=[open_case.pk, closed.pk], assignee_id=officer.pk)
    open_case.refresh_from_db()
    assert open_case.assignee is None
    assert open_case.version == 1
    assert not AuditEntry.objects.filter(action="case.reassigned").exists()
