"""``Idempotency-Key`` on the channels' writes: the same key and body give the same answer and
create nothing twice, another body is a 409, and two identical requests racing create one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case
from intake.idempotency import idempotency_records_purge
from intake.models import Channel, IdempotencyRecord, Signal
from scoring.models import CreditLine
from tests.factories.cases import ChannelFactory, make_channel_key
from tests.factories.scoring import BlockFactory, CreditLineFactory

SIGNALS = "/api/v1/signals/"


def _client(channel: Channel) -> APIClient:
    _key, plaintext = make_channel_key(channel)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    return api


@pytest.fixture
def upstream(db: None) -> Channel:
    return ChannelFactory(code="payments")


@pytest.fixture
def client(upstream: Channel) -> APIClient:
    return _client(upstream)


@pytest.fixture
def line(db: None) -> CreditLine:
    line = CreditLineFactory(granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00"))
    BlockFactory(credit_line=line, reason_code="DEVICE_ANOMALY")
    return line


def body(line: CreditLine, event_id: str = "evt-1", **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "device_changed",
        "customer": line.customer.external_id,
        "credit_line": line.pk,
        "occurred_at": "2026-11-23T08:00:00+08:00",
        **fields,
    }


def test_the_same_key_and_body_give_the_same_answer_and_one_signal(
    client: APIClient, line: CreditLine
) -> None:
    headers = {"Idempotency-Key": "order-42"}

    first = client.post(SIGNALS, body(line), format="json", headers=headers)
    second = client.post(SIGNALS, body(line), format="json", headers=headers)

    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert first.json()["duplicate"] is False
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert Signal.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 202


def test_the_same_key_with_another_body_is_a_conflict(client: APIClient, line: CreditLine) -> None:
    headers = {"Idempotency-Key": "order-42"}
    client.post(SIGNALS, body(line), format="json", headers=headers)

    response = client.post(SIGNALS, body(line, "evt-2"), format="json", headers=headers)

    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["non_field_errors"]
    assert Signal.objects.count() == 1


def test_the_key_order_of_the_body_does_not_matter(client: APIClient, line: CreditLine) -> None:
    headers = {"Idempotency-Key": "k1"}
    payload = body(line)
    reordered = dict(reversed(list(payload.items())))

    client.post(SIGNALS, payload, format="json", headers=headers)
    again = client.post(SIGNALS, reordered, format="json", headers=headers)

    assert again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"


def test_keys_belong_to_their_channel(client: APIClient, line: CreditLine) -> None:
    other = _client(ChannelFactory(code="cards"))
    headers = {"Idempotency-Key": "shared"}

    mine = client.post(SIGNALS, body(line), format="json", headers=headers)
    theirs = other.post(SIGNALS, body(line), format="json", headers=headers)

    assert mine.status_code == theirs.status_code == 202
    assert "Idempotent-Replayed" not in theirs
    assert Signal.objects.count() == 2


def test_a_validation_error_is_stored_and_replayed(client: APIClient, line: CreditLine) -> None:
    headers = {"Idempotency-Key": "bad-1"}
    payload = body(line, type="moon_landing")

    first = client.post(SIGNALS, payload, format="json", headers=headers)
    second = client.post(SIGNALS, payload, format="json", headers=headers)

    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()
    assert list(first.json()["errors"]) == ["type"]
    assert second["Idempotent-Replayed"] == "true"


def test_a_refused_caller_leaves_no_record(line: CreditLine) -> None:
    partner = _client(ChannelFactory(code="shop", kind=Channel.Kind.PARTNER))

    response = partner.post(SIGNALS, body(line), format="json", headers={"Idempotency-Key": "p-1"})

    assert response.status_code == 403
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "naïve-ключ", "tab\there"])
def test_a_malformed_idempotency_key_is_refused(
    client: APIClient, line: CreditLine, key: str
) -> None:
    response = client.post(SIGNALS, body(line), format="json", headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert not Signal.objects.exists()


def test_malformed_json_with_a_key_is_a_400(client: APIClient) -> None:
    response = client.post(
        SIGNALS, "{oops", content_type="application/json", headers={"Idempotency-Key": "j-1"}
    )

    assert response.status_code == 400
    assert "errors" in response.json()
    assert not IdempotencyRecord.objects.exists()


def test_records_older_than_a_week_are_purged(client: APIClient, line: CreditLine) -> None:
    client.post(SIGNALS, body(line), format="json", headers={"Idempotency-Key": "old"})
    client.post(SIGNALS, body(line, "evt-2"), format="json", headers={"Idempotency-Key": "new"})
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(days=8)
    )

    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


# --- racing requests -------------------------------------------------------------------------


def _race(requests: list[Callable[[], Any]]) -> list[Any]:
    """Run the requests at the same moment, each on its own thread and connection."""
    barrier = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def run(index: int, request: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            answers[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True)
def test_identical_requests_racing_with_one_key_create_one_signal() -> None:
    channel = ChannelFactory(code="race")
    line = CreditLineFactory(granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00"))
    clients = [_client(channel) for _ in range(4)]
    headers = {"Idempotency-Key": "race-1"}

    answers = _race(
        [
            lambda c=c: c.post(SIGNALS, body(line), format="json", headers=headers)  # type: ignore[misc]
            for c in clients
        ]
    )

    assert [a.status_code for a in answers] == [202] * 4
    assert len({a.json()["signal"] for a in answers}) == 1
    assert sum(1 for a in answers if a.get("Idempotent-Replayed") == "true") == 3
    assert Signal.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_event_racing_without_a_key_is_stored_once() -> None:
    channel = ChannelFactory(code="race2")
    line = CreditLineFactory(granted_limit=Decimal("50000.00"), usable_limit=Decimal("0.00"))
    clients = [_client(channel) for _ in range(4)]

    answers = _race(
        [
            lambda c=c: c.post(SIGNALS, body(line), format="json")  # type: ignore[misc]
            for c in clients
        ]
    )

    assert [a.status_code for a in answers] == [202] * 4
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True, True, True]
    assert Signal.objects.count() == 1


# --- the partner feedback endpoint uses the same mechanism ----------------------------------


def _feedback(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "limit_unusable",
        "name": "张三",
        "phone": "13912345678",
        "description": "额度显示五万，但是付款时提示不可用。",
        "consent": True,
        **overrides,
    }


def test_a_partner_resubmitting_feedback_with_its_key_creates_one(db: None) -> None:
    from intake.models import Feedback

    partner = _client(ChannelFactory(code="shop", kind=Channel.Kind.PARTNER))
    headers = {"Idempotency-Key": "fb-1"}

    first = partner.post("/api/v1/feedback/", _feedback(), format="json", headers=headers)
    second = partner.post("/api/v1/feedback/", _feedback(), format="json", headers=headers)
    other = partner.post(
        "/api/v1/feedback/",
        _feedback(description="另一件事，付款失败。"),
        format="json",
        headers=headers,
    )

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert Feedback.objects.count() == 1
    # The stored answer holds the reference and status only, no personal data.
    stored = IdempotencyRecord.objects.get(endpoint="feedback")
    assert "13912345678" not in str(stored.response_body)
    assert "13912345678" not in stored.request_hash
