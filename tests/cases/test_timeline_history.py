"""History versions of the case, its credit line and the line's blocks on the timeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.history_rows import save_with_history
from cases.decisions.services import decision_propose
from cases.models import Case, CaseEventKind, CaseStatus
from cases.selectors.timeline import HISTORY_KIND, _changes, _history_part, case_timeline
from portal.permissions import SystemActor
from scoring.lines.blocks import block_lift
from scoring.models import Block, CreditLine, Customer
from tests.cases.conftest import MakeCase
from tests.factories.scoring import CustomerFactory

pytestmark = pytest.mark.django_db


def _change_texts(item: Any) -> list[tuple[str, str, str]]:
    return [(c.field, c.old, c.new) for c in item.changes]


def test_an_applied_override_shows_the_line_change_under_its_event(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, granted="50000.00", usable="0.00", recommended="50000")

    decision_propose(
        actor=officer,
        case_id=case.pk,
        version=case.version,
        kind="override_limit",
        reason_code="IDENTITY_VERIFIED",
        justification="Verified by phone.",
        usable_limit="5000",
    )

    timeline = case_timeline(case=Case.objects.get(pk=case.pk))
    applied = next(i for i in timeline if i.kind == CaseEventKind.DECISION_APPLIED)
    assert ("usable_limit", "0.00", "5000.00") in _change_texts(applied)
    assert ("status", "In review", "In review") not in _change_texts(applied)
    assert applied.actor == "officer"
    assert not [i for i in timeline if i.kind == HISTORY_KIND]  # nothing shown twice


def test_a_change_without_an_event_is_its_own_line_with_actor_and_reason(
    officer: User, supervisor: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, blocks=["DEVICE_ANOMALY"])
    block = Block.objects.get(credit_line=case.credit_line)

    block_lift(actor=supervisor, block_id=block.pk, reason="Customer confirmed the new phone")

    item = next(i for i in case_timeline(case=case) if i.kind == HISTORY_KIND)
    assert item.actor == "supervisor"
    assert item.record == f"block #{block.pk}"
    assert "block" in item.reason or "Customer confirmed" in item.reason
    fields = {c.field for c in item.changes}
    assert {"lifted_at", "lift_reason"} <= fields


def test_history_before_the_case_opened_is_only_the_baseline(
    officer: User, make_case: MakeCase
) -> None:
    case = make_case(assignee=officer, usable="100.00")
    line = case.credit_line
    # A change long before the case: not on its timeline.
    line.history.update(history_date=timezone.now() - timedelta(days=30))
    Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(days=1))
    case.refresh_from_db()
    line.usable_limit = Decimal("900.00")
    save_with_history(
        line, actor=SystemActor("rules"), reason="nightly rules", fields=["usable_limit"]
    )

    changed = [i for i in case_timeline(case=case) if i.kind == HISTORY_KIND and i.changes]

    assert len(changed) == 1
    assert _change_texts(changed[0]) == [("usable_limit", "100.00", "900.00")]
    assert changed[0].actor == ""
    assert changed[0].reason == "nightly rules"


@pytest.mark.parametrize("versions", [3, 60])
def test_the_timeline_costs_two_queries_however_long_the_history(
    officer: User, make_case: MakeCase, versions: int, django_assert_max_num_queries: Any
) -> None:
    case = make_case(assignee=officer)
    line = CreditLine.objects.get(pk=case.credit_line_id)
    for n in range(versions):
        line.usable_limit = Decimal(n)
        save_with_history(line, actor=officer, reason=f"step {n}", fields=["usable_limit"])
        case.priority = 1 + n % 4
        save_with_history(case, actor=officer, reason=f"step {n}", fields=["priority"])

    with django_assert_max_num_queries(2):
        timeline = case_timeline(case=case, limit=50)

    assert len(timeline) == min(50, 2 * versions - 1)  # the first priority is unchanged
    assert timeline == sorted(timeline, key=lambda i: i.at, reverse=True)


@pytest.mark.parametrize("versions", [2, 40])
def test_the_case_page_shows_history_with_bounded_queries(
    client: Any,
    officer: User,
    make_case: MakeCase,
    versions: int,
    django_assert_max_num_queries: Any,
) -> None:
    case = make_case(assignee=officer, status=CaseStatus.IN_REVIEW)
    line = CreditLine.objects.get(pk=case.credit_line_id)
    for n in range(versions):
        line.usable_limit = Decimal(100 + n)
        save_with_history(
            line, actor=officer, reason="credit_line.usable_limit_set", fields=["usable_limit"]
        )
    client.force_login(officer)
    client.get(reverse("cases:detail", args=[case.pk]))

    with django_assert_max_num_queries(12):
        page = client.get(reverse("cases:detail", args=[case.pk])).text

    assert 'data-testid="history-changes"' in page
    assert f"→ {100 + versions - 1}.00" in page


def test_personal_fields_are_masked_in_history_changes() -> None:
    customer = CustomerFactory(phone="13912345678", name="王小明")
    since = timezone.now() - timedelta(minutes=1)
    customer.phone = "13800001111"
    save_with_history(customer, actor=SystemActor("correction"), reason="fix", fields=["phone"])

    rows = [r for r in _history_part(Customer, "customer", Q(id=customer.pk), since) if r["t_prev"]]

    changes = _changes(Customer, rows[-1]["t_snap"], rows[-1]["t_prev"])
    phone = next(c for c in changes if c.field == "phone")
    assert (phone.old, phone.new, phone.personal) == ("(changed)", "(changed)", True)
    assert "1111" not in f"{phone.old}{phone.new}"
    assert "5678" not in f"{phone.old}{phone.new}"
    assert "13800001111" not in str(rows)
