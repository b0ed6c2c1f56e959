"""Upstream signals: received through the API, stored once per event id, then attached to the
customer's open case or opening one, by what the event means for a shown-but-unusable line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from cases.models import Case, CaseCategory, CaseEvent, CaseEventKind, CaseSource, Priority
from intake.models import Channel, Signal, SignalStatus
from intake.upstream import services as signals
from portal.celery import app as celery_app
from scoring.models import CreditLine, Customer
from tests.factories.cases import ChannelFactory, make_channel_key
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

SIGNALS = "/api/v1/signals/"

Send = Callable[..., Any]


@pytest.fixture
def upstream(db: None) -> Channel:
    return ChannelFactory(code="payments")


@pytest.fixture
def client(upstream: Channel) -> APIClient:
    _key, plaintext = make_channel_key(upstream)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    return api


@pytest.fixture
def unusable_line(db: None) -> CreditLine:
    """Granted 50,000, usable 0, blocked by the device-fingerprint rule."""
    line = CreditLineFactory(granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00"))
    BlockFactory(credit_line=line, reason_code="DEVICE_ANOMALY")
    return line


@pytest.fixture
def usable_line(db: None) -> CreditLine:
    return CreditLineFactory()


def body(line: CreditLine, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": "evt-1",
        "type": "device_changed",
        "customer": line.customer.external_id,
        "credit_line": line.pk,
        "occurred_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "details": {"device_hash": "a1b2c3", "rule": "device_fingerprint"},
        **fields,
    }


@pytest.fixture
def send(client: APIClient, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a signal and run what is queued after commit (jobs run in-process in tests)."""

    def post(payload: Any, **headers: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SIGNALS, payload, format="json", headers=headers)

    return post


# --- cases from signals ---------------------------------------------------------------------


def test_a_signal_for_a_shown_but_unusable_line_opens_a_case(
    send: Send, unusable_line: CreditLine
) -> None:
    response = send(body(unusable_line))

    assert response.status_code == 202
    signal = Signal.objects.get()
    assert response.json() == {
        "signal": signal.pk,
        "status": "received",
        "case": None,
        "duplicate": False,
    }
    assert signal.status == SignalStatus.ATTACHED
    case = Case.objects.get()
    assert signal.case == case
    assert case.customer == unusable_line.customer
    assert case.credit_line == unusable_line
    assert case.category == CaseCategory.LIMIT_UNUSABLE
    assert case.source == CaseSource.SIGNAL
    assert case.reason_code == "DEVICE_ANOMALY"
    assert case.priority == Priority.P2
    opened = case.events.get(kind=CaseEventKind.OPENED)
    assert opened.data["signal"] == signal.pk
    assert opened.data["kind"] == "device_changed"
    assert opened.actor_label == "system:signals"


def test_a_second_signal_attaches_to_the_open_case(send: Send, unusable_line: CreditLine) -> None:
    send(body(unusable_line))

    response = send(body(unusable_line, event_id="evt-2", type="payment_declined", details={}))

    assert response.status_code == 202
    assert Case.objects.count() == 1
    case = Case.objects.get()
    second = Signal.objects.get(event_id="evt-2")
    assert second.status == SignalStatus.ATTACHED
    assert second.case == case
    attached = case.events.get(kind=CaseEventKind.SIGNAL)
    assert attached.data["signal"] == second.pk
    assert attached.data["kind"] == "payment_declined"


def test_the_answer_to_a_repeat_shows_the_case_it_went_to(
    send: Send, unusable_line: CreditLine
) -> None:
    send(body(unusable_line))

    response = send(body(unusable_line))

    case = Case.objects.get()
    assert response.json()["case"] == case.pk
    assert response.json()["status"] == "attached"
    assert response.json()["duplicate"] is True


def test_processing_a_signal_twice_changes_nothing(send: Send, unusable_line: CreditLine) -> None:
    send(body(unusable_line))
    signal = Signal.objects.get()
    events = CaseEvent.objects.count()
    entries = AuditEntry.objects.count()
    history = signal.history.count()

    again = signals.signal_process(signal_id=signal.pk)

    assert again is not None
    assert again.status == SignalStatus.ATTACHED
    assert CaseEvent.objects.count() == events
    assert AuditEntry.objects.count() == entries
    assert signal.history.count() == history
    signal.refresh_from_db()
    assert signal.attempts == 1


