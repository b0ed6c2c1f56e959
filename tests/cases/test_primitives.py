from __future__ import annotations

import pytest
from django.db import transaction
from django.http import Http404

from cases.models import CaseEventKind
from cases.selectors.detail import case_for_user
from cases.services.primitives import case_bump, case_ensure_version, case_event_record, case_lock
from portal.errors import Conflict
from portal.permissions import SystemActor
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db


def test_a_bump_raises_the_version_and_records_who_and_why(officer):
    case = CaseFactory()
    with transaction.atomic():
        locked = case_lock(case_id=case.pk)
        locked.priority = 1
        case_bump(case=locked, actor=officer, reason="case.attached", fields=["priority"])
    case.refresh_from_db()
    assert (case.version, case.priority) == (2, 1)
    assert case.last_touched_at is not None
    latest = case.history.latest()
    assert latest.history_user == officer
    assert latest.history_change_reason == "case.attached"


def test_a_system_bump_leaves_last_touched_alone():
    case = CaseFactory()
    case_bump(case=case, actor=SystemActor("sla"), reason="case.sla_breached", fields=[])
    case.refresh_from_db()
    assert case.last_touched_at is None
    assert case.history.latest().history_change_reason == "case.sla_breached by system:sla"


def test_an_event_names_its_actor(officer):
    case = CaseFactory()
    event = case_event_record(case=case, kind=CaseEventKind.NOTE, actor=officer, data={"note": 1})
    assert (event.actor, event.actor_label, event.data) == (officer, "officer", {"note": 1})
    system = case_event_record(case=case, kind=CaseEventKind.RELEASED, actor=SystemActor("x"))
    assert (system.actor, system.actor_label) == (None, "system:x")


def test_a_stale_version_is_a_conflict():
    case = CaseFactory()
    case_ensure_version(case=case, version=1)
    with pytest.raises(Conflict):
        case_ensure_version(case=case, version=0)


def test_staff_without_case_permission_get_404(officer, auditor, privacy_officer):
    case = CaseFactory()
    assert case_for_user(officer, case.pk) == case
    assert case_for_user(auditor, case.pk) == case
    with pytest.raises(Http404):
        case_for_user(privacy_officer, case.pk)
    with pytest.raises(Http404):
        case_for_user(officer, case.pk + 1000)


def test_roles_hold_the_case_permissions(officer, supervisor, auditor):
    assert officer.has_perm("cases.add_decision")
    assert not officer.has_perm("cases.change_decision")
    assert supervisor.has_perm("cases.change_decision")
    assert auditor.has_perm("cases.view_decision")
    assert not auditor.has_perm("cases.change_case")
    assert not supervisor.has_perm("cases.delete_case")
