"""The pure half of the demo: the same seed gives the same customers, lines, features and
blocks (plain values; times as offsets in seconds before the moment of seeding)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from faker import Faker

from scoring.demo.reference import (
    CITIES,
    CITY_WEIGHTS,
    CUSTOMER_WIDE,
    DAY,
    LIFT_REASONS,
    LIMITS,
    MOBILE_PREFIXES,
    NOTES,
    PRODUCTS,
    RAISERS,
    REASON_WEIGHTS,
    SURNAME_CUM_WEIGHTS,
    SURNAMES,
    id_check_digit,
)
from scoring.models import (
    BlockSource,
    CreditLineState,
    ReasonCode,
)


@dataclass(frozen=True)
class DemoBlock:
    reason_code: str
    source: str
    label: str
    note: str
    raised_ago: int  # seconds before the seeding moment
    by_officer: int | None = None  # index into the officers list, for source "officer"
    lifted_ago: int | None = None
    lift_reason: str = ""


@dataclass(frozen=True)
class DemoLine:
    product: str
    state: str
    granted: int
    usable: int
    opened_ago: int
    blocks: tuple[DemoBlock, ...] = ()


@dataclass(frozen=True)
class DemoFeatures:
    """What the upstream feeds report about a customer (``None``: the feed has nothing).

    Exact types: money in whole yuan, shares in basis points or per mille, the KYC expiry
    as days from the seeding day (negative: expired), so equality is exact.
    """

    monthly_income: int | None
    months_on_book: int | None
    bureau_accounts: int | None
    utilisation_bp: int | None  # 3500 is 35%
    delinquencies_12m: int | None
    device_changes_30d: int | None
    distance_km: int | None
    identity_permille: int | None  # 985 is 0.985
    attempts_24h: int | None
    kyc_expires_in_days: int | None


@dataclass(frozen=True)
class DemoCustomer:
    external_id: str
    name: str
    phone: str
    national_id: str
    city: str
    created_ago: int
    consent: bool
    consent_ago: int | None
    withdrawn_ago: int | None
    lines: tuple[DemoLine, ...] = field(default=())
    features: DemoFeatures | None = None


def external_id_prefix(seed: int) -> str:
    return f"DEMO-{seed}-"


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 -- reproducible demo data, not secrets
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.prefix = external_id_prefix(seed)
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        # Features draw from their own stream, so the people, lines and blocks of a seed
        # stay what they were before features existed.
        self.feature_rng = random.Random(f"features:{seed}")  # noqa: S311 -- demo data

    def choice(self, pairs: Sequence[tuple[Any, int]]) -> Any:
        return self.rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def national_id(self, area: str, female: bool) -> str:
        while True:
            age_days = self.rng.randrange(20 * 365, 65 * 365)
            birth = date(2026, 1, 1) - timedelta(days=age_days)
            sequence = self.rng.randrange(0, 500) * 2 + (0 if female else 1)
            first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def limit(self, product: str) -> int:
        values, weights = LIMITS[product]
        return self.rng.choices(values, weights=weights)[0]

    def healthy_usable(self, granted: int) -> int:
        used = int(granted * self.rng.random() * 0.9) // 100 * 100
        return max(granted - used, 100) if granted else 0

    def block(self, reason: str, opened_ago: int) -> DemoBlock:
        source, label = RAISERS[reason]
        by_officer = None
        if reason != ReasonCode.SYSTEM_ERROR and self.rng.random() < 0.08:
            source, label, by_officer = BlockSource.OFFICER, "", self.rng.randrange(1000)
        raised_ago = self.rng.randrange(600, max(601, min(opened_ago, 60 * DAY)))
        return DemoBlock(reason, source, label, NOTES[reason], raised_ago, by_officer)

    def lifted_block(self, opened_ago: int) -> DemoBlock:
        reason = self.choice(REASON_WEIGHTS)
        block = self.block(reason, opened_ago)
        return replace(
            block,
            lifted_ago=self.rng.randrange(0, block.raised_ago),
            lift_reason=self.rng.choice(LIFT_REASONS),
        )

    def customer(self, index: int) -> DemoCustomer:  # noqa: C901  (one draw per demo attribute, in a fixed order for determinism)
        rng = self.rng
        female = rng.random() < 0.5
        surname = rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0]
        name = surname + (self.fake.first_name_female() if female else self.fake.first_name_male())
        city, area, _w = rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
        phone = self.phone()
        national_id = self.national_id(area, female)
        created_ago = rng.randrange(30 * DAY, 1000 * DAY)

        count = rng.choices((1, 2, 3), weights=(62, 30, 8))[0]
        products: list[str] = []
        while len(products) < count:
            product = self.choice(PRODUCTS)
            if product not in products:
                products.append(product)

        lines: list[dict[str, Any]] = []
        for product in products:
            opened_ago = rng.randrange(DAY, created_ago)
            granted = self.limit(product)
            roll = rng.random()
            line: dict[str, Any] = {"product": product, "opened_ago": opened_ago, "blocks": []}
            if roll < 0.85:
                line.update(state=CreditLineState.ACTIVE, granted=granted)
                line["usable"] = self.healthy_usable(granted)
                if rng.random() < 0.05:  # a block raised and lifted earlier
                    line["blocks"].append(self.lifted_block(opened_ago))
            elif roll < 0.94:  # granted, waiting for the customer to activate
                line.update(state=CreditLineState.NOT_ACTIVATED, granted=granted, usable=granted)
            elif roll < 0.98:
                line.update(state=CreditLineState.CLOSED, granted=granted, usable=0)
            else:  # limit withdrawn at review: nothing shown, so nothing unusable
                line.update(state=CreditLineState.ACTIVE, granted=0, usable=0)
            lines.append(line)

        consent_given, withdrawn = True, False
        story = rng.random()
        open_lines = [ln for ln in lines if ln["state"] != CreditLineState.CLOSED]
        if story < 0.20 and open_lines:
            reason = self.choice(REASON_WEIGHTS)
            targets = open_lines if reason in CUSTOMER_WIDE else [rng.choice(open_lines)]
            for line in targets:
                if not line["granted"]:
                    line["granted"] = self.limit(line["product"])
                    line["usable"] = self.healthy_usable(line["granted"])
                    line["state"] = CreditLineState.ACTIVE
                self._make_unusable(line, reason)
            if reason == ReasonCode.CONSENT_MISSING:
                # Given once and withdrawn since, or never given.
                consent_given = rng.random() < 0.5
                withdrawn = consent_given
        elif story < 0.23 and open_lines:  # frozen by an officer or by the KYC system
            line = rng.choice(open_lines)
            reason = rng.choice((ReasonCode.VELOCITY, ReasonCode.KYC_EXPIRED))
            if not line["granted"]:
                line["granted"] = self.limit(line["product"])
            line.update(state=CreditLineState.FROZEN, usable=0)
            line["blocks"].append(self.block(reason, line["opened_ago"]))

        consent_ago = rng.randrange(created_ago - DAY, created_ago) if consent_given else None
        active_reasons = {
            b.reason_code for ln in lines for b in ln["blocks"] if b.lifted_ago is None
        }
        if story < 0.20 and open_lines:
            active_reasons.add(reason)  # a score cut to zero without a block still scores low
        withdrawn_ago = rng.randrange(DAY, 20 * DAY) if withdrawn else None
        return DemoCustomer(
            external_id=f"{self.prefix}{index:07d}",
            name=name,
            phone=phone,
            national_id=national_id,
            city=city,
            created_ago=created_ago,
            consent=consent_given and not withdrawn,
            consent_ago=consent_ago,
            withdrawn_ago=withdrawn_ago,
            lines=tuple(
                DemoLine(
                    product=ln["product"],
                    state=ln["state"],
                    granted=ln["granted"],
                    usable=ln["usable"],
                    opened_ago=ln["opened_ago"],
                    blocks=tuple(ln["blocks"]),
                )
                for ln in lines
            ),
            features=self.features(active_reasons, created_ago),
        )

    def features(self, reasons: set[str], created_ago: int) -> DemoFeatures:
        """Features consistent with the customer's active block causes: a customer blocked
        for DEVICE_ANOMALY has many device changes, a thin file has no bureau accounts, a
        score below cut-off has low income, high utilisation and delinquencies. Healthy
        customers stay inside every block rule of the default scorecard."""
        rng = self.feature_rng

        def sometimes_missing(value: int, rate: float) -> int | None:
            return None if rng.random() < rate else value

        income = sometimes_missing(int(rng.lognormvariate(9.0, 0.5)) // 100 * 100, 0.02)
        months = sometimes_missing(created_ago // (30 * DAY) + rng.randrange(0, 24), 0.01)
        bureau: int | None = rng.choices(
            (1, 2, 3, 4, 5, 6, 8), weights=(8, 15, 20, 20, 15, 12, 10)
        )[0]
        utilisation = sometimes_missing(int(rng.betavariate(2, 4) * 10_000), 0.03)
        delinquencies = sometimes_missing(
            rng.choices((0, 1, 2, 3), weights=(85, 10, 4, 1))[0], 0.02
        )
        devices = sometimes_missing(rng.choices((0, 1, 2), weights=(70, 25, 5))[0], 0.02)
        distance = sometimes_missing(min(int(rng.expovariate(1 / 40)), 1400), 0.03)
        identity = sometimes_missing(rng.randrange(930, 1001), 0.01)
        attempts = sometimes_missing(
            rng.choices((0, 1, 2, 3, 4), weights=(40, 30, 15, 10, 5))[0], 0.02
        )
        kyc = sometimes_missing(rng.randrange(60, 3650), 0.01)

        if ReasonCode.SCORE_BELOW_CUTOFF in reasons:
            income = rng.randrange(15, 40) * 100
            utilisation = rng.randrange(8500, 10_000)
            delinquencies = rng.randrange(2, 6)
        if ReasonCode.THIN_FILE in reasons:
            bureau = 0 if rng.random() < 0.5 else None
        if ReasonCode.DEVICE_ANOMALY in reasons:
            devices = rng.randrange(4, 10)
        if ReasonCode.GEO_ANOMALY in reasons:
            distance = rng.randrange(1500, 3500)
        if ReasonCode.VELOCITY in reasons:
            attempts = rng.randrange(6, 16)
        if ReasonCode.DATA_MISMATCH in reasons:
            identity = rng.randrange(350, 600)
        if ReasonCode.KYC_EXPIRED in reasons:
            kyc = -rng.randrange(1, 400)
        return DemoFeatures(
            monthly_income=income,
            months_on_book=months,
            bureau_accounts=bureau,
            utilisation_bp=utilisation,
            delinquencies_12m=delinquencies,
            device_changes_30d=devices,
            distance_km=distance,
            identity_permille=identity,
            attempts_24h=attempts,
            kyc_expires_in_days=kyc,
        )

    def _make_unusable(self, line: dict[str, Any], reason: str) -> None:
        rng = self.rng
        with_block = True
        if reason == ReasonCode.SCORE_BELOW_CUTOFF:
            line["usable"] = 0
            with_block = rng.random() < 0.6  # otherwise the limit was simply cut to zero
        elif reason == ReasonCode.THIN_FILE and rng.random() < 0.5:
            line["usable"] = 0
        elif reason == ReasonCode.ACTIVATION_DECLINED:
            line["state"] = CreditLineState.NOT_ACTIVATED
            line["usable"] = 0 if rng.random() < 0.5 else line["granted"]
        elif reason == ReasonCode.KYC_EXPIRED and rng.random() < 0.3:
            line.update(state=CreditLineState.FROZEN, usable=0)
        if with_block:
            line["blocks"].append(self.block(reason, line["opened_ago"]))
        if reason == ReasonCode.VELOCITY and rng.random() < 0.25:
            line["blocks"].append(self.block(ReasonCode.DEVICE_ANOMALY, line["opened_ago"]))


def generate_customers(*, count: int, seed: int) -> Iterator[DemoCustomer]:
    """Customers ``0 … count-1`` of the demo population for ``seed`` (pure, deterministic)."""
    generator = _Generator(seed)
    for index in range(count):
        yield generator.customer(index)
