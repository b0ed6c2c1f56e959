"""Serializer fields shared by every app's API."""

from __future__ import annotations

from datetime import date, datetime

from rest_framework import serializers

from portal.dates import year_in_range, year_range_message


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time within the years the portal accepts (``portal.dates``).

    DRF moves a time near 0001-01-01 or 9999-12-31 to UTC unguarded, and the
    ``OverflowError`` became a 500; the year is checked first, so such input is a 400 with
    the field's error instead.
    """

    def enforce_timezone(self, value: datetime) -> datetime:
        if not year_in_range(value):
            raise serializers.ValidationError(year_range_message(), code="out_of_range")
        return super().enforce_timezone(value)


class BoundedDateField(serializers.DateField):
    """A date within the years the portal accepts (``portal.dates``): the date twin of
    ``BoundedDateTimeField``. DRF reads 0001-01-01 and 9999-12-31 happily, and a service
    that then steps a day past the one or a window back from the other overflows; such
    input is a 400 with the field's error instead."""

    def to_internal_value(self, value: date | str) -> date:
        parsed: date = super().to_internal_value(value)
        if not year_in_range(parsed):
            raise serializers.ValidationError(year_range_message(), code="out_of_range")
        return parsed
