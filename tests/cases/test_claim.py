from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEntry
from cases.models import Case, CaseCategory, CaseEventKind, CaseStatus
from cases.services.claiming import case_claim_next
from portal.errors import Conflict
from scoring.models import Customer
from tests.backends import takes_branch
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory


@pytest.mark.django_db
def test_an_officer_gets_the_most_urgent_then_earliest_due_case(officer):
    now = timezone.now()
    CaseFactory(priority=3, sla_due_at=now + timedelta(hours=1))
    later = CaseFactory(priority=2, sla_due_at=now + timedelta(hours=9))
    sooner = CaseFactory(priority=2, sla_due_at=now + timedelta(hours=5))
    CaseFactory(priority=1, status=CaseStatus.ASSIGNED, assignee=officer)

    claimed = case_claim_next(actor=officer)

    assert claimed.pk == sooner.pk
    claimed.refresh_from_db()
    assert (claimed.status, claimed.assignee, claimed.version) == (CaseStatus.ASSIGNED, officer, 2)
    assert claimed.assigned_at is not None
    assert claimed.last_touched_at is not None
    assert claimed.events.get().kind == CaseEventKind.ASSIGNED
    assert AuditEntry.objects.get(action="case.claimed").target_id == str(claimed.pk)
    assert claimed.history.latest().history_user == officer
    assert case_claim_next(actor=officer).pk == later.pk


@pytest.mark.django_db
def test_claiming_from_an_empty_queue_gives_nothing(officer):
    assert case_claim_next(actor=officer) is None
    assert not AuditEntry.objects.filter(action="case.claimed").exists()


@pytest.mark.django_db
def test_an_officer_at_the_wip_limit_is_told_so(officer, settings):
    settings.CASES_WIP_LIMIT = 2
    CaseFactory.create_batch(2, status=CaseStatus.ASSIGNED, assignee=officer)
    waiting = CaseFactory()
    with pytest.raises(Conflict, match="limit of 2"):
        case_claim_next(actor=officer)
    waiting.refresh_from_db()
    assert waiting.assignee is None


@pytest.mark.django_db
def test_an_auditor_cannot_claim(auditor):
    from django.core.exceptions import PermissionDenied

    CaseFactory()
    with pytest.raises(PermissionDenied):
        case_claim_next(actor=auditor)


