"""Retention: what each policy removes, what it keeps, dry runs that change nothing, and
every run recorded and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from cases.models import Case, CaseStatus, Note
from cases.personal_data import NOTE_PLACEHOLDER
from compliance.models import RetentionPolicy, RetentionRun
from compliance.privacy.erasure import legal_hold_place
from compliance.privacy.retention import retention_policy_update, retention_run
from compliance.tasks import retention_run_scheduled
from intake.models import Feedback, FeedbackKind, FeedbackStatus
from portal.permissions import SystemActor
from scoring.customers.access import AccessSource, PersonalDataAccess
from scoring.models import CreditLine, CreditLineState, Customer
from tests.factories.cases import CaseFactory
from tests.factories.scoring import CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("retention_test")
LONG_AGO = timedelta(days=6 * 365)


@dataclass
class World:
    quiet: Customer
    active_line: Customer
    open_case: Customer
    held: Customer
    recent: Customer
    old_feedback: Feedback
    new_feedback: Feedback
    old_note: Note
    open_note: Note
    old_access: PersonalDataAccess
    young_access: PersonalDataAccess


def _old_customer(*, state: str = CreditLineState.CLOSED) -> Customer:
    then = timezone.now() - LONG_AGO
    customer = CustomerFactory(created_at=then)
    line = CreditLineFactory(customer=customer, state=state)
    CreditLine.objects.filter(pk=line.pk).update(updated_at=then, opened_at=then)
    return customer


def _feedback(reference: str, customer: Customer, days_ago: int) -> Feedback:
    return Feedback.objects.create(
        reference=reference,
        kind=FeedbackKind.OTHER,
        name="客户本人",
        phone="13911112222",
        description="我的额度不能用",
        consent_version="2026.1",
        consent_at=timezone.now(),
        customer=customer,
        status=FeedbackStatus.CLOSED,
        received_at=timezone.now() - timedelta(days=days_ago),
    )


def _closed_case(customer: Customer, *, days_ago: int) -> Case:
    then = timezone.now() - timedelta(days=days_ago)
    line = CreditLine.objects.filter(customer=customer).first()
    case = CaseFactory(customer=customer, credit_line=line, status=CaseStatus.CLOSED)
    Case.objects.filter(pk=case.pk).update(closed_at=then, updated_at=then, opened_at=then)
    return case


@pytest.fixture
def world(officer: User, privacy_officer: User) -> World:
    quiet = _old_customer()
    active_line = _old_customer(state=CreditLineState.ACTIVE)
    open_case = _old_customer()
    CaseFactory(customer=open_case, credit_line=open_case.credit_lines.get())
    held = _old_customer()
    legal_hold_place(actor=privacy_officer, customer_id=held.pk, reason="Litigation")
    recent = CustomerFactory()

    old_case = _closed_case(quiet, days_ago=6 * 365)
    old_note = Note.objects.create(case=old_case, author=officer, body="Customer called twice.")
    open_note = Note.objects.create(
        case=Case.objects.get(customer=open_case), author=officer, body="Waiting for documents."
    )
    old_access = PersonalDataAccess.objects.create(
        actor=officer,
        actor_label="officer",
        customer=recent,
        fields=["phone"],
        purpose="case work",
        source=AccessSource.PAGE,
        at=timezone.now() - timedelta(days=200),
    )
    young_access = PersonalDataAccess.objects.create(
        actor=officer,
        actor_label="officer",
        customer=recent,
        fields=["phone"],
        purpose="case work",
        source=AccessSource.PAGE,
        at=timezone.now() - timedelta(days=100),
    )
    # The access log's policy asks for 30 days; the six-month floor wins.
    RetentionPolicy.objects.filter(record_type="personal_data_access").update(keep_days=30)
    return World(
        quiet=quiet,
        active_line=active_line,
        open_case=open_case,
        held=held,
        recent=recent,
        old_feedback=_feedback("FB-OLD", recent, days_ago=4 * 365),
        new_feedback=_feedback("FB-NEW", recent, days_ago=10),
        old_note=old_note,
        open_note=open_note,
        old_access=old_access,
        young_access=young_access,
    )


def _report(run: RetentionRun) -> dict[str, dict]:
    return {entry["record_type"]: entry for entry in run.report["policies"]}


def test_a_dry_run_reports_what_would_change_and_changes_nothing(world: World) -> None:
    run = retention_run(actor=SYSTEM, dry_run=True)

    report = _report(run)
    assert report["customer_personal_data"]["found"] == 2  # the quiet one and the held one
    assert report["customer_personal_data"]["changed"] == 1
    assert report["customer_personal_data"]["held"] == 1
    assert report["feedback_text"]["found"] == 1
    assert report["case_notes"]["found"] == 1
    assert report["personal_data_access"]["found"] == 1
    assert all(
        entry["changed"] == 0 for name, entry in report.items() if name != "customer_personal_data"
    )
    world.quiet.refresh_from_db()
    assert world.quiet.phone is not None
    assert not AuditEntry.objects.filter(action="customer.erased").exists()
    world.old_feedback.refresh_from_db()
    assert world.old_feedback.description == "我的额度不能用"
    world.old_note.refresh_from_db()
    assert world.old_note.body == "Customer called twice."
    assert PersonalDataAccess.objects.count() == 2
    assert run.dry_run is True
    assert run.finished_at is not None


def test_a_real_run_applies_each_policy_and_keeps_what_must_be_kept(world: World) -> None:
    run = retention_run(actor=SYSTEM, dry_run=False)

    report = _report(run)
    assert report["customer_personal_data"]["changed"] == 1
    quiet = Customer.objects.get(pk=world.quiet.pk)
    assert quiet.phone is None
    assert quiet.name.startswith("ERASED-")
    for kept in (world.active_line, world.open_case, world.held, world.recent):
        assert Customer.objects.get(pk=kept.pk).phone is not None
    world.old_feedback.refresh_from_db()
    world.new_feedback.refresh_from_db()
    assert world.old_feedback.description is None
    assert world.old_feedback.phone is None
    assert world.new_feedback.description == "我的额度不能用"
    world.old_note.refresh_from_db()
    world.open_note.refresh_from_db()
    assert world.old_note.body == NOTE_PLACEHOLDER
    assert world.open_note.body == "Waiting for documents."
    assert set(world.old_note.history.values_list("body", flat=True)) == {NOTE_PLACEHOLDER}
    assert list(PersonalDataAccess.objects.values_list("pk", flat=True)) == [world.young_access.pk]


def test_every_run_is_recorded_and_audited_with_counts_only(world: World) -> None:
    dry = retention_run(actor=SYSTEM, dry_run=True)
    real = retention_run(actor=SYSTEM, dry_run=False)
    again = retention_run(actor=SYSTEM, dry_run=False)

    entries = list(AuditEntry.objects.filter(action="retention.run").order_by("id"))
    assert [e.target_id for e in entries] == [str(dry.pk), str(real.pk), str(again.pk)]
    assert [e.data["dry_run"] for e in entries] == [True, False, False]
    assert entries[0].actor_label == "system:retention_test"
    assert _report(again)["customer_personal_data"]["changed"] == 0  # nothing left to do
    assert _report(again)["feedback_text"]["found"] == 0
    assert AuditEntry.objects.filter(action="customer.erased").count() == 1


def test_a_disabled_policy_is_reported_and_not_applied(world: World) -> None:
    RetentionPolicy.objects.filter(record_type="case_notes").update(enabled=False)

    run = retention_run(actor=SYSTEM, dry_run=False)

    assert _report(run)["case_notes"] == {
        "record_type": "case_notes",
        "keep_days": 5 * 365,
        "enabled": False,
    }
    world.old_note.refresh_from_db()
    assert world.old_note.body == "Customer called twice."


def test_the_command_runs_dry_and_prints_the_report(world: World) -> None:
    out = StringIO()

    call_command("retention_run", "--dry-run", stdout=out)

    assert "dry run" in out.getvalue()
    assert "customer_personal_data: keep 1825 days, found 2, changed 1, on legal hold 1" in (
        out.getvalue()
    )
    assert RetentionRun.objects.get().actor_label == "system:retention_run"
    assert Customer.objects.get(pk=world.quiet.pk).phone is not None


def test_the_scheduled_task_applies_the_policies(world: World) -> None:
    retention_run_scheduled.delay()

    run = RetentionRun.objects.get()
    assert run.dry_run is False
    assert run.actor_label == "system:retention_run_scheduled"
    assert Customer.objects.get(pk=world.quiet.pk).phone is None


def test_only_privacy_officers_run_or_change_retention(
    officer: User, auditor: User, privacy_officer: User
) -> None:
    policy = RetentionPolicy.objects.get(record_type="feedback_text")
    for user in (officer, auditor):
        with pytest.raises(PermissionDenied):
            retention_run(actor=user, dry_run=True)
        with pytest.raises(PermissionDenied):
            retention_policy_update(actor=user, policy_id=policy.pk, keep_days=10, enabled=True)

    run = retention_run(actor=privacy_officer, dry_run=True)

    assert run.actor_label == "privacy"
    assert RetentionRun.objects.count() == 1


def test_a_policy_change_is_kept_in_history_and_audited(privacy_officer: User) -> None:
    policy = RetentionPolicy.objects.get(record_type="feedback_text")

    retention_policy_update(
        actor=privacy_officer, policy_id=policy.pk, keep_days=700, enabled=False
    )

    policy.refresh_from_db()
    assert (policy.keep_days, policy.enabled) == (700, False)
    assert policy.history.first().history_user == privacy_officer
    entry = AuditEntry.objects.get(action="retention_policy.changed")
    assert entry.data["before"]["keep_days"] == 3 * 365
    assert entry.data["after"] == {"keep_days": 700, "enabled": False}


def test_the_access_log_policy_cannot_go_below_six_months(privacy_officer: User) -> None:
    policy = RetentionPolicy.objects.get(record_type="personal_data_access")

    with pytest.raises(ValidationError) as refused:
        retention_policy_update(
            actor=privacy_officer, policy_id=policy.pk, keep_days=90, enabled=True
        )

    assert "keep_days" in refused.value.message_dict
