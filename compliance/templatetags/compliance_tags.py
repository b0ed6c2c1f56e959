"""Display helpers for audit data (already free of raw personal data)."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def audit_value(value: Any) -> str:
    """Strings and numbers as they are; booleans, lists and mappings as JSON (unicode kept
    readable); null as a dash."""
    if isinstance(value, dict | list | bool):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    if value is None:
        return "—"
    return str(value)
