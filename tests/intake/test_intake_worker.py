"""Feedback through Redis and a real ``celery worker``: submissions made while no worker
runs are stored, and all processed exactly once when one starts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from cases.models import Case, CaseEvent, CaseEventKind
from intake.feedback import processing
from intake.models import Feedback, FeedbackStatus
from tests.conftest import WorkerProcess
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory
from tests.scoring.test_worker_jobs import _idle, _queue_length, no_worker, wait_until

pytestmark = pytest.mark.worker

__all__ = ["no_worker"]  # the fixture, imported for this module's tests


def test_with_the_worker_stopped_50_submissions_are_stored_and_processed_once_it_starts(
    no_worker: Callable[..., WorkerProcess], settings: Any
) -> None:
    settings.INTAKE_RATE_SUBMIT = "1000/m"
    customers = []
    for n in range(5):
        customer = CustomerFactory(name=f"客户{n}", phone=f"1391000000{n}")
        line = CreditLineFactory(
            customer=customer, granted_limit=Decimal("20000.00"), usable_limit=Decimal("0.00")
        )
        BlockFactory(credit_line=line, reason_code="VELOCITY")
        customers.append(customer)
    client = APIClient()

    references = []
    for n in range(50):
        phone = f"1391000000{n % 5}" if n < 25 else f"1372000{n:04d}"  # 25 match, 25 do not
        response = client.post(
            "/api/v1/feedback/",
            {
                "kind": "limit_unusable",
                "name": f"客户{n % 5}" if n < 25 else "陌生人",
                "phone": phone,
                "description": f"第{n}条：额度无法使用。",
                "consent": True,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        references.append(response.json()["reference"])

    assert Feedback.objects.filter(status=FeedbackStatus.RECEIVED).count() == 50
    assert _queue_length() == 50  # the messages wait in Redis

    worker = no_worker()
    wait_until(
        lambda: not Feedback.objects.filter(status=FeedbackStatus.RECEIVED).exists(),
        timeout=120,
        what="all 50 to be processed",
    )
    # The beat sweep re-sending everything once more changes nothing.
    from datetime import timedelta

    from django.utils import timezone

    Feedback.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert processing.feedback_sweep() == []  # nothing left received
    wait_until(lambda: _idle(worker), what="the queue to drain")

    assert Feedback.objects.filter(status=FeedbackStatus.MATCHED).count() == 25
    assert Feedback.objects.filter(status=FeedbackStatus.TRIAGE).count() == 25
    assert Case.objects.count() == 5
    for customer in customers:
        case = Case.objects.get(customer=customer)
        kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
        assert kinds.count(CaseEventKind.OPENED) == 1
        assert kinds.count(CaseEventKind.FEEDBACK) == 4
    processed = AuditEntry.objects.filter(action__in=["feedback.matched", "feedback.triage"])
    assert processed.count() == 50
    assert sorted(processed.values_list("target_id", flat=True)) == sorted(
        str(pk) for pk in Feedback.objects.values_list("pk", flat=True)
    )
    for feedback_id in Feedback.objects.values_list("pk", flat=True)[:10]:
        assert Feedback.history.filter(id=feedback_id).count() == 2


def test_messages_delivered_twice_process_each_feedback_once(
    no_worker: Callable[..., WorkerProcess], settings: Any
) -> None:
    from intake.tasks import feedback_process

    customer = CustomerFactory(name="重复", phone="13910009999")
    line = CreditLineFactory(customer=customer, usable_limit=Decimal("0.00"))
    BlockFactory(credit_line=line)
    response = APIClient().post(
        "/api/v1/feedback/",
        {
            "kind": "payment_failed",
            "name": "重复",
            "phone": "13910009999",
            "description": "付款失败了三次。",
            "consent": True,
        },
        format="json",
    )
    feedback = Feedback.objects.get(reference=response.json()["reference"])
    for _ in range(3):
        feedback_process.delay(feedback.pk)  # redeliveries

    worker = no_worker()
    wait_until(lambda: _idle(worker) and _queue_length() == 0, what="all four deliveries")

    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.MATCHED
    assert CaseEvent.objects.filter(case=feedback.case).count() == 1
    assert AuditEntry.objects.filter(action="feedback.matched").count() == 1