def test_a_device_change_on_a_usable_line_needs_no_case(
    send: Send, usable_line: CreditLine
) -> None:
    send(body(usable_line))

    signal = Signal.objects.get()
    assert signal.status == SignalStatus.IGNORED
    assert signal.processed_at is not None
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action="signal.ignored").count() == 1


def test_an_ordinary_decline_on_a_usable_line_needs_no_case(
    send: Send, usable_line: CreditLine
) -> None:
    send(body(usable_line, type="payment_declined", details={"decline_code": "insufficient"}))

    assert Signal.objects.get().status == SignalStatus.IGNORED
    assert not Case.objects.exists()


def test_a_decline_from_a_system_error_opens_a_payment_case(
    send: Send, usable_line: CreditLine
) -> None:
    send(body(usable_line, type="payment_declined", details={"decline_code": "system_error"}))

    case = Case.objects.get()
    assert case.category == CaseCategory.PAYMENT_FAILED
    assert case.reason_code == "SYSTEM_ERROR"
    assert case.priority == Priority.P2


def test_a_decline_on_a_blocked_line_joins_the_blocks_case(send: Send, db: None) -> None:
    line = CreditLineFactory(granted_limit=Decimal("8000.00"), usable_limit=Decimal("0.00"))
    BlockFactory(credit_line=line, reason_code="KYC_EXPIRED")

    send(body(line, type="payment_declined", details={}))

    case = Case.objects.get()
    assert case.category == CaseCategory.LIMIT_UNUSABLE
    assert case.reason_code == "KYC_EXPIRED"
    assert case.priority == Priority.P3


def test_a_failed_activation_opens_an_activation_case(send: Send, usable_line: CreditLine) -> None:
    send(body(usable_line, type="activation_failed", details={}))

    case = Case.objects.get()
    assert case.category == CaseCategory.ACTIVATION_FAILED
    assert case.reason_code == "ACTIVATION_DECLINED"
    assert case.priority == Priority.P2


def test_a_system_error_during_activation_is_ours_to_fix(
    send: Send, usable_line: CreditLine
) -> None:
    send(body(usable_line, type="system_error", details={"operation": "activation"}))

    case = Case.objects.get()
    assert case.category == CaseCategory.ACTIVATION_FAILED
    assert case.reason_code == "SYSTEM_ERROR"
    assert case.priority == Priority.P2


def test_an_expired_identity_document_opens_a_kyc_case(send: Send, usable_line: CreditLine) -> None:
    send(body(usable_line, type="kyc_expired", details={}))

    case = Case.objects.get()
    assert case.category == CaseCategory.LIMIT_UNUSABLE
    assert case.reason_code == "KYC_EXPIRED"


def test_kind_is_accepted_as_an_alias_of_type(send: Send, unusable_line: CreditLine) -> None:
    payload = body(unusable_line)
    payload["kind"] = payload.pop("type")

    assert send(payload).status_code == 202
    assert Signal.objects.get().kind == "device_changed"


def test_a_signal_without_a_credit_line_finds_the_customers_unusable_line(
    send: Send, unusable_line: CreditLine
) -> None:
    payload = body(unusable_line)
    del payload["credit_line"]

    send(payload)

    assert Case.objects.get().credit_line == unusable_line


# --- storing once --------------------------------------------------------------------------------


def test_a_repeated_event_id_is_stored_once_and_marked_duplicate(
    send: Send, unusable_line: CreditLine
) -> None:
    first = send(body(unusable_line))
    second = send(body(unusable_line))

    assert first.status_code == second.status_code == 202
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True
    assert second.json()["signal"] == first.json()["signal"]
    assert Signal.objects.count() == 1
    assert AuditEntry.objects.filter(action="signal.received").count() == 1


def test_the_same_event_id_from_another_channel_is_another_signal(
    send: Send, unusable_line: CreditLine
) -> None:
    send(body(unusable_line))
    other = ChannelFactory(code="cards")

    _signal, created = signals.signal_receive(
        channel=other,
        event_id="evt-1",
        kind="device_changed",
        customer_external_id=unusable_line.customer.external_id,
        occurred_at=timezone.now(),
        details={},
    )

    assert created is True
    assert Signal.objects.count() == 2


