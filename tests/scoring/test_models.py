"""Customers are stored encrypted and hashed; lines and blocks hold their invariants in the
database; "shown but unusable" means exactly what the design says."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portal.api.pagination import CappedCount, count_capped
from portal.pii.crypto import keyed_hash
from scoring.models import (
    REASON_DESCRIPTIONS,
    Block,
    CreditLine,
    CreditLineState,
    Customer,
    ReasonCode,
)
from scoring.selectors import credit_lines_shown_but_unusable
from tests.factories.scoring import BlockFactory, CreditLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _unusable_ids() -> set[int]:
    return set(credit_lines_shown_but_unusable().values_list("pk", flat=True))


# --- shown but unusable -----------------------------------------------------------------------


def test_a_line_with_nothing_usable_is_shown_but_unusable() -> None:
    line = CreditLineFactory(granted_limit=Decimal("5000"), usable_limit=Decimal("0"))
    assert _unusable_ids() == {line.pk}


def test_a_line_with_an_active_block_is_shown_but_unusable_even_with_a_usable_limit() -> None:
    block = BlockFactory(credit_line__usable_limit=Decimal("3000"))
    assert _unusable_ids() == {block.credit_line_id}


def test_a_line_whose_only_block_was_lifted_is_usable() -> None:
    BlockFactory(
        raised_at=timezone.now() - timedelta(hours=1),
        lifted_at=timezone.now(),
        lifted_by_label="rule:reassessment",
        lift_reason="Passed.",
    )
    assert _unusable_ids() == set()


def test_a_line_with_nothing_granted_is_not_shown_so_not_unusable() -> None:
    line = CreditLineFactory(granted_limit=Decimal("0"), usable_limit=Decimal("0"))
    BlockFactory(credit_line=line)
    assert _unusable_ids() == set()


def test_a_closed_line_is_never_shown_but_unusable() -> None:
    line = CreditLineFactory(state=CreditLineState.CLOSED, usable_limit=Decimal("0"))
    BlockFactory(credit_line=line)
    assert _unusable_ids() == set()


def test_a_healthy_line_is_not_listed_and_each_unusable_line_is_listed_once() -> None:
    CreditLineFactory()
    blocked = CreditLineFactory(usable_limit=Decimal("0"))
    BlockFactory(credit_line=blocked, reason_code=ReasonCode.VELOCITY)
    BlockFactory(credit_line=blocked, reason_code=ReasonCode.DEVICE_ANOMALY)
    rows = list(credit_lines_shown_but_unusable().values_list("pk", flat=True))
    assert rows == [blocked.pk]


def test_frozen_and_not_activated_lines_count_when_they_show_a_limit_they_cannot_use() -> None:
    frozen = CreditLineFactory(state=CreditLineState.FROZEN, usable_limit=Decimal("0"))
    declined = CreditLineFactory(state=CreditLineState.NOT_ACTIVATED)
    BlockFactory(credit_line=declined, reason_code=ReasonCode.ACTIVATION_DECLINED)
    CreditLineFactory(state=CreditLineState.NOT_ACTIVATED, usable_limit=Decimal("5000"))
    assert _unusable_ids() == {frozen.pk, declined.pk}


def test_the_capped_count_stops_at_the_cap() -> None:
    for _ in range(4):
        CreditLineFactory(usable_limit=Decimal("0"))
    assert count_capped(credit_lines_shown_but_unusable(), cap=3) == CappedCount(3, capped=True)
    assert count_capped(credit_lines_shown_but_unusable(), cap=10) == CappedCount(4, capped=False)


# --- constraints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "usable"),
    [("1000", "1000.01"), ("-1", "0"), ("1000", "-0.01")],
    ids=["usable above granted", "negative granted", "negative usable"],
)
def test_the_database_refuses_impossible_limits(granted: str, usable: str) -> None:
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLine.objects.create(
            customer=customer,
            product="paylater",
            granted_limit=Decimal(granted),
            usable_limit=Decimal(usable),
        )


def test_the_database_refuses_a_limit_raised_above_granted_by_an_update() -> None:
    line = CreditLineFactory(granted_limit=Decimal("1000"), usable_limit=Decimal("500"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLine.objects.filter(pk=line.pk).update(usable_limit=Decimal("1500"))


def test_a_line_can_have_only_one_active_block_per_reason() -> None:
    block = BlockFactory(reason_code=ReasonCode.GEO_ANOMALY)
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockFactory(credit_line=block.credit_line, reason_code=ReasonCode.GEO_ANOMALY)


def test_after_a_block_is_lifted_the_same_reason_can_block_again() -> None:
    block = BlockFactory(reason_code=ReasonCode.GEO_ANOMALY)
    Block.objects.filter(pk=block.pk).update(
        lifted_at=timezone.now(), lifted_by_label="rule:x", lift_reason="ok"
    )
    BlockFactory(credit_line=block.credit_line, reason_code=ReasonCode.GEO_ANOMALY)
    assert block.credit_line.blocks.count() == 2


def test_a_block_with_an_unknown_reason_code_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockFactory(reason_code="NOT_A_CODE")


def test_an_active_block_cannot_carry_lift_details() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        BlockFactory(lift_reason="lifted without a time")


def test_one_open_line_per_customer_and_product_but_a_closed_one_may_be_followed() -> None:
    line = CreditLineFactory(product="paylater")
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLineFactory(customer=line.customer, product="paylater")
    CreditLine.objects.filter(pk=line.pk).update(state=CreditLineState.CLOSED)
    CreditLineFactory(customer=line.customer, product="paylater")


# --- personal data ----------------------------------------------------------------------------


def test_personal_fields_are_encrypted_in_the_table_and_in_its_history() -> None:
    customer = CustomerFactory(name="张伟", phone="13912345678", national_id="11010519491231002X")
    with connection.cursor() as cursor:
        for table in ("scoring_customer", "scoring_historicalcustomer"):
            cursor.execute(
                f"SELECT name, phone, national_id FROM {table} WHERE id = %s",
                [customer.pk],
            )
            for row in cursor.fetchall():
                for raw in row:
                    assert raw.startswith("gAAAAA")
                    assert "张伟" not in raw
                    assert "13912345678" not in raw
                    assert "11010519491231002X" not in raw
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.name, fresh.phone, fresh.national_id) == (
        "张伟",
        "13912345678",
        "11010519491231002X",
    )


def test_keyed_hashes_follow_the_personal_fields_on_every_save() -> None:
    customer = CustomerFactory(phone="13912345678")
    assert customer.phone_hash == keyed_hash("13912345678", kind="phone")
    customer.phone = "+86 139 0000 1111"
    customer.save(update_fields=["phone"])
    customer.refresh_from_db()
    assert customer.phone_hash == keyed_hash("13900001111", kind="phone")
    assert Customer.objects.get(phone_hash=keyed_hash("13900001111", kind="phone")) == customer


def test_display_values_are_masked() -> None:
    customer = CustomerFactory(
        name="欧阳娜娜", phone="13812345678", national_id="11010519491231002X"
    )
    assert customer.masked_name == "欧***"
    assert customer.masked_phone == "138****5678"
    assert customer.masked_national_id == "110***********002X"
    assert str(customer) == customer.external_id


def test_every_reason_code_has_a_plain_language_description() -> None:
    assert set(REASON_DESCRIPTIONS) == set(ReasonCode.values)
    assert all(str(text) for text in REASON_DESCRIPTIONS.values())
