"""Raising and lifting blocks: one transaction with the change, its history and its audit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from audit.models import AuditEntry
from portal.errors import Conflict
from portal.permissions import SystemActor
from scoring.customers.services import customer_create, customer_search
from scoring.lines.blocks import block_lift, block_raise
from scoring.lines.services import credit_line_open
from scoring.models import Block, BlockSource, CreditLineState, Customer, ReasonCode
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

RULES = SystemActor("rules")


def _audit(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


# --- block_raise ------------------------------------------------------------------------------


def test_an_officer_raises_a_block_with_history_and_an_audit_entry(officer: User) -> None:
    line = CreditLineFactory(usable_limit=Decimal("3000"))

    block = block_raise(
        actor=officer,
        credit_line_id=line.pk,
        reason_code=ReasonCode.DEVICE_ANOMALY,
        source=BlockSource.OFFICER,
        note="Customer called about an unknown phone.",
    )

    assert block.is_active
    assert block.raised_by == officer
    assert block.raised_by_label == officer.username
    version = block.history.get()
    assert version.history_type == "+"
    assert version.history_user == officer
    assert version.history_change_reason == "block.raised: DEVICE_ANOMALY"
    (entry,) = _audit("block.raised")
    assert entry.actor == officer
    assert (entry.target_type, entry.target_id) == ("scoring.block", str(block.pk))
    assert entry.data["credit_line"] == line.pk
    assert entry.data["reason_code"] == "DEVICE_ANOMALY"
    assert entry.data["before"] == {"shown_but_unusable": False, "active_reasons": []}
    assert entry.data["after"] == {
        "shown_but_unusable": True,
        "active_reasons": ["DEVICE_ANOMALY"],
    }


def test_the_system_raises_a_block_without_a_user_and_names_itself(db: None) -> None:
    line = CreditLineFactory()

    block = block_raise(
        actor=RULES,
        credit_line_id=line.pk,
        reason_code=ReasonCode.VELOCITY,
        source=BlockSource.RULE,
    )

    assert block.raised_by is None
    assert block.raised_by_label == "system:rules"
    version = block.history.get()
    assert version.history_user is None
    assert version.history_change_reason == "block.raised by system:rules: VELOCITY"
    (entry,) = _audit("block.raised")
    assert entry.actor is None
    assert entry.actor_label == "system:rules"


def test_raising_a_second_active_block_for_the_same_reason_is_a_conflict(officer: User) -> None:
    block = BlockFactory(reason_code=ReasonCode.GEO_ANOMALY)

    with pytest.raises(Conflict):
        block_raise(
            actor=officer,
            credit_line_id=block.credit_line_id,
            reason_code=ReasonCode.GEO_ANOMALY,
            source=BlockSource.OFFICER,
        )

    assert Block.objects.count() == 1
    assert _audit("block.raised") == []


def test_a_closed_line_cannot_be_blocked(officer: User) -> None:
    line = CreditLineFactory(state=CreditLineState.CLOSED, usable_limit=Decimal("0"))
    with pytest.raises(Conflict):
        block_raise(
            actor=officer,
            credit_line_id=line.pk,
            reason_code=ReasonCode.VELOCITY,
            source=BlockSource.OFFICER,
        )


@pytest.mark.parametrize(
    ("reason_code", "source"),
    [("NOT_A_CODE", BlockSource.OFFICER), (ReasonCode.VELOCITY, "nowhere")],
)
def test_a_reason_or_source_outside_the_lists_is_refused(
    officer: User, reason_code: str, source: str
) -> None:
    line = CreditLineFactory()
    with pytest.raises(ValidationError):
        block_raise(actor=officer, credit_line_id=line.pk, reason_code=reason_code, source=source)
    assert not Block.objects.exists()


def test_an_officer_cannot_pretend_to_be_a_rule_nor_the_system_an_officer(officer: User) -> None:
    line = CreditLineFactory()
    with pytest.raises(ValidationError):
        block_raise(
            actor=officer,
            credit_line_id=line.pk,
            reason_code=ReasonCode.VELOCITY,
            source=BlockSource.RULE,
        )
    with pytest.raises(ValidationError):
        block_raise(
            actor=RULES,
            credit_line_id=line.pk,
            reason_code=ReasonCode.VELOCITY,
            source=BlockSource.OFFICER,
        )


@pytest.mark.parametrize("persona", ["auditor", "privacy_officer"])
def test_read_only_roles_cannot_raise_or_lift_blocks(
    request: pytest.FixtureRequest, persona: str
) -> None:
    user: User = request.getfixturevalue(persona)
    block = BlockFactory()
    with pytest.raises(PermissionDenied):
        block_raise(
            actor=user,
            credit_line_id=block.credit_line_id,
            reason_code=ReasonCode.VELOCITY,
            source=BlockSource.OFFICER,
        )
    with pytest.raises(PermissionDenied):
        block_lift(actor=user, block_id=block.pk, reason="no")
    block.refresh_from_db()
    assert block.is_active


# --- block_lift -------------------------------------------------------------------------------


def test_a_supervisor_lifts_a_block_with_history_and_an_audit_entry(supervisor: User) -> None:
    block = BlockFactory(credit_line__usable_limit=Decimal("3000"))

    lifted = block_lift(
        actor=supervisor, block_id=block.pk, reason="Customer confirmed the device."
    )

    assert not lifted.is_active
    assert lifted.lifted_by == supervisor
    assert lifted.lift_reason == "Customer confirmed the device."
    latest = lifted.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == supervisor
    assert latest.history_change_reason == "block.lifted: Customer confirmed the device."
    (entry,) = _audit("block.lifted")
    assert entry.actor == supervisor
    assert entry.data["before"]["shown_but_unusable"] is True
    assert entry.data["after"] == {"shown_but_unusable": False, "active_reasons": []}
    # Free text stays on the row (erasable), out of the append-only log.
    assert "Customer confirmed" not in json.dumps(entry.data, ensure_ascii=False)


def test_lifting_one_of_two_blocks_leaves_the_line_unusable(officer: User) -> None:
    first = BlockFactory(reason_code=ReasonCode.VELOCITY)
    BlockFactory(credit_line=first.credit_line, reason_code=ReasonCode.DEVICE_ANOMALY)

    block_lift(actor=officer, block_id=first.pk, reason="Velocity rule misfired.")

    (entry,) = _audit("block.lifted")
    assert entry.data["after"] == {
        "shown_but_unusable": True,
        "active_reasons": ["DEVICE_ANOMALY"],
    }


def test_lifting_a_lifted_block_is_a_conflict_and_changes_nothing(officer: User) -> None:
    block = BlockFactory()
    block_lift(actor=officer, block_id=block.pk, reason="First lift.")
    block.refresh_from_db()
    versions = block.history.count()
    entries = AuditEntry.objects.count()

    with pytest.raises(Conflict):
        block_lift(actor=officer, block_id=block.pk, reason="Second lift.")

    block.refresh_from_db()
    assert block.lift_reason == "First lift."
    assert block.history.count() == versions
    assert AuditEntry.objects.count() == entries


def test_a_block_is_not_lifted_without_a_reason(officer: User) -> None:
    block = BlockFactory()
    with pytest.raises(ValidationError):
        block_lift(actor=officer, block_id=block.pk, reason="   ")
    block.refresh_from_db()
    assert block.is_active


def test_lifting_a_block_that_does_not_exist_says_so(officer: User) -> None:
    with pytest.raises(Block.DoesNotExist):
        block_lift(actor=officer, block_id=999_999, reason="?")


# --- customers --------------------------------------------------------------------------------


def test_an_upstream_system_creates_a_customer_audited_without_personal_data(db: None) -> None:
    customer = customer_create(
        actor=SystemActor("partner_api"),
        external_id="P-1",
        name="李娜",
        phone="13712345678",
        national_id="11010519491231002X",
        city="北京",
        consent_financial_info=True,
        consent_version="2026.1",
    )

    assert customer.phone_hash
    assert customer.history.get().history_change_reason == "customer.created by system:partner_api"
    (entry,) = _audit("customer.created")
    text = json.dumps(entry.data, ensure_ascii=False)
    assert "13712345678" not in text
    assert "李娜" not in text
    assert entry.data["phone_masked"] == "137****5678"


def test_staff_do_not_create_customers(officer: User) -> None:
    with pytest.raises(PermissionDenied):
        customer_create(
            actor=officer,  # type: ignore[arg-type]
            external_id="P-2",
            name="李娜",
            phone="13712345678",
            national_id="11010519491231002X",
        )
    assert not Customer.objects.exists()


def test_an_upstream_system_opens_a_credit_line_with_its_limits_checked(db: None) -> None:
    customer = CustomerFactory()
    actor = SystemActor("issuer")
    line = credit_line_open(
        actor=actor, customer_id=customer.pk, product="installment", granted_limit="8000"
    )
    assert line.usable_limit == Decimal("8000")
    assert _audit("credit_line.opened")[0].data["granted_limit"] == "8000.00"
    with pytest.raises(Conflict):
        credit_line_open(
            actor=actor, customer_id=customer.pk, product="installment", granted_limit="1"
        )
    with pytest.raises(ValidationError):
        credit_line_open(
            actor=actor,
            customer_id=customer.pk,
            product="paylater",
            granted_limit="100",
            usable_limit="200",
        )


def test_a_search_is_audited_with_the_kind_of_identifier_but_never_the_term(
    officer: User,
) -> None:
    customer = CustomerFactory(phone="13612345678")

    result = customer_search(actor=officer, term="136 1234 5678")

    assert [c.pk for c in result.customers] == [customer.pk]
    assert result.masked_term == "136****5678"
    (entry,) = _audit("customer.searched")
    assert entry.data == {"match_kind": "phone", "results": 1, "customers": [customer.pk]}
    assert (entry.target_type, entry.target_id) == ("scoring.customer", str(customer.pk))