def test_receiving_is_audited_with_ids_and_codes_only(
    send: Send, unusable_line: CreditLine
) -> None:
    send(body(unusable_line))

    signal = Signal.objects.get()
    entry = AuditEntry.objects.get(action="signal.received")
    assert entry.actor_label == "system:channel:payments"
    assert entry.target_id == str(signal.pk)
    assert entry.data == {
        "channel": "payments",
        "event_id": "evt-1",
        "kind": "device_changed",
        "customer": unusable_line.customer_id,
        "credit_line": unusable_line.pk,
    }
    assert signal.history.first().history_change_reason.startswith("signal.")


# --- bad input -----------------------------------------------------------------------------------


def _errors(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    errors: dict[str, Any] = response.json()["errors"]
    return errors


def test_an_unknown_signal_type_is_refused_by_name(send: Send, usable_line: CreditLine) -> None:
    errors = _errors(send(body(usable_line, type="moon_landing")))

    assert list(errors) == ["type"]
    assert "Unknown signal type" in errors["type"][0]
    assert not Signal.objects.exists()


def test_a_signal_without_a_type_is_refused(send: Send, usable_line: CreditLine) -> None:
    payload = body(usable_line)
    del payload["type"]

    assert list(_errors(send(payload))) == ["type"]


def test_an_unknown_customer_is_refused(send: Send, usable_line: CreditLine) -> None:
    errors = _errors(send(body(usable_line, customer="NOBODY-1", credit_line=None)))

    assert errors == {"customer": ["No customer has this external id."]}


def test_another_customers_credit_line_is_refused(send: Send, usable_line: CreditLine) -> None:
    stranger: Customer = CustomerFactory()

    errors = _errors(send(body(usable_line, customer=stranger.external_id)))

    assert list(errors) == ["credit_line"]


def test_an_event_in_the_future_is_refused(send: Send, usable_line: CreditLine) -> None:
    later = (timezone.now() + timedelta(hours=2)).isoformat()

    assert list(_errors(send(body(usable_line, occurred_at=later)))) == ["occurred_at"]


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00"]
)
def test_a_time_at_the_ends_of_the_calendar_is_a_400_not_a_500(
    send: Send, usable_line: CreditLine, when: str
) -> None:
    errors = _errors(send(body(usable_line, occurred_at=when)))

    assert list(errors) == ["occurred_at"]
    assert errors["occurred_at"] == ["Give a date between the years 1900 and 2999."]
    assert not Signal.objects.exists()


def test_malformed_json_is_a_400_not_a_500(client: APIClient) -> None:
    response = client.post(SIGNALS, '{"event_id": "x",', content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_absurdly_nested_json_is_a_400_not_a_500(client: APIClient) -> None:
    response = client.post(SIGNALS, "[" * 5000 + "]" * 5000, content_type="application/json")

    assert response.status_code == 400
    assert "errors" in response.json()


def test_a_body_that_is_not_an_object_is_refused(send: Send) -> None:
    assert "non_field_errors" in _errors(send([1, 2, 3]))


@pytest.mark.parametrize(
    ("details", "words"),
    [
        ({"amount": 12.5}, "fraction"),
        ({"phone": "13800000000"}, "personal data"),
        ({"customer_name": "张三"}, "personal data"),
        ({"nested": {"id_number": "x"}}, "personal data"),
        ({"a": {"b": {"c": {"d": 1}}}}, "nested"),
        ({"blob": "x" * 3000}, "bytes"),
        ("not an object", "dictionary"),
    ],
)
def test_details_hold_codes_and_ids_only(
    send: Send, usable_line: CreditLine, details: Any, words: str
) -> None:
    errors = _errors(send(body(usable_line, details=details)))

    assert list(errors) == ["details"]
    assert words in " ".join(errors["details"])
    assert not Signal.objects.exists()


def test_masked_values_and_hashes_are_allowed_in_details(
    send: Send, usable_line: CreditLine
) -> None:
    details = {"phone_masked": "138****0000", "device_hash": "ab12", "amount": "12.50", "n": 3}

    assert send(body(usable_line, details=details)).status_code == 202
    assert Signal.objects.get().details == details


def test_an_over_long_event_id_is_refused(send: Send, usable_line: CreditLine) -> None:
    assert list(_errors(send(body(usable_line, event_id="e" * 101)))) == ["event_id"]


# --- the sweeper ---------------------------------------------------------------------------------


def test_the_sweeper_sends_stuck_signals_again(
    upstream: Channel, unusable_line: CreditLine, usable_line: CreditLine
) -> None:
    # Stored without its message reaching a worker (the after-commit send never ran).
    stuck, _created = signals.signal_receive(
        channel=upstream,
        event_id="lost-1",
        kind="device_changed",
        customer_external_id=unusable_line.customer.external_id,
        credit_line_id=unusable_line.pk,
        occurred_at=timezone.now(),
        details={},
    )
    fresh, _created = signals.signal_receive(
        channel=upstream,
        event_id="fresh-1",
        kind="device_changed",
        customer_external_id=usable_line.customer.external_id,
        occurred_at=timezone.now(),
        details={},
    )
    Signal.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - timedelta(minutes=2))

    sent = signals.signals_resend_unprocessed(older_than_seconds=30)

    assert sent == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == SignalStatus.ATTACHED
    assert fresh.status == SignalStatus.RECEIVED
    assert signals.signals_resend_unprocessed(older_than_seconds=30) == 0


