"""Data-subject requests through the services: recording, each kind fulfilled, refusals and
the errors a privacy officer can run into."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from cases.models import Case, CaseCategory, CaseEvent, CaseSource
from compliance.models import DataSubjectRequest, RequestKind, RequestStatus
from compliance.privacy.services import (
    privacy_request_create,
    privacy_request_export,
    privacy_request_fulfil,
    privacy_request_refuse,
    request_deadline_state,
)
from intake.models import Feedback, FeedbackKind
from portal.errors import Conflict
from scoring.assessments import services as jobs
from scoring.assessments.errors import AssessmentRefused
from scoring.customers.access import AccessSource, PersonalDataAccess
from scoring.models import Assessment, AssessmentStatus, AssessmentTrigger, Customer
from tests.factories.scoring import (
    BlockFactory,
    CreditLineFactory,
    CustomerFactory,
    make_assessment,
)

pytestmark = pytest.mark.django_db

NAME = "司马相如"
PHONE = "13800138000"
NATIONAL_ID = "310104198805061234"


@pytest.fixture
def customer() -> Customer:
    customer = CustomerFactory(name=NAME, phone=PHONE, national_id=NATIONAL_ID, city="上海")
    line = CreditLineFactory(customer=customer, granted_limit=Decimal("8000"))
    BlockFactory(credit_line=line)
    return customer


def _open(actor: User, customer: Customer, kind: str, **kwargs: object) -> DataSubjectRequest:
    return privacy_request_create(
        actor=actor, customer_id=customer.pk, kind=kind, channel="email", **kwargs
    )


def _fulfil(actor: User, request: DataSubjectRequest, **kwargs: object) -> DataSubjectRequest:
    return privacy_request_fulfil(
        actor=actor, request_id=request.pk, version=request.version, **kwargs
    )


# --- recording ----------------------------------------------------------------------------------


def test_a_recorded_request_is_due_after_the_configured_days_with_history_and_audit(
    privacy_officer: User, customer: Customer
) -> None:
    received = timezone.now() - timedelta(days=1)

    request = _open(privacy_officer, customer, RequestKind.ACCESS, received_at=received)

    assert request.due_at == received + timedelta(days=settings.PRIVACY_REQUEST_DUE_DAYS)
    assert request.status == RequestStatus.OPEN
    version = request.history.get()
    assert version.history_user == privacy_officer
    assert version.history_change_reason == "privacy_request.created"
    entry = AuditEntry.objects.get(action="privacy_request.created")
    assert entry.target_id == str(request.pk)
    assert entry.data["kind"] == "access"


def test_a_request_for_an_unknown_customer_is_refused_and_nothing_is_created(
    privacy_officer: User,
) -> None:
    with pytest.raises(ValidationError) as refused:
        privacy_request_create(
            actor=privacy_officer, customer_id=999_999, kind="access", channel="phone"
        )

    assert refused.value.message_dict["customer"] == ["No such customer."]
    assert not DataSubjectRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="privacy_request.created").exists()


def test_an_unknown_kind_or_a_receipt_in_the_future_is_refused(
    privacy_officer: User, customer: Customer
) -> None:
    with pytest.raises(ValidationError) as refused:
        privacy_request_create(
            actor=privacy_officer,
            customer_id=customer.pk,
            kind="forget_me",
            channel="phone",
            received_at=timezone.now() + timedelta(days=1),
        )

    assert set(refused.value.message_dict) == {"kind", "received_at"}
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "auditor", "supervisor"])
def test_only_privacy_officers_record_requests(
    persona: str, customer: Customer, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        _open(user, customer, RequestKind.ACCESS)
    assert not DataSubjectRequest.objects.exists()


def test_overdue_and_due_soon_are_told_apart(privacy_officer: User, customer: Customer) -> None:
    now = timezone.now()
    overdue = _open(privacy_officer, customer, "access", received_at=now - timedelta(days=16))
    soon = _open(privacy_officer, customer, "copy", received_at=now - timedelta(days=13))
    fresh = _open(privacy_officer, customer, "explain")

    assert request_deadline_state(overdue) == "overdue"
    assert request_deadline_state(soon) == "due_soon"
    assert request_deadline_state(fresh) == ""


# --- access and copy ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [RequestKind.ACCESS, RequestKind.COPY])
def test_fulfilling_access_and_copy_counts_the_export_but_logs_no_access(
    kind: str, privacy_officer: User, customer: Customer
) -> None:
    make_assessment(customer)
    request = _open(privacy_officer, customer, kind)

    fulfilled = _fulfil(privacy_officer, request, outcome="Sent by secure mail")

    assert fulfilled.status == RequestStatus.FULFILLED
    assert fulfilled.closed_by == privacy_officer
    assert fulfilled.result["export"]["credit_lines"] == 1
    assert fulfilled.result["export"]["assessments"] == 1
    assert NAME not in json.dumps(fulfilled.result, ensure_ascii=False)
    assert AuditEntry.objects.get(action="privacy_request.fulfilled").data["kind"] == kind
    # Counting sections shows nobody any value: no access row, no export audit entry.
    assert not PersonalDataAccess.objects.exists()
    assert not AuditEntry.objects.filter(action="privacy_request.export_downloaded").exists()


@pytest.mark.parametrize("kind", [RequestKind.ACCESS, RequestKind.COPY])
def test_each_download_of_an_export_is_one_logged_reveal_with_one_audit_entry(
    kind: str, privacy_officer: User, customer: Customer
) -> None:
    request = _fulfil(privacy_officer, _open(privacy_officer, customer, kind))

    privacy_request_export(actor=privacy_officer, request_id=request.pk, ip_address="10.0.0.8")
    privacy_request_export(actor=privacy_officer, request_id=request.pk, ip_address="10.0.0.9")

    first, second = PersonalDataAccess.objects.order_by("id")
    assert (first.ip_address, second.ip_address) == ("10.0.0.8", "10.0.0.9")
    assert first.source == AccessSource.PRIVACY_REQUEST
    assert first.customer_id == customer.pk
    assert first.actor == privacy_officer
    assert first.fields == ["name", "phone", "national_id"]
    assert f"#{request.pk}" in first.purpose
    entries = list(
        AuditEntry.objects.filter(action="privacy_request.export_downloaded").order_by("id")
    )
    assert len(entries) == 2
    assert (entries[0].target_type, entries[0].target_id) == ("scoring.customer", str(customer.pk))
    assert entries[0].actor == privacy_officer
    assert entries[0].data == {
        "access": first.pk,
        "fields": ["name", "phone", "national_id"],
        "case": None,
        "source": "privacy_request",
        "purpose_code": "data_subject_request",
        "request": request.pk,
        "kind": kind,
    }
    written = json.dumps([entry.data for entry in entries], ensure_ascii=False)
    for value in (NAME, PHONE, NATIONAL_ID, first.purpose):
        assert value not in written


def test_a_download_from_a_malformed_address_is_logged_without_one(
    privacy_officer: User, customer: Customer
) -> None:
    request = _fulfil(privacy_officer, _open(privacy_officer, customer, RequestKind.ACCESS))

    privacy_request_export(
        actor=privacy_officer, request_id=request.pk, ip_address="not-an-address, 1.2.3.4"
    )

    assert PersonalDataAccess.objects.get().ip_address is None
    assert AuditEntry.objects.filter(action="privacy_request.export_downloaded").count() == 1


def test_a_request_received_before_2000_is_refused(
    privacy_officer: User, customer: Customer
) -> None:
    received = timezone.now().replace(year=1, month=1, day=1)

    with pytest.raises(ValidationError) as error:
        _open(privacy_officer, customer, RequestKind.ACCESS, received_at=received)

    assert "received_at" in error.value.message_dict
    assert not DataSubjectRequest.objects.exists()


def test_the_export_holds_profile_lines_assessments_with_explanations_decisions_and_feedback(
    privacy_officer: User, customer: Customer
) -> None:
    assessment = make_assessment(customer)
    Feedback.objects.create(
        reference="FB-EXPORT-1",
        kind=FeedbackKind.LIMIT_UNUSABLE,
        name=NAME,
        phone=PHONE,
        description="额度用不了",
        consent_version="2026.1",
        consent_at=timezone.now(),
        customer=customer,
    )
    request = _fulfil(privacy_officer, _open(privacy_officer, customer, RequestKind.COPY))

    document = privacy_request_export(actor=privacy_officer, request_id=request.pk)

    data = document["data"]
    assert data["profile"]["name"] == NAME
    assert data["profile"]["phone"] == PHONE
    assert data["profile"]["national_id"] == NATIONAL_ID
    assert data["credit_lines"][0]["blocks"][0]["reason_code"] == "DEVICE_ANOMALY"
    exported = data["assessments"][0]
    assert exported["id"] == assessment.pk
    assert f"A-{assessment.pk}" in exported["explanation"]["en"]
    assert exported["explanation"]["zh-hans"]
    assert data["decisions"] == []
    assert data["feedback"][0]["description"] == "额度用不了"
    json.dumps(document)  # plain JSON all the way down
    # Only the download is a reveal: fulfilling the request merely counted the sections.
    assert PersonalDataAccess.objects.filter(customer=customer).count() == 1


def test_an_export_cannot_be_downloaded_before_fulfilment_or_by_an_auditor(
    privacy_officer: User, auditor: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.ACCESS)

    with pytest.raises(Conflict):
        privacy_request_export(actor=privacy_officer, request_id=request.pk)
    _fulfil(privacy_officer, request)
    with pytest.raises(PermissionDenied):
        privacy_request_export(actor=auditor, request_id=request.pk)
    assert not PersonalDataAccess.objects.exists()  # neither fulfilling nor a refusal reveals


# --- correct -----------------------------------------------------------------------------------


def test_a_correction_changes_the_fields_with_history_naming_the_request(
    privacy_officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.CORRECT)

    fulfilled = _fulfil(
        privacy_officer, request, corrections={"name": "司马长卿", "city": "成都", "phone": ""}
    )

    customer.refresh_from_db()
    assert customer.name == "司马长卿"
    assert customer.city == "成都"
    assert customer.phone == PHONE  # an empty value leaves the field alone
    assert fulfilled.result == {"corrected": ["city", "name"]}
    version = customer.history.first()
    assert version.history_user == privacy_officer
    assert version.history_change_reason == f"customer.corrected: privacy request #{request.pk}"
    entry = AuditEntry.objects.get(action="customer.corrected")
    assert entry.data["fields"] == ["city", "name"]


def test_a_correction_without_values_is_refused_and_the_request_stays_open(
    privacy_officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.CORRECT)

    with pytest.raises(ValidationError) as refused:
        _fulfil(privacy_officer, request, corrections={"email": "x@example.com"})

    assert "corrections" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


# --- explain and human review -------------------------------------------------------------------


def test_explain_stores_the_customer_facing_text_of_the_latest_decision_in_both_languages(
    privacy_officer: User, customer: Customer
) -> None:
    make_assessment(customer, queued_at=timezone.now() - timedelta(days=3))
    latest = make_assessment(customer)
    request = _open(privacy_officer, customer, RequestKind.EXPLAIN)

    fulfilled = _fulfil(privacy_officer, request)

    explanation = fulfilled.result["explanation"]
    assert explanation["assessment"] == latest.pk
    assert f"A-{latest.pk}" in explanation["text"]["en"]
    assert "automated" in explanation["text"]["en"]
    assert "自动" in explanation["text"]["zh-hans"]
    stored = json.dumps(fulfilled.result, ensure_ascii=False)
    assert NAME not in stored
    assert PHONE not in stored
    entry = AuditEntry.objects.get(action="privacy_request.fulfilled")
    assert entry.data["result"] == {
        "assessment": latest.pk,
        "reason_codes": explanation["reason_codes"],
    }


def test_explain_without_a_completed_assessment_is_refused_with_a_clear_reason(
    privacy_officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.EXPLAIN)

    with pytest.raises(ValidationError, match="no completed automated assessment"):
        _fulfil(privacy_officer, request)


def test_a_human_review_opens_a_case_for_an_officer(
    privacy_officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.HUMAN_REVIEW)

    fulfilled = _fulfil(privacy_officer, request)

    case = Case.objects.get(pk=fulfilled.result["case"])
    assert case.customer_id == customer.pk
    assert case.category == CaseCategory.HUMAN_REVIEW
    assert case.source == CaseSource.PRIVACY_REQUEST
    opened = CaseEvent.objects.get(case=case, kind="opened")
    assert opened.data["privacy_request"] == request.pk
    assert AuditEntry.objects.filter(action="case.opened", target_id=str(case.pk)).exists()


# --- withdraw consent ---------------------------------------------------------------------------


def test_withdrawn_consent_refuses_new_assessments_with_the_reason(
    privacy_officer: User, officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.WITHDRAW_CONSENT)

    _fulfil(privacy_officer, request)

    customer.refresh_from_db()
    assert customer.consent_withdrawn_at is not None
    assert customer.history.first().history_user == privacy_officer
    assert AuditEntry.objects.filter(action="customer.consent_withdrawn").count() == 1
    with pytest.raises(AssessmentRefused, match="Consent withdrawn"):
        jobs.assessment_request(
            actor=officer, customer_id=customer.pk, trigger=AssessmentTrigger.OFFICER
        )
    assert not Assessment.objects.filter(customer=customer).exists()


def test_an_assessment_queued_before_the_withdrawal_fails_saying_consent_withdrawn(
    privacy_officer: User, officer: User, customer: Customer
) -> None:
    queued = jobs.assessment_request(
        actor=officer, customer_id=customer.pk, trigger=AssessmentTrigger.OFFICER
    )  # its message goes out on commit, which a test transaction never reaches
    _fulfil(privacy_officer, _open(privacy_officer, customer, RequestKind.WITHDRAW_CONSENT))

    jobs.assessment_execute(assessment_id=queued.pk)

    queued.refresh_from_db()
    assert queued.status == AssessmentStatus.FAILED
    assert "consent withdrawn" in queued.error.lower()


# --- closing twice, stale versions, refusals ----------------------------------------------------


def test_fulfilling_a_closed_request_is_a_conflict_saying_it_is_already_closed(
    privacy_officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.HUMAN_REVIEW)
    fulfilled = _fulfil(privacy_officer, request)

    with pytest.raises(Conflict, match="already closed"):
        privacy_request_fulfil(
            actor=privacy_officer, request_id=request.pk, version=fulfilled.version
        )
    with pytest.raises(Conflict, match="already closed"):
        privacy_request_refuse(
            actor=privacy_officer, request_id=request.pk, reason="x", version=fulfilled.version
        )
    assert Case.objects.count() == 1


def test_a_stale_version_is_a_conflict(privacy_officer: User, customer: Customer) -> None:
    request = _open(privacy_officer, customer, RequestKind.HUMAN_REVIEW)

    with pytest.raises(Conflict, match="changed since you opened it"):
        privacy_request_fulfil(actor=privacy_officer, request_id=request.pk, version=7)
    assert not Case.objects.exists()


def test_a_refusal_needs_a_reason(privacy_officer: User, customer: Customer) -> None:
    request = _open(privacy_officer, customer, RequestKind.DELETE)

    with pytest.raises(ValidationError) as refused:
        privacy_request_refuse(actor=privacy_officer, request_id=request.pk, reason="  ", version=1)

    assert "reason" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


def test_a_refused_request_keeps_its_reason_with_history_and_audit(
    privacy_officer: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.DELETE)

    refused = privacy_request_refuse(
        actor=privacy_officer,
        request_id=request.pk,
        reason="Records must be kept while the loan is outstanding.",
        version=request.version,
    )

    assert refused.status == RequestStatus.REFUSED
    assert refused.refusal_reason.startswith("Records must be kept")
    assert refused.history.first().history_change_reason == "privacy_request.refused"
    assert AuditEntry.objects.filter(action="privacy_request.refused").count() == 1
    assert Customer.objects.get(pk=customer.pk).phone == PHONE


def test_auditors_may_not_fulfil_or_refuse(
    privacy_officer: User, auditor: User, customer: Customer
) -> None:
    request = _open(privacy_officer, customer, RequestKind.WITHDRAW_CONSENT)

    with pytest.raises(PermissionDenied):
        _fulfil(auditor, request)
    with pytest.raises(PermissionDenied):
        privacy_request_refuse(actor=auditor, request_id=request.pk, reason="x", version=1)
    customer.refresh_from_db()
    assert customer.consent_withdrawn_at is None
