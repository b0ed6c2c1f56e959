"""The filters of a bulk re-assessment, checked and put in their stored (JSON) form.

``scoring.selectors.bulk_job_customers`` reads them; the form and the API both send what
they received through ``bulk_filters_clean``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.dates import year_in_range, year_range_message
from scoring.models import (
    BlockSource,
    Product,
    ReasonCode,
    Scorecard,
)

BULK_FILTER_KEYS = (
    "reason_code",
    "block_source",
    "city",
    "product",
    "scorecard_version",
    "assessed_before",
)


def bulk_filters_clean(filters: dict[str, Any]) -> dict[str, Any]:  # noqa: C901  (one flat check per input field; splitting it would scatter the rules)
    """The filters in their stored (JSON) form; ``ValidationError`` naming each bad field.

    Empty values are dropped; ``assessed_before`` is stored as an ISO date.
    """
    if not isinstance(filters, dict):
        raise ValidationError({"filters": [_("Send the filters as an object.")]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(filters) - set(BULK_FILTER_KEYS))
    if unknown:
        errors["non_field_errors"] = [
            _("Unknown filter(s): %(names)s.") % {"names": ", ".join(map(str, unknown))}
        ]
    clean: dict[str, Any] = {}
    choices = {
        "reason_code": ReasonCode.values,
        "block_source": BlockSource.values,
        "product": Product.values,
    }
    for key, allowed in choices.items():
        value = filters.get(key)
        if value in (None, ""):
            continue
        if value not in allowed:
            errors[key] = [_("Choose a value from the list.")]
        else:
            clean[key] = value
    city = filters.get("city")
    if city not in (None, ""):
        if not isinstance(city, str) or len(city.strip()) > 64:
            errors["city"] = [_("Enter a city name of at most 64 characters.")]
        elif city.strip():
            clean["city"] = city.strip()
    version = filters.get("scorecard_version")
    if version not in (None, ""):
        try:
            number = int(version)
        except (TypeError, ValueError):
            number = 0
        if isinstance(version, bool) or number < 1:
            errors["scorecard_version"] = [_("Enter a scorecard version number.")]
        elif not Scorecard.objects.filter(version=number).exists():
            errors["scorecard_version"] = [_("There is no scorecard with this version.")]
        else:
            clean["scorecard_version"] = number
    day = filters.get("assessed_before")
    if day not in (None, ""):
        parsed: date | None = None
        if isinstance(day, datetime):
            parsed = day.date()
        elif isinstance(day, date):
            parsed = day
        elif isinstance(day, str):
            try:
                parsed = date.fromisoformat(day)
            except ValueError:
                parsed = None
        if parsed is None:
            errors["assessed_before"] = [_("Enter a date as YYYY-MM-DD.")]
        elif not year_in_range(parsed):
            errors["assessed_before"] = [year_range_message()]
        elif parsed > timezone.localdate() + timedelta(days=1):
            errors["assessed_before"] = [_("The date may not be in the future.")]
        else:
            clean["assessed_before"] = parsed.isoformat()
    if errors:
        raise ValidationError(errors)
    return clean
