"""Feedback services: storing with consent, matching to a customer and a case exactly once,
triage by officers, the sweep, and a status lookup that gives nothing away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from audit.models import AuditEntry
from cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Priority,
)
from intake.feedback import processing, submission
from intake.feedback import status as lookup
from intake.models import Feedback, FeedbackKind, FeedbackStatus, TriageCloseReason
from intake.triage import services as triage
from portal.errors import Conflict
from scoring.models import CreditLine, CreditLineState, Customer
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

Submit = Callable[..., Feedback]


@pytest.fixture
def submit(django_capture_on_commit_callbacks: Any) -> Submit:
    """``submit(**fields)``: a submission through the service, committed, and processed by
    the job it queues (jobs run in-process in these tests)."""

    def run(**fields: Any) -> Feedback:
        data: dict[str, Any] = {
            "kind": FeedbackKind.LIMIT_UNUSABLE,
            "name": "张三",
            "phone": "+86 139 1234 5678",
            "description": "App 显示额度五万，但是付款时提示额度不可用。",
            "happened_at": None,
            "consent": True,
            "consent_version": "2026-11-v1",
            "language": "zh-hans",
            "channel": None,
        }
        data.update(fields)
        with django_capture_on_commit_callbacks(execute=True):
            feedback = submission.feedback_submit(**data)
        feedback.refresh_from_db()
        return feedback

    return run


@pytest.fixture
def stuck_customer() -> Customer:
    """张三, 139 1234 5678: a line that shows 50,000 and is blocked for a device anomaly."""
    customer = CustomerFactory(name="张三", phone="13912345678")
    line = CreditLineFactory(
        customer=customer, granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00")
    )
    BlockFactory(credit_line=line, reason_code="DEVICE_ANOMALY")
    return customer


# --- storing -------------------------------------------------------------------------------


def test_a_submission_with_consent_is_stored_encrypted_with_its_consent_version_and_time(
    submit: Submit,
) -> None:
    before = timezone.now()
    feedback = submit()

    assert feedback.reference.startswith("FB-")
    assert len(feedback.reference) == 15
    assert set(feedback.reference[3:]) <= set(submission.REFERENCE_ALPHABET)
    assert feedback.phone == "13912345678"  # normalised: country code and spaces dropped
    assert feedback.consent_version == "2026-11-v1"
    assert feedback.consent_at >= before
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, name FROM cases_feedback WHERE id = %s", [feedback.pk])
        raw_phone, raw_name = cursor.fetchone()
    assert "13912345678" not in raw_phone
    assert "张三" not in raw_name
    entry = AuditEntry.objects.get(action="feedback.received", target_id=str(feedback.pk))
    assert entry.actor_label == "system:feedback_form"
    assert set(entry.data) == {"kind", "channel", "language", "consent_version"}


def test_a_submission_without_consent_is_refused_and_nothing_is_stored(submit: Submit) -> None:
    with pytest.raises(ValidationError) as refused:
        submit(consent=False)

    assert "consent" in refused.value.message_dict
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "张" * 51),
        ("phone", "12345"),
        ("phone", "010-12345678"),
        ("phone", "+1 415 555 0100"),
        ("phone", "1391234567x"),
        ("description", "短"),
        ("description", "长" * 1001),
        ("kind", "lottery"),
        ("happened_at", "tomorrow"),
        ("language", "fr"),
        ("consent_version", "v 1; drop"),
    ],
)
def test_each_bad_input_is_refused_with_a_message_for_its_field(
    submit: Submit, field: str, value: str
) -> None:
    if value == "tomorrow":
        value = timezone.now() + timedelta(days=1)  # type: ignore[assignment]

    with pytest.raises(ValidationError) as refused:
        submit(**{field: value})

    assert list(refused.value.message_dict) == [field]
    assert all(refused.value.message_dict[field])
    assert not Feedback.objects.exists()


def test_messages_come_in_the_active_language(submit: Submit) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        submit(phone="123")
    with translation.override("zh-hans"):
        expected = gettext(
            "Enter a mainland mobile number of 11 digits, for example 138 0013 8000."
        )
    assert refused.value.message_dict["phone"] == [expected]


def test_references_are_random_and_unique() -> None:
    references = {submission.new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert submission.normalise_reference(" fb-" + "abcd efgh jkmn ") == "FB-ABCDEFGHJKMN"
    assert submission.normalise_reference("FB-0000") == ""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("FBCDEFGHJKMN", "FB-FBCDEFGHJKMN"),  # a body that starts with FB, typed bare
        ("fbcd efgh jkmn", "FB-FBCDEFGHJKMN"),
        ("FB-FBCDEFGHJKMN", "FB-FBCDEFGHJKMN"),  # the same with its prefix
        ("fbfbcdefghjkmn", "FB-FBCDEFGHJKMN"),
        ("ABCDEFGHJKMN", "FB-ABCDEFGHJKMN"),  # an ordinary body, bare and prefixed
        ("FB ABCD-EFGH-JKMN", "FB-ABCDEFGHJKMN"),
        ("FBABCDEFGHJKM", ""),  # neither twelve nor fourteen characters
        ("FBFB", ""),
    ],
)
def test_the_fb_prefix_is_stripped_only_when_it_is_really_there(typed: str, stored: str) -> None:
    assert submission.normalise_reference(typed) == stored


def test_a_reference_whose_body_starts_with_fb_is_found_typed_without_its_prefix(
    submit: Submit,
) -> None:
    feedback = submit(phone="13700009999")
    Feedback.objects.filter(pk=feedback.pk).update(reference="FB-FBCDEFGHJKMN")

    bare = lookup.feedback_status(reference="fbcd efgh jkmn", phone_last4="9999")
    prefixed = lookup.feedback_status(reference="FB-FBCD-EFGH-JKMN", phone_last4="9999")

    assert bare.status == prefixed.status == "in_review"


# --- matching ------------------------------------------------------------------------------


def test_feedback_from_a_customer_whose_line_is_unusable_opens_one_case_even_if_processed_twice(
    submit: Submit, stuck_customer: Customer
) -> None:
    feedback = submit()

    assert feedback.status == FeedbackStatus.MATCHED
    assert feedback.customer_id == stuck_customer.pk
    case = feedback.case
    assert case is not None
    assert (case.category, case.source, case.priority, case.reason_code) == (
        CaseCategory.LIMIT_UNUSABLE,
        CaseSource.FEEDBACK,
        Priority.P2,
        "DEVICE_ANOMALY",
    )
    assert case.credit_line == stuck_customer.credit_lines.get()

    assert processing.feedback_process(feedback_id=feedback.pk) == "skipped"  # a second delivery
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert AuditEntry.objects.filter(action="feedback.matched").count() == 1
    history = list(Feedback.history.filter(id=feedback.pk).order_by("history_id"))
    assert [h.status for h in history] == ["received", "matched"]
    assert history[-1].history_change_reason == "feedback.matched by system:feedback"


def test_further_feedback_attaches_to_the_open_case(
    submit: Submit, stuck_customer: Customer
) -> None:
    first = submit()
    second = submit(phone="139-1234-5678", description="还是不能用，请尽快处理。")

    assert second.case_id == first.case_id
    assert Case.objects.count() == 1
    kinds = list(
        CaseEvent.objects.filter(case_id=first.case_id).order_by("id").values_list("kind", "data")
    )
    assert kinds[0][0] == CaseEventKind.OPENED
    assert kinds[1] == (
        CaseEventKind.FEEDBACK,
        {
            "source": "feedback",
            "reason_code": "DEVICE_ANOMALY",
            "feedback": second.pk,
            "kind": "limit_unusable",
        },
    )


def test_feedback_joins_the_case_nightly_detection_opened(
    submit: Submit, stuck_customer: Customer
) -> None:
    from cases.services import detection
    from portal.permissions import SystemActor

    detection.cases_detect_unusable(actor=SystemActor("test"))
    detected = Case.objects.get()

    feedback = submit()

    assert feedback.case_id == detected.pk
    assert Case.objects.count() == 1


def test_a_failed_payment_opens_a_payment_case_and_other_matched_feedback_a_complaint(
    submit: Submit,
) -> None:
    healthy = CustomerFactory(name="李四", phone="13800001111")
    line = CreditLineFactory(customer=healthy)

    payment = submit(kind=FeedbackKind.PAYMENT_FAILED, name="李四", phone="13800001111")
    other = submit(kind=FeedbackKind.OTHER, name="李四", phone="13800001111")

    assert payment.case.category == CaseCategory.PAYMENT_FAILED
    assert payment.case.credit_line_id == line.pk
    assert other.status == FeedbackStatus.MATCHED
    assert other.case.category == CaseCategory.COMPLAINT
    assert other.case.credit_line_id is None


def test_cannot_activate_points_at_the_line_that_is_not_activated(submit: Submit) -> None:
    customer = CustomerFactory(name="赵六", phone="13600002222")
    CreditLineFactory(customer=customer)
    waiting = CreditLine.objects.create(
        customer=customer,
        product="installment",
        state=CreditLineState.NOT_ACTIVATED,
        granted_limit=Decimal("8000.00"),
        usable_limit=Decimal("8000.00"),
    )

    feedback = submit(kind=FeedbackKind.CANNOT_ACTIVATE, name="赵六", phone="13600002222")

    assert feedback.case.category == CaseCategory.ACTIVATION_FAILED
    assert feedback.case.credit_line_id == waiting.pk


def test_unmatched_feedback_goes_to_triage(submit: Submit) -> None:
    feedback = submit(phone="13700009999")

    assert feedback.status == FeedbackStatus.TRIAGE
    assert feedback.case_id is None
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action="feedback.triage", target_id=str(feedback.pk)).exists()


def test_two_customers_sharing_a_phone_are_told_apart_by_name_or_sent_to_triage(
    submit: Submit,
) -> None:
    CustomerFactory(name="王五", phone="13500003333")
    wanted = CustomerFactory(name="王五五", phone="13500003333")

    by_name = submit(name="王五五", phone="13500003333")
    unknown_name = submit(name="别人", phone="13500003333")

    assert by_name.customer_id == wanted.pk
    assert unknown_name.status == FeedbackStatus.TRIAGE


# --- sweep ---------------------------------------------------------------------------------


def test_the_sweep_resends_feedback_left_received_and_it_is_processed_once(
    stuck_customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    # Stored without its message (as when Redis was down): the on-commit hook never ran.
    feedback = submission.feedback_submit(
        kind=FeedbackKind.LIMIT_UNUSABLE,
        name="张三",
        phone="13912345678",
        description="额度不能用，请帮忙。",
        happened_at=None,
        consent=True,
        consent_version="",
        language="zh-hans",
        channel=None,
    )
    assert processing.feedback_sweep() == []  # too young: its message may still be on its way

    later = timezone.now() + timedelta(minutes=1)
    assert processing.feedback_sweep(now=later) == [feedback.pk]
    assert processing.feedback_sweep(now=later) == []

    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED
    assert feedback.consent_version == "2026-11-v1"  # the portal's current text
    assert Case.objects.count() == 1


def test_a_processing_error_that_retrying_cannot_fix_sends_the_feedback_to_triage(
    submit: Submit,
) -> None:
    feedback = Feedback.objects.create(
        reference="FB-AAAAAAAAAAAA",
        kind="limit_unusable",
        name="某人",
        phone="13911112222",
        description="...",
        consent_version="v1",
        consent_at=timezone.now(),
    )

    assert processing.feedback_process_failed(feedback_id=feedback.pk, error="ValueError")

    feedback.refresh_from_db()
    assert (feedback.status, feedback.error) == (FeedbackStatus.TRIAGE, "ValueError")


def _received(**fields: Any) -> Feedback:
    data: dict[str, Any] = {
        "reference": submission.new_reference(),
        "kind": "limit_unusable",
        "name": "张三",
        "phone": "13912345678",
        "description": "额度不能用。",
        "consent_version": "v1",
        "consent_at": timezone.now(),
        "received_at": timezone.now() - timedelta(minutes=2),
    }
    data.update(fields)
    return Feedback.objects.create(**data)


def test_feedback_whose_processing_keeps_crashing_goes_to_triage_once_its_attempts_are_used(
    stuck_customer: Customer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    feedback = _received()

    def crash(_feedback: Feedback) -> int | None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(processing, "_match_customer", crash)
    for _run in range(processing.MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            processing.feedback_process(feedback_id=feedback.pk)
    sent: list[int] = []
    monkeypatch.setattr(
        processing.FEEDBACK_INBOX, "send", lambda feedback_id: sent.append(feedback_id)
    )

    with caplog.at_level("WARNING", logger="intake.feedback.processing"):
        assert processing.feedback_sweep() == []

    assert sent == []  # not sent again: every attempt was used
    feedback.refresh_from_db()
    assert (feedback.status, feedback.error) == (FeedbackStatus.TRIAGE, processing.GAVE_UP_ERROR)
    assert feedback.attempts == processing.MAX_ATTEMPTS
    assert feedback.case_id is None
    entry = AuditEntry.objects.get(action="feedback.processing_failed")
    assert entry.data == {"error": processing.GAVE_UP_ERROR, "attempts": processing.MAX_ATTEMPTS}
    assert f"feedback {feedback.pk}" in caplog.text
    assert "13912345678" not in caplog.text
    assert "张三" not in caplog.text
    assert processing.feedback_sweep() == []  # nothing left to send or give up
    assert lookup.feedback_status(reference=feedback.reference, phone_last4="5678").status == (
        "in_review"
    )


def test_a_message_delivered_after_the_last_attempt_gives_up_without_doing_the_work(
    stuck_customer: Customer,
) -> None:
    feedback = _received(attempts=processing.MAX_ATTEMPTS)

    assert processing.feedback_process(feedback_id=feedback.pk) == FeedbackStatus.TRIAGE
    assert processing.feedback_process(feedback_id=feedback.pk) == "skipped"

    feedback.refresh_from_db()
    assert (feedback.status, feedback.error) == (FeedbackStatus.TRIAGE, processing.GAVE_UP_ERROR)
    assert feedback.attempts == processing.MAX_ATTEMPTS + 1
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action="feedback.processing_failed").count() == 1
    last = Feedback.history.filter(id=feedback.pk).latest("history_id")
    assert last.history_change_reason.startswith("feedback.processing_failed")


def test_the_attempts_counter_is_capped(stuck_customer: Customer) -> None:
    feedback = _received(attempts=30000)  # as a sweeper re-sending for weeks once left it

    processing.feedback_process(feedback_id=feedback.pk)

    feedback.refresh_from_db()
    assert feedback.attempts == processing.MAX_ATTEMPTS + 1
    assert feedback.status == FeedbackStatus.TRIAGE


def test_feedback_with_attempts_left_is_still_sent_again_by_the_sweep(
    stuck_customer: Customer,
) -> None:
    feedback = _received(attempts=processing.MAX_ATTEMPTS - 1)

    assert processing.feedback_sweep() == [feedback.pk]

    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED


# --- triage --------------------------------------------------------------------------------


def test_an_officer_links_unmatched_feedback_to_a_customer_and_its_case(
    submit: Submit, officer: User, stuck_customer: Customer
) -> None:
    feedback = submit(phone="13700009999", name="张三")  # another number than on file

    linked = triage.feedback_triage_link(
        actor=officer, feedback_id=feedback.pk, customer_id=stuck_customer.pk
    )

    assert linked.status == FeedbackStatus.MATCHED
    assert linked.case.customer_id == stuck_customer.pk
    assert linked.case.category == CaseCategory.LIMIT_UNUSABLE
    entry = AuditEntry.objects.get(action="feedback.linked")
    assert entry.actor_id == officer.pk
    assert entry.data["case"] == linked.case_id
    last = Feedback.history.filter(id=feedback.pk).latest("history_id")
    assert last.history_user_id == officer.pk
    assert last.history_change_reason == "feedback.linked"
    with pytest.raises(Conflict):
        triage.feedback_triage_link(
            actor=officer, feedback_id=feedback.pk, customer_id=stuck_customer.pk
        )


def test_an_officer_closes_unmatched_feedback_with_a_reason(submit: Submit, officer: User) -> None:
    feedback = submit(phone="13700009999")

    closed = triage.feedback_triage_close(
        actor=officer, feedback_id=feedback.pk, reason=TriageCloseReason.NOT_A_CUSTOMER
    )

    assert (closed.status, closed.close_reason) == (FeedbackStatus.CLOSED, "not_a_customer")
    assert AuditEntry.objects.get(action="feedback.closed").data == {"reason": "not_a_customer"}
    with pytest.raises(ValidationError):
        triage.feedback_triage_close(actor=officer, feedback_id=feedback.pk, reason="bored")


def test_an_auditor_may_not_triage(submit: Submit, auditor: User) -> None:
    feedback = submit(phone="13700009999")

    with pytest.raises(PermissionDenied):
        triage.feedback_triage_close(
            actor=auditor, feedback_id=feedback.pk, reason=TriageCloseReason.SPAM
        )


# --- status lookup -------------------------------------------------------------------------


def test_the_status_lookup_follows_the_feedback_through_triage_and_its_case(
    submit: Submit, officer: User, stuck_customer: Customer
) -> None:
    feedback = submit(phone="13700009999")
    assert lookup.feedback_status(reference=feedback.reference, phone_last4="9999").status == (
        "in_review"
    )

    triage.feedback_triage_link(
        actor=officer, feedback_id=feedback.pk, customer_id=stuck_customer.pk
    )
    assert lookup.feedback_status(reference=feedback.reference, phone_last4="9999").status == (
        "in_review"
    )

    Case.objects.filter(feedback=feedback).update(status=CaseStatus.RESOLVED)
    resolved = lookup.feedback_status(reference=feedback.reference.lower(), phone_last4="9999")
    assert resolved.status == "resolved"

    closed = submit(phone="13700008888")
    triage.feedback_triage_close(actor=officer, feedback_id=closed.pk, reason="spam")
    assert lookup.feedback_status(reference=closed.reference, phone_last4="8888").status == (
        "closed"
    )


def test_the_status_lookup_answers_a_wrong_phone_exactly_as_an_unknown_reference(
    submit: Submit,
) -> None:
    feedback = submit(phone="13700009999")

    wrong_phone = lookup.feedback_status(reference=feedback.reference, phone_last4="1234")
    unknown = lookup.feedback_status(reference="FB-ABCDEFGHJKMN", phone_last4="9999")
    garbage = lookup.feedback_status(reference="nonsense", phone_last4="9999")

    assert wrong_phone == unknown == garbage
    assert unknown.status == lookup.LOOKUP_NOT_FOUND
    with pytest.raises(ValidationError):
        lookup.feedback_status(reference=feedback.reference, phone_last4="99")


def test_the_beat_task_sweeps_feedback_and_signals(stuck_customer: Customer) -> None:
    from intake.tasks import intake_sweep

    feedback = Feedback.objects.create(
        reference=submission.new_reference(),
        kind="limit_unusable",
        name="张三",
        phone="13912345678",
        description="额度不能用。",
        consent_version="v1",
        consent_at=timezone.now(),
        received_at=timezone.now() - timedelta(minutes=2),
    )

    report = intake_sweep.delay().get()

    assert report == {"feedback": 1, "signals": 0, "idempotency_purged": 0}
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED
