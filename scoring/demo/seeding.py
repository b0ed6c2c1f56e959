"""Writing the demo population: customers, features, lines and blocks in batches with their
history rows (``history_user`` empty: the system acted; change reason ``seed_demo``), and
one audit entry for the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.actions import AuditAction
from audit.history_rows import change_reason
from audit.log import audit_record
from portal.permissions import SystemActor
from scoring.demo.generation import (
    DemoBlock,
    DemoCustomer,
    DemoFeatures,
    external_id_prefix,
    generate_customers,
)
from scoring.demo.reference import CONSENT_VERSION
from scoring.demo.row_writer import Row, RowWriter
from scoring.models import (
    CURRENCY,
    Block,
    CreditLine,
    Customer,
    CustomerFeatures,
    personal_hashes,
)

CHANGE_REASON = change_reason(AuditAction.DEMO_SEEDED, SystemActor("seed_demo"))


@dataclass
class DemoSeedResult:
    customers: int = 0
    features: int = 0
    credit_lines: int = 0
    blocks: int = 0
    active_blocks: int = 0
    states: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)

    def as_audit_data(self, *, seed: int) -> dict[str, Any]:
        return {
            "seed": seed,
            "customers": self.customers,
            "features": self.features,
            "credit_lines": self.credit_lines,
            "blocks": self.blocks,
            "active_blocks": self.active_blocks,
            "states": {str(k): v for k, v in sorted(self.states.items())},
            "active_block_reasons": {str(k): v for k, v in sorted(self.reasons.items())},
        }


def demo_customers_exist(*, seed: int) -> int:
    """How many customers of this seed's population are already stored."""
    return Customer.objects.filter(external_id__startswith=external_id_prefix(seed)).count()


def _batched(items: Iterator[DemoCustomer], size: int) -> Iterator[list[DemoCustomer]]:
    while batch := list(islice(items, size)):
        yield batch


def _history(row: Row, *, when: datetime, kind: str, user_id: int | None, reason: str) -> Row:
    return {
        **row,
        "history_date": when,
        "history_type": kind,
        "history_user_id": user_id,
        "history_change_reason": reason,
    }


def _feature_row(features: DemoFeatures, *, customer_id: int, now: datetime) -> Row:
    def scaled(value: int | None, places: int) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-places)

    today = timezone.localdate(now)
    return {
        "customer_id": customer_id,
        "monthly_income": scaled(features.monthly_income, 0),
        "months_on_book": features.months_on_book,
        "bureau_accounts": features.bureau_accounts,
        "utilisation": scaled(features.utilisation_bp, 4),
        "delinquencies_12m": features.delinquencies_12m,
        "device_changes_30d": features.device_changes_30d,
        "distance_from_usual_city_km": features.distance_km,
        "identity_consistency": scaled(features.identity_permille, 3),
        "attempts_24h": features.attempts_24h,
        "kyc_expires_on": (
            today + timedelta(days=features.kyc_expires_in_days)
            if features.kyc_expires_in_days is not None
            else None
        ),
        "updated_at": now,
    }


