"""The feature snapshot an assessment reads and stores: JSON-safe, one query per batch.

Only the customer's consent columns are read beside the features: no personal field is
loaded, so nothing is decrypted. ``SCORABLE_FEATURES`` names what a scorecard may read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from scoring.models import Customer, CustomerFeatures

# The CustomerFeatures columns a snapshot copies, in display order.
FEATURE_FIELDS: tuple[str, ...] = (
    "monthly_income",
    "months_on_book",
    "bureau_accounts",
    "utilisation",
    "delinquencies_12m",
    "device_changes_30d",
    "distance_from_usual_city_km",
    "identity_consistency",
    "attempts_24h",
    "kyc_expires_on",
)
# Values derived from the columns above and from the customer's consent state.
DERIVED_FEATURES: tuple[str, ...] = ("kyc_days_left", "consent_active")
# Every name a characteristic or a block rule may read.
SCORABLE_FEATURES: frozenset[str] = frozenset(FEATURE_FIELDS) - {"kyc_expires_on"} | frozenset(
    DERIVED_FEATURES
)


def _json_value(value: Any) -> Any:
    """A column value in its JSON-safe form: Decimals as strings, dates as ISO, ints as ints."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _snapshot(
    values: Mapping[str, Any],
    *,
    consent_financial_info: bool,
    consent_withdrawn_at: datetime | None,
    today: date,
    as_of: datetime | None,
) -> dict[str, Any]:
    snapshot = {name: _json_value(values.get(name)) for name in FEATURE_FIELDS}
    expires = values.get("kyc_expires_on")
    snapshot["kyc_days_left"] = (expires - today).days if expires is not None else None
    snapshot["consent_active"] = bool(consent_financial_info and consent_withdrawn_at is None)
    snapshot["features_as_of"] = as_of.isoformat() if as_of is not None else None
    return snapshot


def features_snapshot(
    features: CustomerFeatures | None, customer: Customer, *, today: date
) -> dict[str, Any]:
    """What an assessment of ``customer`` reads, JSON-safe. ``features`` may be ``None``
    (no feed yet): every feature is then missing and scored in its "missing" bin."""
    values = {name: getattr(features, name) for name in FEATURE_FIELDS} if features else {}
    return _snapshot(
        values,
        consent_financial_info=customer.consent_financial_info,
        consent_withdrawn_at=customer.consent_withdrawn_at,
        today=today,
        as_of=features.updated_at if features else None,
    )


def features_snapshots(customer_ids: Sequence[int], *, today: date) -> dict[int, dict[str, Any]]:
    """Snapshots for many customers in ONE query (customers LEFT JOIN features).

    Only the consent columns of the customer are read: no personal field is loaded, so
    nothing is decrypted. Unknown ids are left out of the result.
    """
    if not customer_ids:
        return {}
    columns = [f"features__{name}" for name in (*FEATURE_FIELDS, "updated_at")]
    rows = Customer.objects.filter(pk__in=list(customer_ids)).values(
        "pk", "consent_financial_info", "consent_withdrawn_at", *columns
    )
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        values = {name: row[f"features__{name}"] for name in FEATURE_FIELDS}
        result[row["pk"]] = _snapshot(
            values,
            consent_financial_info=row["consent_financial_info"],
            consent_withdrawn_at=row["consent_withdrawn_at"],
            today=today,
            as_of=row["features__updated_at"],
        )
    return result
