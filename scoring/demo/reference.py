"""The reference data the demo population is drawn from: cities and their district codes,
mobile prefixes, surnames, ID check digits, products and limits, block causes and who
raises them, notes and lift reasons."""

from __future__ import annotations

from itertools import accumulate

from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from scoring.models import (
    BlockSource,
    Product,
    ReasonCode,
)

DEFAULT_CUSTOMERS = 2000
DEFAULT_SEED = 20261123

CONSENT_VERSION = "2026.1"
DAY = 86_400


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
CITY_WEIGHTS = [w for _, _, w in CITIES]

# Mainland mobile prefixes (China Mobile, Unicom, Telecom, Broadnet): 13x, 15x, 18x, 19x.
MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    *(f"18{d}" for d in range(10)),
    "190", "191", "192", "193", "195", "196", "197", "198", "199",
)  # fmt: skip

# Faker's zh_CN surnames with their frequencies; drawn with precomputed cumulative weights
# (Faker's own weighted draw recomputes them on every call, 10x slower at this volume).
SURNAMES = list(ChinesePersonProvider.last_names)
SURNAME_CUM_WEIGHTS = list(accumulate(ChinesePersonProvider.last_names.values()))

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
