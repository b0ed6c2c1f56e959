"""Deterministic demo customers, credit lines and blocks for ``manage.py seed_demo``.

Two halves:

- ``generate_customers(count=, seed=)`` is pure: the same seed gives the same plain values
  (names, mobile numbers, ID numbers, cities, limits, states, block causes), and customer
  ``i`` does not depend on ``count`` (a smaller run is a prefix of a larger one). Times are
  offsets in seconds before the moment of seeding.
- ``demo_seed(...)`` writes them in batches with ``bulk_create`` and their history rows
  (``history_user`` empty: the system acted; change reason ``seed_demo``), and records one
  audit entry for the run.

The spread follows the design's table of causes: most lines are healthy; about one customer
in five has a line that is shown but unusable, across every reason code; some lines are not
activated, some frozen, some closed, and some healthy lines carry a block lifted earlier.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, islice
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker
from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from accounts.models import User
from audit.log import audit_record, change_reason
from portal.permissions import SystemActor
from portal.pii.fields import EncryptedTextField
from scoring.models import (
    CURRENCY,
    Block,
    BlockSource,
    CreditLine,
    CreditLineState,
    Customer,
    CustomerFeatures,
    Product,
    ReasonCode,
    personal_hashes,
)

DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 20261123
CHANGE_REASON = change_reason("demo.seeded", SystemActor("seed_demo"))
CONSENT_VERSION = "2026.1"
DAY = 86_400

# --- reference data ---------------------------------------------------------------------------

# (city, administrative division code of a district there, weight). The ID number's first
# six digits come from the city, as they would for someone registered there.
CITIES: tuple[tuple[str, str, int], ...] = (
    ("上海", "310104", 10),
    ("北京", "110105", 10),
    ("深圳", "440304", 8),
    ("广州", "440106", 8),
    ("杭州", "330106", 6),
    ("成都", "510107", 6),
    ("重庆", "500103", 6),
    ("武汉", "420106", 5),
    ("南京", "320106", 5),
    ("西安", "610113", 5),
    ("苏州", "320508", 4),
    ("天津", "120101", 4),
    ("长沙", "430104", 4),
    ("郑州", "410105", 4),
    ("东莞", "441900", 3),
    ("青岛", "370212", 3),
    ("沈阳", "210102", 3),
    ("宁波", "330203", 3),
    ("昆明", "530102", 3),
    ("合肥", "340104", 3),
    ("佛山", "440604", 3),
    ("厦门", "350203", 2),
    ("福州", "350102", 2),
    ("济南", "370102", 2),
    ("哈尔滨", "230102", 2),
    ("大连", "210202", 2),
    ("南昌", "360102", 2),
    ("南宁", "450102", 2),
    ("贵阳", "520102", 2),
    ("石家庄", "130102", 2),
    ("太原", "140105", 2),
    ("长春", "220102", 2),
    ("无锡", "320214", 2),
    ("温州", "330302", 2),
    ("兰州", "620102", 1),
    ("乌鲁木齐", "650102", 1),
    ("海口", "460106", 1),
    ("呼和浩特", "150102", 1),
    ("银川", "640104", 1),
    ("西宁", "630102", 1),
)
_CITY_WEIGHTS = [w for _, _, w in CITIES]

# Mainland mobile prefixes (China Mobile, Unicom, Telecom, Broadnet): 13x, 15x, 18x, 19x.
MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    *(f"18{d}" for d in range(10)),
    "190", "191", "192", "193", "195", "196", "197", "198", "199",
)  # fmt: skip

# Faker's zh_CN surnames with their frequencies; drawn with precomputed cumulative weights
# (Faker's own weighted draw recomputes them on every call, 10x slower at this volume).
_SURNAMES = list(ChinesePersonProvider.last_names)
_SURNAME_CUM_WEIGHTS = list(accumulate(ChinesePersonProvider.last_names.values()))

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of an 18-character resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


PRODUCTS: tuple[tuple[str, int], ...] = (
    (Product.PAYLATER, 55),
    (Product.INSTALLMENT, 30),
    (Product.CASH_LINE, 15),
)
LIMITS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    Product.PAYLATER: ((500, 1000, 1500, 2000, 3000, 5000), (10, 20, 15, 25, 20, 10)),
    Product.INSTALLMENT: (
        (2000, 3000, 5000, 8000, 10000, 15000, 20000),
        (8, 12, 25, 20, 18, 10, 7),
    ),
    Product.CASH_LINE: ((5000, 10000, 20000, 30000, 50000), (20, 30, 25, 15, 10)),
}

# How often each cause is the reason a customer's line is unusable (the design's table).
REASON_WEIGHTS: tuple[tuple[str, int], ...] = (
    (ReasonCode.SCORE_BELOW_CUTOFF, 16),
    (ReasonCode.THIN_FILE, 10),
    (ReasonCode.ASSESSMENT_STALE, 12),
    (ReasonCode.DEVICE_ANOMALY, 9),
    (ReasonCode.GEO_ANOMALY, 7),
    (ReasonCode.VELOCITY, 7),
    (ReasonCode.DATA_MISMATCH, 8),
    (ReasonCode.KYC_EXPIRED, 8),
    (ReasonCode.CONSENT_MISSING, 5),
    (ReasonCode.SYSTEM_ERROR, 10),
    (ReasonCode.ACTIVATION_DECLINED, 8),
)
# Causes that concern the person rather than one product: every open line is blocked.
CUSTOMER_WIDE = frozenset(
    {ReasonCode.DATA_MISMATCH, ReasonCode.KYC_EXPIRED, ReasonCode.CONSENT_MISSING}
)
# Who raises each cause, and the rule or system named on the block (no personal data).
RAISERS: dict[str, tuple[str, str]] = {
    ReasonCode.SCORE_BELOW_CUTOFF: (BlockSource.RULE, "rule:score_cutoff"),
    ReasonCode.THIN_FILE: (BlockSource.RULE, "rule:file_depth"),
    ReasonCode.ASSESSMENT_STALE: (BlockSource.RULE, "rule:assessment_age"),
    ReasonCode.DEVICE_ANOMALY: (BlockSource.RULE, "rule:device_fingerprint"),
    ReasonCode.GEO_ANOMALY: (BlockSource.RULE, "rule:geo_distance"),
    ReasonCode.VELOCITY: (BlockSource.RULE, "rule:attempt_velocity"),
    ReasonCode.DATA_MISMATCH: (BlockSource.UPSTREAM, "upstream:identity_verification"),
    ReasonCode.KYC_EXPIRED: (BlockSource.UPSTREAM, "upstream:kyc"),
    ReasonCode.CONSENT_MISSING: (BlockSource.UPSTREAM, "upstream:consent_registry"),
    ReasonCode.SYSTEM_ERROR: (BlockSource.UPSTREAM, "upstream:payment_gateway"),
    ReasonCode.ACTIVATION_DECLINED: (BlockSource.UPSTREAM, "upstream:activation"),
}
NOTES: dict[str, str] = {
    ReasonCode.SCORE_BELOW_CUTOFF: "Score under the product cut-off at the last scheduled run.",
    ReasonCode.THIN_FILE: "Fewer than two credit-bureau trade lines.",
    ReasonCode.ASSESSMENT_STALE: "Last assessment older than 180 days.",
    ReasonCode.DEVICE_ANOMALY: "New device fingerprint at checkout.",
    ReasonCode.GEO_ANOMALY: "Checkout far from the usual city.",
    ReasonCode.VELOCITY: "Five checkout attempts within ten minutes.",
    ReasonCode.DATA_MISMATCH: "Declared income differs from the payroll source.",
    ReasonCode.KYC_EXPIRED: "ID document validity date has passed.",
    ReasonCode.CONSENT_MISSING: "No current consent record for financial information.",
    ReasonCode.SYSTEM_ERROR: "Payment timed out during a peak-load incident.",
    ReasonCode.ACTIVATION_DECLINED: "Activation declined by the issuing partner.",
}
LIFT_REASONS = (
    "Re-assessment passed; block no longer applies.",
    "Customer confirmed the new device through the app.",
    "Upstream incident resolved; attempt retried successfully.",
    "Documents renewed and verified.",
)


# --- generation -------------------------------------------------------------------------------


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

    def customer(self, index: int) -> DemoCustomer:
        rng = self.rng
        female = rng.random() < 0.5
        surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]
        name = surname + (self.fake.first_name_female() if female else self.fake.first_name_male())
        city, area, _w = rng.choices(CITIES, weights=_CITY_WEIGHTS)[0]
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


# --- writing ----------------------------------------------------------------------------------


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


Row = dict[str, Any]  # column attname → Python value, as the model field holds it


def _can_copy() -> bool:
    return connection.vendor == "postgresql"


class _RowWriter:
    """Inserts rows of a model, live or historical, and returns the new ids.

    PostgreSQL: ids are drawn from the table's sequence and the rows go in with ``COPY``
    (the ORM's per-value preparation dominated the run time otherwise; fields that
    transform values on the way in, like ``EncryptedTextField``, still go through their
    own ``get_db_prep_save``). Elsewhere (SQLite for ``make run``): ``bulk_create``.
    """

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.copy = _can_copy()

    def insert(self, model: type[models.Model], rows: list[Row], *, ids: bool) -> list[int]:
        if not rows:
            return []
        if not self.copy:
            objs = model._default_manager.bulk_create(
                [model(**row) for row in rows], batch_size=self.batch_size
            )
            return [int(obj.pk) for obj in objs] if ids else []
        table = model._meta.db_table
        new_ids: list[int] = []
        pk = model._meta.pk
        assert pk is not None
        with connection.cursor() as cursor:
            if ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk.column, len(rows)],
                )
                new_ids = [int(r[0]) for r in cursor.fetchall()]
                rows = [{pk.attname: i, **row} for i, row in zip(new_ids, rows, strict=True)]
            fields = [f for f in model._meta.concrete_fields if f.attname in rows[0]]
            prepare = [
                (index, f) for index, f in enumerate(fields) if isinstance(f, EncryptedTextField)
            ]
            columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
            names = [f.attname for f in fields]
            with cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    values = [row[name] for name in names]
                    for index, f in prepare:
                        values[index] = f.get_db_prep_save(values[index], connection)
                    copy.write_row(values)
        return new_ids


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
    writer = _RowWriter(batch_size)
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
        actor=actor, action="demo.seeded", target=None, data=result.as_audit_data(seed=seed)
    )
    return result