def test_a_signal_that_keeps_failing_is_given_up(
    upstream: Channel, unusable_line: CreditLine
) -> None:
    signal, _created = signals.signal_receive(
        channel=upstream,
        event_id="bad-1",
        kind="device_changed",
        customer_external_id=unusable_line.customer.external_id,
        occurred_at=timezone.now(),
        details={},
    )
    Signal.objects.filter(pk=signal.pk).update(attempts=signals.MAX_ATTEMPTS)

    result = signals.signal_process(signal_id=signal.pk)

    assert result is not None
    assert result.status == SignalStatus.FAILED
    assert "Gave up" in result.error
    assert not Case.objects.exists()


CLOSED_BROKER = "redis://127.0.0.1:9/0"  # nothing listens on port 9


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery sends to a closed port (jobs are not run in-process meanwhile)."""
    celery_app.conf.task_always_eager = False
    before = celery_app.conf.broker_url
    celery_app.conf.broker_url = CLOSED_BROKER
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = before
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.task_always_eager = True


def test_with_the_broker_down_a_signal_is_still_accepted_and_caught_up_later(
    client: APIClient,
    unusable_line: CreditLine,
    django_capture_on_commit_callbacks: Any,
    broker_down: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNALS, body(unusable_line), format="json")

    assert response.status_code == 202
    signal = Signal.objects.get()
    assert signal.status == SignalStatus.RECEIVED
    assert "the sweeper will send it again" in caplog.text
    assert signals.signals_resend_unprocessed(older_than_seconds=0) == 0  # still down

    # The broker is back (jobs run in-process again).
    celery_app.conf.task_always_eager = True
    assert signals.signals_resend_unprocessed(older_than_seconds=0) == 1
    signal.refresh_from_db()
    assert signal.status == SignalStatus.ATTACHED


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_processes_a_received_signal(
    celery_worker: Any, unusable_line: CreditLine
) -> None:
    import time

    channel = ChannelFactory(code="worker-test")
    _key, plaintext = make_channel_key(channel)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")

    response = api.post(SIGNALS, body(unusable_line), format="json")

    assert response.status_code == 202
    deadline = time.monotonic() + 30
    signal = Signal.objects.get()
    while signal.status == SignalStatus.RECEIVED and time.monotonic() < deadline:
        time.sleep(0.2)
        signal.refresh_from_db()
    assert signal.status == SignalStatus.ATTACHED
    assert Case.objects.get().pk == signal.case_id


def test_the_schema_documents_signals_and_the_api_key_scheme(officer: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(officer)
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/signals/"]["post"]
    assert operation["security"] == [{"ChannelApiKey": []}]
    assert "202" in operation["responses"]
    assert schema["components"]["securitySchemes"]["ChannelApiKey"]["type"] == "apiKey"
    properties = schema["components"]["schemas"]["SignalIn"]["properties"]
    assert {"event_id", "type", "kind", "customer", "occurred_at", "details"} <= set(properties)


def test_receiving_and_processing_a_signal_takes_a_bounded_number_of_queries(
    send: Send, unusable_line: CreditLine, django_assert_max_num_queries: Any
) -> None:
    send(body(unusable_line, event_id="warm-up"))  # the case exists: this one attaches

    with django_assert_max_num_queries(30):
        response = send(body(unusable_line, event_id="evt-9"))

    assert response.status_code == 202
