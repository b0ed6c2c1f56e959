"""An officer's override of a usable limit: the one service that writes it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from scoring.lines.services import credit_line_set_usable_limit
from tests.factories.scoring import CreditLineFactory

pytestmark = pytest.mark.django_db


def test_setting_the_usable_limit_writes_history_and_one_audit_entry(officer) -> None:
    line = CreditLineFactory(granted_limit=Decimal("10000"), usable_limit=Decimal("0"))

    before, after = credit_line_set_usable_limit(
        actor=officer,
        credit_line_id=line.pk,
        usable_limit=Decimal("4000"),
        reason="Identity verified (decision #7)",
        audit_data={"decision": 7},
    )

    line.refresh_from_db()
    assert (before, after, line.usable_limit) == (Decimal("0"), Decimal("4000"), Decimal("4000"))
    latest = line.history.latest()
    assert latest.history_user == officer
    assert latest.history_change_reason == (
        "credit_line.usable_limit_set: Identity verified (decision #7)"
    )
    (entry,) = AuditEntry.objects.filter(action="credit_line.usable_limit_set")
    assert entry.data["decision"] == 7
    assert (entry.data["usable_limit_before"], entry.data["usable_limit_after"]) == (
        "0.00",
        "4000",
    )


@pytest.mark.parametrize("amount", ["-1", "10000.01"])
def test_a_limit_outside_zero_and_the_granted_limit_changes_nothing(officer, amount) -> None:
    line = CreditLineFactory(granted_limit=Decimal("10000"), usable_limit=Decimal("500"))

    with pytest.raises(ValidationError) as caught:
        credit_line_set_usable_limit(
            actor=officer, credit_line_id=line.pk, usable_limit=Decimal(amount), reason="x"
        )

    assert "usable_limit" in caught.value.message_dict
    line.refresh_from_db()
    assert line.usable_limit == Decimal("500")
    assert not AuditEntry.objects.filter(action="credit_line.usable_limit_set").exists()


def test_an_auditor_may_not_set_a_usable_limit(auditor) -> None:
    line = CreditLineFactory(granted_limit=Decimal("10000"), usable_limit=Decimal("0"))

    with pytest.raises(PermissionDenied):
        credit_line_set_usable_limit(
            actor=auditor, credit_line_id=line.pk, usable_limit=Decimal("1"), reason="x"
        )
