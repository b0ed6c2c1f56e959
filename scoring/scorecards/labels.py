"""What officers read on an assessment: features, characteristics, bins and block rules in
words, and the feature snapshot as labelled rows (translated; no personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.models import (
    Assessment,
)

FEATURE_LABELS: dict[str, Promise] = {
    "monthly_income": gettext_lazy("Monthly income (CNY)"),
    "months_on_book": gettext_lazy("Months as a customer"),
    "bureau_accounts": gettext_lazy("Credit-bureau accounts on file"),
    "utilisation": gettext_lazy("Credit utilisation"),
    "delinquencies_12m": gettext_lazy("Late payments in the last 12 months"),
    "device_changes_30d": gettext_lazy("Device changes in the last 30 days"),
    "distance_from_usual_city_km": gettext_lazy("Distance from usual city (km)"),
    "identity_consistency": gettext_lazy("Identity-data consistency"),
    "attempts_24h": gettext_lazy("Payment or activation attempts in 24 hours"),
    "kyc_expires_on": gettext_lazy("Identity document expires on"),
    "kyc_days_left": gettext_lazy("Days until the identity document expires"),
    "consent_active": gettext_lazy("Consent to use financial information"),
    "features_as_of": gettext_lazy("Features reported at"),
}

# What a characteristic measures, for officers (chart axis and reason details).
CHARACTERISTIC_LABELS: dict[str, Promise] = {
    "base": gettext_lazy("Base points"),
    "income": gettext_lazy("Income"),
    "tenure": gettext_lazy("Time as a customer"),
    "file_depth": gettext_lazy("Credit history on file"),
    "utilisation": gettext_lazy("Credit utilisation"),
    "delinquencies": gettext_lazy("Late payments"),
    "device_changes": gettext_lazy("Device changes"),
    "distance": gettext_lazy("Distance from usual city"),
    "identity": gettext_lazy("Identity-data consistency"),
}

# The same, as a customer would read it in "mainly because of …".


def feature_label(name: str) -> str:
    label = FEATURE_LABELS.get(name)
    return str(label) if label is not None else name


def characteristic_label(key: str, feature: str = "") -> str:
    label = CHARACTERISTIC_LABELS.get(key)
    if label is not None:
        return str(label)
    return feature_label(feature) if feature else key


def bin_label(label: str) -> str:
    return _("missing") if label == "missing" else label


_OPS = {
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "eq": "=",
    "ne": "≠",
}


def rule_hit_text(hit: Mapping[str, Any]) -> str:
    label = feature_label(str(hit.get("feature", "")))
    if hit.get("op") == "missing":
        return _("%(feature)s: no value reported") % {"feature": label}
    return _("%(feature)s is %(observed)s (rule: %(op)s %(value)s)") % {
        "feature": label,
        "observed": display_value(hit.get("observed")),
        "op": _OPS.get(str(hit.get("op")), str(hit.get("op"))),
        "value": display_value(hit.get("value")),
    }


def rule_text(rule: Mapping[str, Any]) -> str:
    """A block rule in words: "Device changes in the last 30 days ≥ 4"."""
    label = feature_label(str(rule.get("feature", "")))
    if rule.get("op") == "missing":
        return _("%(feature)s: no value reported") % {"feature": label}
    op = _OPS.get(str(rule.get("op")), str(rule.get("op")))
    return f"{label} {op} {display_value(rule.get('value'))}"


def display_value(value: Any) -> str:
    if value is None:
        return _("missing")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def snapshot_rows(assessment: Assessment) -> list[tuple[str, str]]:
    """The feature snapshot as (translated label, display value) rows, in a stable order."""
    snapshot = assessment.features or {}
    ordered = [name for name in FEATURE_LABELS if name in snapshot]
    ordered += sorted(name for name in snapshot if name not in FEATURE_LABELS)
    return [(feature_label(name), display_value(snapshot[name])) for name in ordered]
