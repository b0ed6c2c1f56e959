"""Demo privacy work for ``make run``: two data-subject requests, one due soon and one
overdue, for customers whose lines are shown but unusable.

Runs once: it does nothing when any request exists. Everything goes through the services
(stored, audited) as a privacy officer's entry would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from compliance.models import DataSubjectRequest, RequestChannel, RequestKind
from compliance.privacy import services as privacy
from scoring.models import CreditLine


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        if DataSubjectRequest.objects.exists():
            self.stdout.write("Demo privacy requests: some exist already; nothing added.")
            return
        customer_ids = list(
            CreditLine.objects.shown_but_unusable()
            .order_by("id")
            .values_list("customer_id", flat=True)[:2]
        )
        self.stdout.write(f"Demo privacy requests: {self._privacy_requests(customer_ids)}.")

    def _privacy_requests(self, customer_ids: list[int]) -> int:
        officer = User.objects.filter(username="privacy").first()
        if officer is None or len(customer_ids) < 2:
            return 0
        now = timezone.now()
        due_days = settings.PRIVACY_REQUEST_DUE_DAYS
        plan = (
            (customer_ids[0], RequestKind.EXPLAIN, now - timedelta(days=due_days - 1)),
            (customer_ids[1], RequestKind.ACCESS, now - timedelta(days=due_days + 2)),
        )
        for customer_id, kind, received_at in plan:
            privacy.privacy_request_create(
                actor=officer,
                customer_id=customer_id,
                kind=kind,
                channel=RequestChannel.PHONE,
                received_at=received_at,
            )
        return len(plan)
