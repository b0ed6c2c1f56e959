"""Shared fixtures for the cases tests: a case with its customer, credit line and blocks,
and an API client signed in with a persona's token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case, CaseStatus
from tests.factories.cases import CaseFactory
from tests.factories.scoring import BlockFactory, CreditLineFactory

MakeCase = Callable[..., Case]


@pytest.fixture
def make_case(db: None) -> MakeCase:
    """``make_case(assignee=officer, granted="50000", usable="0", blocks=["KYC_EXPIRED"])``:
    a case about a line with those limits and active blocks; assigned (in review) when an
    assignee is given, else new. Extra keyword arguments go to ``CaseFactory``."""

    def build(
        *,
        assignee: User | None = None,
        granted: Decimal | str = "50000.00",
        usable: Decimal | str = "0.00",
        blocks: Sequence[str] = ("DEVICE_ANOMALY",),
        **fields: Any,
    ) -> Case:
        line = CreditLineFactory(granted_limit=Decimal(granted), usable_limit=Decimal(usable))
        for reason_code in blocks:
            BlockFactory(credit_line=line, reason_code=reason_code)
        if assignee is not None:
            fields.setdefault("status", CaseStatus.IN_REVIEW)
            fields.setdefault("assigned_at", timezone.now())
        return CaseFactory(credit_line=line, assignee=assignee, **fields)

    return build


@pytest.fixture
def api_client() -> Callable[[User], APIClient]:
    """``api_client(user)``: an API client authenticated with the user's token."""

    def build(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return build
