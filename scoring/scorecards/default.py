"""The scorecard shipped with the portal (version 1, source "default"), as data.

The data migration ``0004_default_scorecard`` stores it as the active champion. It is a
plain expert scorecard, not fitted: base points plus eight characteristics, each with bins
that cover the whole number line (the first bin has no lower end, the last no upper end),
a "missing" score for a feed that reported nothing, and a reason code where a low score on
that characteristic has a cause of its own in the design's table (``""`` where it is plain
credit strength, reported as ``SCORE_BELOW_CUTOFF`` when the score misses the cut-off).

Points: base 300, at most 365 from the characteristics (665 in all), at least 300. A
typical healthy customer scores about 600; the cut-off is 540. Limits rise in 20-point
bands from the cut-off. Block rules stop a line outright whatever the score.

Never edit this once migrated: the database keeps version 1 immutable. A change is a new
version (``scorecard_new_version_from``).
"""

from __future__ import annotations

from typing import Any

DEFAULT_VERSION = 1
DEFAULT_NAME = "Default expert scorecard"
DEFAULT_DESCRIPTION = (
    "Shipped with the portal: expert bins and points over income, tenure, bureau file depth, "
    "utilisation, delinquencies, device changes, distance from the usual city and identity "
    "consistency, with block rules for anomalies, KYC and consent."
)
DEFAULT_BASE_POINTS = 300
DEFAULT_CUTOFF = 540


def _bins(*edges_and_points: tuple[float | None, float | None, int, str]) -> list[dict[str, Any]]:
    return [
        {"label": label, "min": low, "max": high, "points": points}
        for low, high, points, label in edges_and_points
    ]


DEFAULT_CHARACTERISTICS: list[dict[str, Any]] = [
    {
        "key": "income",
        "feature": "monthly_income",
        "bins": _bins(
            (None, 3000, 0, "< 3,000"),
            (3000, 6000, 20, "3,000-6,000"),
            (6000, 10000, 40, "6,000-10,000"),
            (10000, 20000, 55, "10,000-20,000"),
            (20000, None, 65, "≥ 20,000"),
        ),
        "missing_points": 5,
        "reason_code": "",
    },
    {
        "key": "tenure",
        "feature": "months_on_book",
        "bins": _bins(
            (None, 3, 0, "< 3"),
            (3, 12, 15, "3-11"),
            (12, 24, 30, "12-23"),
            (24, 48, 40, "24-47"),
            (48, None, 50, "≥ 48"),
        ),
        "missing_points": 5,
        "reason_code": "",
    },
    {
        "key": "file_depth",
        "feature": "bureau_accounts",
        "bins": _bins(
            (None, 1, 0, "0"),
            (1, 2, 10, "1"),
            (2, 5, 35, "2-4"),
            (5, None, 50, "≥ 5"),
        ),
        "missing_points": 0,
        "reason_code": "THIN_FILE",
    },
    {
        "key": "utilisation",
        "feature": "utilisation",
        "bins": _bins(
            (None, 0.3, 50, "< 30%"),
            (0.3, 0.6, 35, "30%-60%"),
            (0.6, 0.9, 15, "60%-90%"),
            (0.9, None, 0, "≥ 90%"),
        ),
        "missing_points": 10,
        "reason_code": "",
    },
    {
        "key": "delinquencies",
        "feature": "delinquencies_12m",
        "bins": _bins(
            (None, 1, 50, "0"),
            (1, 2, 25, "1"),
            (2, 4, 5, "2-3"),
            (4, None, 0, "≥ 4"),
        ),
        "missing_points": 10,
        "reason_code": "",
    },
    {
        "key": "device_changes",
        "feature": "device_changes_30d",
        "bins": _bins(
            (None, 1, 30, "0"),
            (1, 3, 20, "1-2"),
            (3, 6, 5, "3-5"),
            (6, None, 0, "≥ 6"),
        ),
        "missing_points": 15,
        "reason_code": "DEVICE_ANOMALY",
    },
    {
        "key": "distance",
        "feature": "distance_from_usual_city_km",
        "bins": _bins(
            (None, 50, 30, "< 50 km"),
            (50, 300, 20, "50-300 km"),
            (300, 1000, 5, "300-1,000 km"),
            (1000, None, 0, "≥ 1,000 km"),
        ),
        "missing_points": 15,
        "reason_code": "GEO_ANOMALY",
    },
    {
        "key": "identity",
        "feature": "identity_consistency",
        "bins": _bins(
            (None, 0.7, 0, "< 70%"),
            (0.7, 0.9, 15, "70%-90%"),
            (0.9, 0.98, 30, "90%-98%"),
            (0.98, None, 40, "≥ 98%"),
        ),
        "missing_points": 0,
        "reason_code": "DATA_MISMATCH",
    },
]

DEFAULT_LIMIT_POLICY: list[dict[str, Any]] = [
    {"min_score": 540, "limit": "1000.00"},
    {"min_score": 560, "limit": "3000.00"},
    {"min_score": 580, "limit": "5000.00"},
    {"min_score": 600, "limit": "10000.00"},
    {"min_score": 620, "limit": "20000.00"},
    {"min_score": 640, "limit": "30000.00"},
]

DEFAULT_BLOCK_RULES: list[dict[str, Any]] = [
    {"code": "CONSENT_MISSING", "feature": "consent_active", "op": "eq", "value": False},
    {"code": "KYC_EXPIRED", "feature": "kyc_days_left", "op": "lt", "value": 0},
    {"code": "DATA_MISMATCH", "feature": "identity_consistency", "op": "lt", "value": 0.6},
    {"code": "DEVICE_ANOMALY", "feature": "device_changes_30d", "op": "gte", "value": 4},
    {"code": "GEO_ANOMALY", "feature": "distance_from_usual_city_km", "op": "gte", "value": 1500},
    {"code": "VELOCITY", "feature": "attempts_24h", "op": "gte", "value": 6},
    {"code": "THIN_FILE", "feature": "bureau_accounts", "op": "lt", "value": 1},
    {"code": "THIN_FILE", "feature": "bureau_accounts", "op": "missing", "value": None},
]


def default_scorecard_fields() -> dict[str, Any]:
    """The model field values of the shipped scorecard (without status and times)."""
    return {
        "version": DEFAULT_VERSION,
        "name": DEFAULT_NAME,
        "description": DEFAULT_DESCRIPTION,
        "source": "default",
        "base_points": DEFAULT_BASE_POINTS,
        "cutoff": DEFAULT_CUTOFF,
        "characteristics": DEFAULT_CHARACTERISTICS,
        "limit_policy": DEFAULT_LIMIT_POLICY,
        "block_rules": DEFAULT_BLOCK_RULES,
        "auto_apply": False,
    }
