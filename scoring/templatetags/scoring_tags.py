"""Display helpers for scoring pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def cny(value: object) -> str:
    """``Decimal('12345.6')`` → ``¥12,345.60``; blank for anything that is not a number."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return f"¥{amount:,.2f}"