def demo_write(
    *,
    customers: int,
    seed: int,
    officers: Sequence[User] = (),
    batch_size: int = 2000,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSeedResult:
    """Write the population for ``seed`` with its history rows, in batches.

    The caller owns the transaction. History: one "+" row per customer and line at its
    creation time, one "+" row per block when raised and a "~" row when lifted; the user
    is the officer who acted, else empty (the system), with the change reason ``seed_demo``.
    """
    now = now or timezone.now()
    result = DemoSeedResult()
    writer = RowWriter(batch_size)
    customer_history = Customer.history.model
    line_history = CreditLine.history.model
    block_history = Block.history.model
    features_history = CustomerFeatures.history.model

    def ago(seconds: int) -> datetime:
        return now - timedelta(seconds=seconds)

    for batch in _batched(generate_customers(count=customers, seed=seed), batch_size):
        rows: list[Row] = []
        for demo in batch:
            created_at = ago(demo.created_ago)
            rows.append(
                {
                    "external_id": demo.external_id,
                    "name": demo.name,
                    "phone": demo.phone,
                    "national_id": demo.national_id,
                    **personal_hashes(
                        name=demo.name, phone=demo.phone, national_id=demo.national_id
                    ),
                    "city": demo.city,
                    "consent_financial_info": demo.consent,
                    "consent_version": CONSENT_VERSION if demo.consent_ago is not None else "",
                    "consent_at": ago(demo.consent_ago) if demo.consent_ago is not None else None,
                    "consent_withdrawn_at": (
                        ago(demo.withdrawn_ago) if demo.withdrawn_ago is not None else None
                    ),
                    "created_at": created_at,
                    "updated_at": now,
                }
            )
        customer_ids = writer.insert(Customer, rows, ids=True)
        writer.insert(
            customer_history,
            [
                _history(
                    {**row, "id": pk},
                    when=row["created_at"],
                    kind="+",
                    user_id=None,
                    reason=CHANGE_REASON,
                )
                for row, pk in zip(rows, customer_ids, strict=True)
            ],
            ids=False,
        )

        feature_rows = [
            _feature_row(demo.features, customer_id=customer_id, now=now)
            for demo, customer_id in zip(batch, customer_ids, strict=True)
            if demo.features is not None
        ]
        writer.insert(CustomerFeatures, feature_rows, ids=False)
        writer.insert(
            features_history,
            [
                _history(row, when=now, kind="+", user_id=None, reason=CHANGE_REASON)
                for row in feature_rows
            ],
            ids=False,
        )
        result.features += len(feature_rows)

        line_rows: list[Row] = []
        line_blocks: list[tuple[DemoBlock, ...]] = []
        for demo, customer_id in zip(batch, customer_ids, strict=True):
            for demo_line in demo.lines:
                line_rows.append(
                    {
                        "customer_id": customer_id,
                        "product": str(demo_line.product),
                        "state": str(demo_line.state),
                        "granted_limit": Decimal(demo_line.granted),
                        "usable_limit": Decimal(demo_line.usable),
                        "currency": CURRENCY,
                        "opened_at": ago(demo_line.opened_ago),
                        "updated_at": now,
                    }
                )
                line_blocks.append(demo_line.blocks)
                result.states[demo_line.state] += 1
        line_ids = writer.insert(CreditLine, line_rows, ids=True)
        writer.insert(
            line_history,
            [
                _history(
                    {**row, "id": pk},
                    when=row["opened_at"],
                    kind="+",
                    user_id=None,
                    reason=CHANGE_REASON,
                )
                for row, pk in zip(line_rows, line_ids, strict=True)
            ],
            ids=False,
        )

        block_rows: list[Row] = []
        for line_id, demo_blocks in zip(line_ids, line_blocks, strict=True):
            for demo_block in demo_blocks:
                officer = (
                    officers[demo_block.by_officer % len(officers)]
                    if demo_block.by_officer is not None and officers
                    else None
                )
                label = officer.username if officer else demo_block.label
                lifted = demo_block.lifted_ago is not None
                block_rows.append(
                    {
                        "credit_line_id": line_id,
                        "reason_code": str(demo_block.reason_code),
                        "source": str(demo_block.source),
                        "raised_at": ago(demo_block.raised_ago),
                        "raised_by_id": officer.pk if officer else None,
                        "raised_by_label": label,
                        "note": demo_block.note,
                        "lifted_at": (
                            ago(demo_block.lifted_ago)
                            if demo_block.lifted_ago is not None
                            else None
                        ),
                        "lifted_by_id": officer.pk if officer and lifted else None,
                        "lifted_by_label": label if lifted else "",
                        "lift_reason": demo_block.lift_reason,
                    }
                )
                if not lifted:
                    result.active_blocks += 1
                    result.reasons[demo_block.reason_code] += 1
        block_ids = writer.insert(Block, block_rows, ids=True)
        history: list[Row] = []
        for row, pk in zip(block_rows, block_ids, strict=True):
            raised = {
                **row,
                "id": pk,
                "lifted_at": None,
                "lifted_by_id": None,
                "lifted_by_label": "",
                "lift_reason": "",
            }
            history.append(
                _history(
                    raised,
                    when=row["raised_at"],
                    kind="+",
                    user_id=row["raised_by_id"],
                    reason=f"{CHANGE_REASON}: block.raised",
                )
            )
            if row["lifted_at"] is not None:
                history.append(
                    _history(
                        {**row, "id": pk},
                        when=row["lifted_at"],
                        kind="~",
                        user_id=row["lifted_by_id"],
                        reason=f"{CHANGE_REASON}: block.lifted",
                    )
                )
        writer.insert(block_history, history, ids=False)

        result.customers += len(customer_ids)
        result.credit_lines += len(line_ids)
        result.blocks += len(block_ids)
        if progress is not None:
            progress(result.customers)
    return result


@transaction.atomic
def demo_seed(
    *,
    actor: SystemActor,
    customers: int,
    seed: int,
    officers: Sequence[User] = (),
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> DemoSeedResult:
    """Seed the demo population and record one audit entry for the run (all or nothing)."""
    result = demo_write(
        customers=customers,
        seed=seed,
        officers=officers,
        batch_size=batch_size,
        progress=progress,
    )
    audit_record(
        actor=actor,
        action=AuditAction.DEMO_SEEDED,
        target=None,
        data=result.as_audit_data(seed=seed),
    )
    return result
