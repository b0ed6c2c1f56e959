"""Shared fixtures for the cases tests: a case with its customer, credit line and blocks,
and an API client signed in with a persona's token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from cases.models import Case, CaseStatus
from scoring.models import Assessment
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory
from tests.factories.scoring import BlockFactory, CreditLineFactory, make_assessment

MakeCase = Callable[..., Case]


@pytest.fixture
def make_case(db: None) -> MakeCase:
    """``make_case(assignee=officer, granted="50000", usable="0", blocks=["KYC_EXPIRED"])``:
    a case about a line with those limits and active blocks; assigned (in review) when an
    assignee is given, else new. ``recommended="50000"``: the customer also has a succeeded
    assessment recommending that limit, finished ``assessed_days_ago`` days ago (without
    one, any raise of the limit waits for approval). Extra keyword arguments go to
    ``CaseFactory``."""

    def build(
        *,
        assignee: User | None = None,
        granted: Decimal | str = "50000.00",
        usable: Decimal | str = "0.00",
        blocks: Sequence[str] = ("DEVICE_ANOMALY",),
        recommended: Decimal | str | None = None,
        assessed_days_ago: int = 0,
        **fields: Any,
    ) -> Case:
        line = CreditLineFactory(granted_limit=Decimal(granted), usable_limit=Decimal(usable))
        for reason_code in blocks:
            BlockFactory(credit_line=line, reason_code=reason_code)
        if assignee is not None:
            fields.setdefault("status", CaseStatus.IN_REVIEW)
            fields.setdefault("assigned_at", timezone.now())
        case = CaseFactory(credit_line=line, assignee=assignee, **fields)
        if recommended is not None:
            assessment = make_assessment(case.customer)
            finished = timezone.now() - timedelta(days=assessed_days_ago)
            Assessment.objects.filter(pk=assessment.pk).update(
                recommended_limit=Decimal(recommended),
                queued_at=finished,
                started_at=finished,
                finished_at=finished,
            )
        return case

    return build


@pytest.fixture
def second_supervisor(db: None) -> User:
    """Another supervisor: the second pair of eyes for a supervisor's own decision."""
    return UserFactory(username="supervisor2", roles=[Role.SUPERVISOR])


@pytest.fixture
def api_client() -> Callable[[User], APIClient]:
    """``api_client(user)``: an API client authenticated with the user's token."""

    def build(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return build
