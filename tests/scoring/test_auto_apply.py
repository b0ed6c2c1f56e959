"""A scorecard that allows it lets a line's usable limit follow a single assessment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from scoring.assessments import services as jobs
from scoring.models import (
    AssessmentTrigger,
    BlockSource,
    CreditLine,
    CreditLineState,
    CustomerFeatures,
    ReasonCode,
    Scorecard,
)
from scoring.scorecards import services
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auto_apply_champion(supervisor: User) -> Scorecard:
    champion = Scorecard.objects.get(is_champion=True)
    draft = services.scorecard_new_version_from(
        actor=supervisor, scorecard_id=champion.pk, changes={"auto_apply": True}
    )
    return services.scorecard_activate(actor=supervisor, scorecard_id=draft.pk)


def _line_with_good_features(**line: Any) -> CreditLine:
    customer = CustomerFactory()
    CustomerFeatures.objects.create(
        customer=customer,
        monthly_income=Decimal("30000"),
        months_on_book=60,
        bureau_accounts=8,
        utilisation=Decimal("0.1"),
        delinquencies_12m=0,
        device_changes_30d=0,
        distance_from_usual_city_km=2,
        identity_consistency=Decimal("1"),
        attempts_24h=1,
        kyc_expires_on=timezone.localdate() + timedelta(days=700),
    )
    return CreditLineFactory(customer=customer, **line)


def _assess(officer: User, line: CreditLine, capture: Any) -> Any:
    with capture(execute=True):
        assessment = jobs.assessment_request(
            actor=officer,
            customer_id=line.customer_id,
            trigger=AssessmentTrigger.OFFICER,
            credit_line_id=line.pk,
        )
    assessment.refresh_from_db()
    line.refresh_from_db()
    return assessment


def test_the_usable_limit_follows_the_recommendation_capped_at_the_granted_limit(
    auto_apply_champion: Scorecard, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    line = _line_with_good_features(
        state=CreditLineState.ACTIVE, granted_limit=Decimal("100000"), usable_limit=Decimal("0")
    )

    assessment = _assess(officer, line, django_capture_on_commit_callbacks)

    assert assessment.recommended_limit > 0
    assert line.usable_limit == min(assessment.recommended_limit, line.granted_limit)
    latest = line.history.latest()
    assert latest.history_user is None
    assert latest.history_change_reason.startswith(
        f"credit_line.recommendation_applied by system:assessment_run: assessment #{assessment.pk}"
    )
    (entry,) = AuditEntry.objects.filter(action="credit_line.recommendation_applied")
    assert entry.target_id == str(line.pk)
    assert entry.data["usable_limit_before"] == "0.00"
    assert entry.data["usable_limit_after"] == str(line.usable_limit)


def test_an_active_block_keeps_the_limit_from_going_up(
    auto_apply_champion: Scorecard, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    line = _line_with_good_features(
        state=CreditLineState.ACTIVE, granted_limit=Decimal("100000"), usable_limit=Decimal("0")
    )
    BlockFactory(
        credit_line=line, reason_code=ReasonCode.DEVICE_ANOMALY, source=BlockSource.UPSTREAM
    )

    _assess(officer, line, django_capture_on_commit_callbacks)

    assert line.usable_limit == Decimal("0")
    assert not AuditEntry.objects.filter(action="credit_line.recommendation_applied").exists()


def test_without_auto_apply_an_assessment_only_recommends(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert not Scorecard.objects.get(is_champion=True).auto_apply
    line = _line_with_good_features(
        state=CreditLineState.ACTIVE, granted_limit=Decimal("100000"), usable_limit=Decimal("0")
    )

    assessment = _assess(officer, line, django_capture_on_commit_callbacks)

    assert assessment.recommended_limit > 0
    assert line.usable_limit == Decimal("0")
    assert line.history.count() == 1  # only its creation


def test_a_frozen_line_is_never_changed_automatically(
    auto_apply_champion: Scorecard, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    line = _line_with_good_features(
        state=CreditLineState.FROZEN, granted_limit=Decimal("100000"), usable_limit=Decimal("0")
    )

    _assess(officer, line, django_capture_on_commit_callbacks)

    assert line.usable_limit == Decimal("0")
