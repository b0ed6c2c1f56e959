"""The years a date or time given to the portal may fall in.

Outside them nothing in this portal happened, and near the ends of what ``datetime`` holds,
moving a time to UTC, comparing aware times or stepping back a default window overflows
(PostgreSQL would even store a year before 1, which ``datetime`` cannot read back). So such
input is a form error (pages) or a 400 (API), never a 500 or an unreadable row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext as _

EARLIEST_YEAR = 1900
LATEST_YEAR = 2999


def year_in_range(value: date | datetime | None) -> bool:
    """Whether ``value`` lies in the years the portal accepts (``None`` does). Reads the
    year as given: no time-zone arithmetic that could overflow."""
    return value is None or EARLIEST_YEAR <= value.year <= LATEST_YEAR


def year_range_message() -> str:
    """The error for a date or time outside ``year_in_range``, translated."""
    return _("Give a date between the years %(earliest)d and %(latest)d.") % {
        "earliest": EARLIEST_YEAR,
        "latest": LATEST_YEAR,
    }


class BoundedDateField(forms.DateField):
    """A form's date within the years the portal accepts.

    ``forms.DateField`` reads 9999-12-31 and 0001-01-01 happily; a page that then steps a
    day past the one, or a default window back from the other, overflowed into a 500. The
    year is checked here, so such input is the field's error on the page instead.
    """

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if not year_in_range(value):
            raise forms.ValidationError(year_range_message(), code="out_of_range")


class BoundedDateTimeField(forms.DateTimeField):
    """A form's date and time within the years the portal accepts: the date-time twin of
    ``BoundedDateField`` (``portal.api.fields.BoundedDateTimeField`` is the serializers').
    Accepts ISO 8601 with an offset too (``2026-01-01T00:00:00Z``), so the API and the page
    read the same values. Out of range is the field's error, never a 500."""

    def validate(self, value: datetime | None) -> None:
        super().validate(value)
        if not year_in_range(value):
            raise forms.ValidationError(year_range_message(), code="out_of_range")


def time_filter_field(label: Any) -> BoundedDateTimeField:
    """An optional "since" or "until" of a list's filter form: a bounded date and time with
    the browser's date-time picker."""
    return BoundedDateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
