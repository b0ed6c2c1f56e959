"""Customers, credit lines and blocks. Plain values are realistic and unique per sequence."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from scoring.demo.reference import id_check_digit
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    Block,
    BlockSource,
    CreditLine,
    CreditLineState,
    Customer,
    CustomerFeatures,
    Product,
    Scorecard,
)


def _national_id(n: int) -> str:
    """A valid 18-character resident ID number, different for every ``n``."""
    birth = date(1970, 1, 1) + timedelta(days=n // 1000)
    first17 = f"310104{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


class CustomerFactory(factory.django.DjangoModelFactory):
    """Saved through ``Customer.save``, so the keyed hashes are filled in."""

    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"TEST-{n:07d}")
    name = factory.Sequence(lambda n: f"测试{'甲乙丙丁戊己庚辛壬癸'[n % 10]}{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    national_id = factory.Sequence(_national_id)
    city = "上海"
    consent_financial_info = True
    consent_version = "2026.1"
    consent_at = factory.LazyFunction(timezone.now)


class CreditLineFactory(factory.django.DjangoModelFactory):
    """An active, healthy line: something granted and something usable."""

    class Meta:
        model = CreditLine

    customer = factory.SubFactory(CustomerFactory)
    product = Product.PAYLATER
    state = CreditLineState.ACTIVE
    granted_limit = Decimal("5000.00")
    usable_limit = Decimal("3000.00")


class BlockFactory(factory.django.DjangoModelFactory):
    """An active block raised by a scoring rule."""

    class Meta:
        model = Block

    credit_line = factory.SubFactory(CreditLineFactory)
    reason_code = "DEVICE_ANOMALY"
    source = BlockSource.RULE
    raised_by_label = "rule:device_fingerprint"
    note = "New device fingerprint at checkout."


def make_assessment(
    customer: Customer,
    scorecard: Scorecard | None = None,
    *,
    features: dict[str, Any] | None = None,
    trigger: str = AssessmentTrigger.OFFICER,
    queued_at: datetime | None = None,
) -> Assessment:
    """A succeeded assessment of ``customer``, scored by the engine (the champion unless
    a scorecard is given). ``features`` override the customer's stored features, or stand
    in for them when the customer has none."""
    from scoring.scorecards.engine import compile_scorecard, score
    from scoring.scorecards.features import features_snapshot

    scorecard = scorecard or Scorecard.objects.get(is_champion=True)
    stored = CustomerFeatures.objects.filter(customer=customer).first()
    snapshot = features_snapshot(stored, customer, today=timezone.localdate())
    snapshot.update(features or {})
    result = score(compile_scorecard(scorecard), snapshot)
    now = queued_at or timezone.now()
    return Assessment.objects.create(
        customer=customer,
        scorecard=scorecard,
        trigger=trigger,
        status=AssessmentStatus.SUCCEEDED,
        requested_by_label="test",
        features=snapshot,
        queued_at=now,
        started_at=now,
        finished_at=now,
        **result.assessment_fields(),
    )
