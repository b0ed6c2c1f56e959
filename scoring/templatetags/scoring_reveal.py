"""``{% reveal_form customer %}``: the reveal form of one customer, for those allowed to
reveal (officers, supervisors, privacy officers); nothing at all for anyone else.

Computed here rather than in each page's view, so the case page (owned by the cases app)
and the customer search need no extra context: ``{% reveal_form customer case_id=case.pk %}``
records the case on the access-log row.
"""

from __future__ import annotations

from typing import Any

from django import template

from scoring.customers.reveal_views import reveal_context
from scoring.models import Customer
from scoring.permissions import can_reveal_personal_data

register = template.Library()


@register.inclusion_tag("scoring/_reveal_slot.html", takes_context=True)
def reveal_form(
    context: template.Context, customer: Customer, case_id: int | None = None
) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if customer is None or not can_reveal_personal_data(user):
        return {"reveal_allowed": False}
    return {"reveal_allowed": True, **reveal_context(customer, case_id=case_id)}
