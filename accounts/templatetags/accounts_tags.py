from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def in_minutes(value: timedelta | None) -> int:
    """A duration in whole minutes (rounded up), for messages such as the lockout page's."""
    if not value:
        return 0
    seconds = value.total_seconds()
    return int(-(-seconds // 60))