@pytest.mark.django_db(transaction=True)
def test_32_officers_claiming_at_once_never_get_the_same_case(settings):
    settings.CASES_WIP_LIMIT = 10_000
    n_cases, n_threads = 2000, 32
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"BULK-{i:06d}") for i in range(n_cases)
    )
    due = timezone.now() + timedelta(hours=24)
    Case.objects.bulk_create(
        Case(
            customer=customer,
            category=CaseCategory.LIMIT_UNUSABLE,
            source="detection",
            priority=1 + i % 4,
            sla_due_at=due + timedelta(seconds=i % 97),
        )
        for i, customer in enumerate(customers)
    )
    officers = [
        UserFactory(username=f"claimer{i}", roles=[Role.RISK_OFFICER]) for i in range(n_threads)
    ]
    barrier = threading.Barrier(n_threads)
    claimed: list[list[int]] = [[] for _ in range(n_threads)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            while (case := case_claim_next(actor=officers[index])) is not None:
                claimed[index].append(case.pk)
        except BaseException as exc:  # noqa: BLE001  (a thread's error, re-raised in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    every_claim = [pk for ids in claimed for pk in ids]
    assert len(every_claim) == n_cases
    assert len(set(every_claim)) == n_cases
    assert sum(1 for ids in claimed if ids) > 1  # really concurrent, not one thread doing all
    assert not Case.objects.filter(assignee__isnull=True).exists()
    assert AuditEntry.objects.filter(action="case.claimed").count() == n_cases


def _assert_the_claim_wrote_its_rows(claimed: Case, officer: User) -> None:
    """The case, its history row, its timeline event and its audit entry, as the ORM writes
    them: the fast path must write the very same rows."""
    claimed.refresh_from_db()
    version = claimed.history.latest()
    assert (version.history_type, version.history_change_reason) == ("~", "case.claimed")
    assert version.history_user == officer
    for field in ("status", "assignee_id", "assigned_at", "version", "priority", "sla_due_at"):
        assert getattr(version, field) == getattr(claimed, field)
    event = claimed.events.get()
    assert (event.kind, event.actor, event.data) == (
        CaseEventKind.ASSIGNED,
        officer,
        {"assignee": officer.pk},
    )
    entry = AuditEntry.objects.get(action="case.claimed", target_id=str(claimed.pk))
    assert entry.data == {"assignee": officer.pk, "priority": claimed.priority}


# PostgreSQL only: the bound is the fast path's (one CTE statement for the claim); the
# portable path sends one statement per row it writes, which the next test covers.
@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_claim_is_three_statements_and_writes_the_same_rows(
    officer, django_assert_max_num_queries
):
    CaseFactory.create_batch(2)
    case_claim_next(actor=officer)  # warm up: the officer's permissions are cached

    # Officer lock; the claim with its history row and event; the audit append. (Plus the
    # savepoint and its release: the test itself runs in a transaction.)
    with django_assert_max_num_queries(3 + 2):
        claimed = case_claim_next(actor=officer)

    assert claimed is not None
    _assert_the_claim_wrote_its_rows(claimed, officer)


@pytest.mark.django_db
def test_a_claim_takes_its_databases_path_and_writes_the_same_rows(officer):
    CaseFactory.create_batch(2)

    # PostgreSQL: the one-statement claim; elsewhere (SQLite, `make run`): the ORM's save.
    with takes_branch(postgresql="FOR UPDATE SKIP LOCKED", portable='UPDATE "cases_case" SET'):
        claimed = case_claim_next(actor=officer)

    assert claimed is not None
    assert (claimed.status, claimed.assignee_id, claimed.version) == (
        CaseStatus.ASSIGNED,
        officer.pk,
        2,
    )
    _assert_the_claim_wrote_its_rows(claimed, officer)
    second = case_claim_next(actor=officer)
    assert second is not None
    assert second.pk != claimed.pk
    assert case_claim_next(actor=officer) is None


@pytest.mark.django_db(transaction=True)
def test_two_tabs_of_one_officer_cannot_pass_the_wip_limit_together(settings):
    settings.CASES_WIP_LIMIT = 1
    officer = UserFactory(username="two-tabs", roles=[Role.RISK_OFFICER])
    CaseFactory.create_batch(4)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def work() -> None:
        try:
            barrier.wait()
            outcomes.append("claimed" if case_claim_next(actor=officer) else "empty")
        except Conflict:
            outcomes.append("limit")
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["claimed", "limit", "limit", "limit"]
    assert Case.objects.filter(assignee=officer).count() == 1


@pytest.mark.django_db
def test_the_claimed_case_is_built_as_a_queryset_would_build_it(officer, monkeypatch):
    from cases.services import claim_pg

    case = CaseFactory(reason_code="VELOCITY")
    # A field converter (an encrypted or custom field added later, say) must apply to the
    # raw claim's row too.
    field = Case._meta.get_field("reason_code")
    monkeypatch.setattr(field, "from_db_value", lambda value, *args: f"<{value}>", raising=False)
    claim_pg.case_converters.cache_clear()
    try:
        claimed = case_claim_next(actor=officer)
        fetched = Case.objects.get(pk=case.pk)
    finally:
        claim_pg.case_converters.cache_clear()

    assert claimed.reason_code == fetched.reason_code == "<VELOCITY>"
    for field in Case._meta.concrete_fields:
        assert getattr(claimed, field.attname) == getattr(fetched, field.attname), field.name
