"""Erasure: a customer's name, number and ID number leave every table, live and history,
while decisions, assessments and the audit chain stay; legal holds stop it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from audit.verify import verify_chain
from cases.models import (
    Case,
    CaseCategory,
    CaseSource,
    Decision,
    DecisionKind,
    DecisionReason,
    DecisionState,
    Note,
)
from cases.services.opening import case_open_or_attach
from compliance.models import DataSubjectRequest, LegalHold, RequestKind
from compliance.privacy.erasure import (
    customer_erase,
    legal_hold_place,
    legal_hold_release,
    pseudonym_for,
)
from compliance.privacy.services import privacy_request_create, privacy_request_fulfil
from intake.models import Feedback, FeedbackKind, FeedbackStatus
from portal.errors import Conflict
from portal.permissions import SystemActor
from portal.pii.crypto import DecryptionError, decrypt, keyed_hash
from scoring.models import Assessment, Block, BlockSource, Customer
from tests.factories.scoring import CreditLineFactory, CustomerFactory, make_assessment

pytestmark = pytest.mark.django_db

NAME = "欧阳娜娜"
PHONE = "13912345678"
NATIONAL_ID = "11010119900307123X"
FERNET_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_\-=]+")


@dataclass
class Person:
    customer: Customer
    case: Case
    feedback: Feedback
    stray_feedback: Feedback
    decision: Decision
    note: Note


def _text_columns(model: type[models.Model]) -> list[str]:
    return [
        field.column
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
    ]


def personal_leaks(values: list[str], hashes: list[str]) -> list[str]:
    """Every (table, column) of every model, live and history, that still holds one of
    ``values`` in plain text, in a Fernet token that decrypts to it, or one of ``hashes``.

    The columns are read with raw SQL, so what is checked is what the database stores."""
    leaks: list[str] = []
    seen: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.proxy or not model._meta.managed or table in seen:
            continue
        seen.add(table)
        for column in _text_columns(model):
            with connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT CAST("{column}" AS TEXT) FROM "{table}" WHERE "{column}" IS NOT NULL'
                )
                rows = [row[0] for row in cursor.fetchall()]
            for raw in rows:
                texts = [raw]
                for token in FERNET_TOKEN.findall(raw):
                    try:
                        texts.append(decrypt(token))
                    except DecryptionError:
                        continue
                for text in texts:
                    if any(v in text for v in values) or any(h in text for h in hashes):
                        leaks.append(f"{table}.{column}")
                        break
    return sorted(set(leaks))


@pytest.fixture
def person(officer: User, supervisor: User) -> Person:
    """A customer with history, a blocked line, an assessment, a case with a note and a
    decision, their own feedback and a submission from their number never matched to them."""
    customer = CustomerFactory(name="欧阳娜", phone=PHONE, national_id=NATIONAL_ID)
    customer.name = NAME  # a second version, so there is more than one history row
    customer.save()
    line = CreditLineFactory(customer=customer, granted_limit=Decimal("5000"))
    Block.objects.create(
        credit_line=line,
        reason_code="DEVICE_ANOMALY",
        source=BlockSource.OFFICER,
        raised_by_label="officer",
        note=f"Called {PHONE}, new phone confirmed",
    )
    make_assessment(customer)
    case, _ = case_open_or_attach(
        actor=SystemActor("detection"),
        customer_id=customer.pk,
        category=CaseCategory.LIMIT_UNUSABLE,
        source=CaseSource.DETECTION,
        credit_line_id=line.pk,
    )
    note = Note(case=case, author=officer, body=f"Spoke with {NAME} (ID {NATIONAL_ID}).")
    note._history_user = officer  # type: ignore[attr-defined]
    note.save()
    decision = Decision.objects.create(
        case=case,
        kind=DecisionKind.LIFT_BLOCK,
        reason_code=DecisionReason.IDENTITY_VERIFIED,
        justification=f"{NAME} confirmed the device by phone {PHONE}.",
        state=DecisionState.APPLIED,
        proposed_by=officer,
        applied_at=timezone.now(),
    )
    now = timezone.now()
    feedback = Feedback(
        reference="FB-ERASE-1",
        kind=FeedbackKind.LIMIT_UNUSABLE,
        name=NAME,
        phone=PHONE,
        description=f"我是{NAME}，身份证{NATIONAL_ID}，额度用不了",
        consent_version="2026.1",
        consent_at=now,
        customer=customer,
        case=case,
        status=FeedbackStatus.MATCHED,
    )
    feedback.save()
    stray = Feedback(
        reference="FB-ERASE-2",
        kind=FeedbackKind.OTHER,
        name="娜娜",
        phone=PHONE,
        description="又是我",
        consent_version="2026.1",
        consent_at=now,
        status=FeedbackStatus.TRIAGE,
    )
    stray.save()
    return Person(customer, case, feedback, stray, decision, note)


def _values() -> list[str]:
    return [NAME, PHONE, NATIONAL_ID]


def _hashes() -> list[str]:
    return [
        keyed_hash(NAME, kind="name"),
        keyed_hash(PHONE, kind="phone"),
        keyed_hash(NATIONAL_ID, kind="id_number"),
    ]


def test_the_fixture_really_leaves_personal_data_in_many_tables(person: Person) -> None:
    leaks = personal_leaks(_values(), _hashes())

    assert {
        "scoring_customer.name",
        "scoring_historicalcustomer.phone_hash",
        "cases_feedback.description",
        "cases_historicalfeedback.phone",
        "cases_note.body",
        "cases_decision.justification",
        "scoring_block.note",
    } <= set(leaks)


def test_after_erasure_no_table_holds_the_values_their_tokens_or_their_hashes(
    person: Person, privacy_officer: User
) -> None:
    report = customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    assert personal_leaks(_values(), _hashes()) == []
    assert report.pseudonym == pseudonym_for(person.customer.pk)
    assert report.rows["scoring"] >= 3  # the live row and at least two history rows


def test_erasure_keeps_decisions_assessments_and_an_intact_audit_chain(
    person: Person, privacy_officer: User
) -> None:
    customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    person.decision.refresh_from_db()
    assert person.decision.state == DecisionState.APPLIED
    assert "[erased]" in person.decision.justification
    assert Assessment.objects.filter(customer=person.customer).count() == 1
    assert Case.objects.filter(pk=person.case.pk).exists()
    assert verify_chain().ok
    call_command("audit_verify")  # exits 1 when broken


def test_the_customer_keeps_only_a_pseudonym_and_the_erasure_is_audited_with_counts(
    person: Person, privacy_officer: User
) -> None:
    customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    customer = Customer.objects.get(pk=person.customer.pk)
    assert customer.name.startswith("ERASED-")
    assert customer.phone is None
    assert customer.national_id is None
    assert customer.phone_hash == ""
    assert customer.national_id_hash == ""
    latest = customer.history.first()
    assert latest.history_user == privacy_officer
    assert latest.history_change_reason == "customer.erased"
    entry = AuditEntry.objects.filter(action="customer.erased").get()
    assert entry.target_id == str(customer.pk)
    assert entry.actor == privacy_officer
    assert set(entry.data) == {"request", "rows"}
    assert all(isinstance(n, int) for n in entry.data["rows"].values())


def test_feedback_is_scrubbed_including_a_submission_from_the_same_number(
    person: Person, privacy_officer: User
) -> None:
    customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    for feedback in (person.feedback, person.stray_feedback):
        feedback.refresh_from_db()
        assert feedback.name is None
        assert feedback.phone is None
        assert feedback.description is None
        assert feedback.phone_hash == ""
        assert feedback.history.first().history_change_reason == "feedback.erased"


def test_erasing_twice_gives_the_same_pseudonym_and_leaks_nothing(
    person: Person, privacy_officer: User
) -> None:
    first = customer_erase(actor=privacy_officer, customer_id=person.customer.pk)
    second = customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    assert first.pseudonym == second.pseudonym
    assert personal_leaks(_values(), _hashes()) == []


# --- legal holds ------------------------------------------------------------------------------


def test_a_legal_hold_on_the_customer_refuses_erasure_and_changes_nothing(
    person: Person, privacy_officer: User
) -> None:
    hold = legal_hold_place(
        actor=privacy_officer, customer_id=person.customer.pk, reason="Court order 2026-118"
    )
    audit_before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as refused:
        customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    assert f"#{hold.pk}" in refused.value.messages[0]
    assert "legal hold" in refused.value.messages[0]
    assert AuditEntry.objects.count() == audit_before
    customer = Customer.objects.get(pk=person.customer.pk)
    assert customer.phone == PHONE
    assert customer.name == NAME


def test_a_legal_hold_on_one_of_their_cases_refuses_erasure_too(
    person: Person, privacy_officer: User
) -> None:
    legal_hold_place(actor=privacy_officer, case_id=person.case.pk, reason="Complaint to regulator")

    with pytest.raises(ValidationError, match="legal hold"):
        customer_erase(actor=privacy_officer, customer_id=person.customer.pk)
    assert Customer.objects.get(pk=person.customer.pk).national_id == NATIONAL_ID


def test_a_delete_request_under_legal_hold_stays_open_with_a_clear_reason(
    person: Person, privacy_officer: User
) -> None:
    legal_hold_place(actor=privacy_officer, customer_id=person.customer.pk, reason="Litigation")
    request = privacy_request_create(
        actor=privacy_officer,
        customer_id=person.customer.pk,
        kind=RequestKind.DELETE,
        channel="email",
    )

    with pytest.raises(ValidationError, match="legal hold"):
        privacy_request_fulfil(actor=privacy_officer, request_id=request.pk, version=1)

    request.refresh_from_db()
    assert request.status == "open"
    assert request.version == 1
    assert Customer.objects.get(pk=person.customer.pk).phone == PHONE


def test_after_the_hold_is_released_erasure_goes_ahead(
    person: Person, privacy_officer: User
) -> None:
    hold = legal_hold_place(
        actor=privacy_officer, customer_id=person.customer.pk, reason="Litigation"
    )
    released = legal_hold_release(actor=privacy_officer, hold_id=hold.pk, reason="Case settled")

    customer_erase(actor=privacy_officer, customer_id=person.customer.pk)

    assert released.released_by == privacy_officer
    assert released.history.first().history_change_reason == "legal_hold.released"
    assert AuditEntry.objects.filter(action="legal_hold.released").count() == 1
    assert personal_leaks(_values(), _hashes()) == []


def test_a_hold_needs_a_reason_and_exactly_one_subject(
    person: Person, privacy_officer: User
) -> None:
    with pytest.raises(ValidationError) as no_reason:
        legal_hold_place(actor=privacy_officer, customer_id=person.customer.pk, reason=" ")
    with pytest.raises(ValidationError):
        legal_hold_place(actor=privacy_officer, reason="Why")
    with pytest.raises(ValidationError) as no_case:
        legal_hold_place(actor=privacy_officer, case_id=999_999, reason="Why")

    assert "reason" in no_reason.value.message_dict
    assert "case" in no_case.value.message_dict
    assert not LegalHold.objects.exists()


def test_releasing_a_released_hold_is_a_conflict(person: Person, privacy_officer: User) -> None:
    hold = legal_hold_place(actor=privacy_officer, customer_id=person.customer.pk, reason="x")
    legal_hold_release(actor=privacy_officer, hold_id=hold.pk, reason="done")

    with pytest.raises(Conflict):
        legal_hold_release(actor=privacy_officer, hold_id=hold.pk, reason="again")


def test_officers_and_auditors_may_not_erase_or_place_holds(
    person: Person, officer: User, auditor: User
) -> None:
    for user in (officer, auditor):
        with pytest.raises(PermissionDenied):
            customer_erase(actor=user, customer_id=person.customer.pk)
        with pytest.raises(PermissionDenied):
            legal_hold_place(actor=user, customer_id=person.customer.pk, reason="x")
    assert Customer.objects.get(pk=person.customer.pk).phone == PHONE


def test_a_fulfilled_delete_request_erases_and_says_so_in_its_result(
    person: Person, privacy_officer: User
) -> None:
    request = privacy_request_create(
        actor=privacy_officer,
        customer_id=person.customer.pk,
        kind=RequestKind.DELETE,
        channel="letter",
        received_at=timezone.now() - timedelta(days=2),
    )

    privacy_request_fulfil(
        actor=privacy_officer,
        request_id=request.pk,
        version=request.version,
        outcome=f"Erased; confirmation sent to {PHONE}",
    )

    request = DataSubjectRequest.objects.get(pk=request.pk)
    assert request.status == "fulfilled"
    assert request.result["erased"] is True
    assert AuditEntry.objects.get(action="customer.erased").data["request"] == request.pk
    # Even a value the privacy officer typed into the outcome is taken out.
    assert personal_leaks(_values(), _hashes()) == []
