"""Cases. ``CaseFactory`` writes the row directly (tests of the services use the services)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from cases.models import Case, CaseCategory, CaseSource, CaseStatus, Priority
from tests.factories.scoring import CreditLineFactory


class CaseFactory(factory.django.DjangoModelFactory):
    """A new, unassigned case about a shown-but-unusable line, due in three days."""

    class Meta:
        model = Case

    credit_line = factory.SubFactory(CreditLineFactory)
    customer = factory.SelfAttribute("credit_line.customer")
    category = CaseCategory.LIMIT_UNUSABLE
    source = CaseSource.DETECTION
    reason_code = "DEVICE_ANOMALY"
    status = CaseStatus.NEW
    priority = Priority.P3
    sla_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))
