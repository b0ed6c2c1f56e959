"""``manage.py seed_demo_intake``: demo feedback and privacy requests for ``make run``, once."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.models import AuditEntry
from compliance.models import DataSubjectRequest
from intake.models import Feedback, FeedbackStatus
from tests.factories.scoring import CreditLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(django_capture_on_commit_callbacks: Any) -> Callable[[], str]:
    """Run the command with its after-commit jobs (processing of each submission)."""

    def run() -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("seed_demo_intake", stdout=out)
            call_command("seed_demo_privacy", stdout=out)
        return out.getvalue()

    return run


def test_it_submits_matched_and_unmatched_feedback_and_records_privacy_requests(
    privacy_officer: User, seed: Callable[[], str]
) -> None:
    CreditLineFactory.create_batch(3, usable_limit="0.00")

    assert seed() == "Demo intake: 5 feedback submissions.\nDemo privacy requests: 2.\n"

    statuses = sorted(Feedback.objects.values_list("status", flat=True))
    assert statuses == [FeedbackStatus.MATCHED] * 3 + [FeedbackStatus.TRIAGE] * 2
    assert Feedback.objects.filter(case__isnull=False).count() == 3
    overdue, due_soon = DataSubjectRequest.objects.order_by("received_at")
    assert overdue.kind == "access"
    assert due_soon.kind == "explain"
    assert AuditEntry.objects.filter(action="feedback.received").count() == 5


def test_a_second_run_adds_nothing(privacy_officer: User, seed: Callable[[], str]) -> None:
    CreditLineFactory.create_batch(2, usable_limit="0.00")
    seed()

    assert seed() == (
        "Demo intake: feedback exists already; nothing added.\n"
        "Demo privacy requests: some exist already; nothing added.\n"
    )
    assert Feedback.objects.count() == 4
    assert DataSubjectRequest.objects.count() == 2
