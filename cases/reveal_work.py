"""Which cases a reveal of a customer's personal data may serve (registered with
``portal.registries.register_work_check("case", …)``; scoring asks the registry).

An officer reveals only for an open case assigned to them; a supervisor for any open case
in the queue (``cases.permissions.can_oversee_cases``); nobody for a closed case.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from cases.models import Case
from cases.permissions import can_oversee_cases, can_work_cases


def case_work_check(actor: Any, customer_id: int, case_id: int) -> None:
    case = Case.objects.filter(pk=case_id, customer_id=customer_id).only(
        "id", "status", "assignee_id"
    )
    found = case.first()
    if found is None:
        raise ValidationError({"case": [_("This case is not about this customer.")]})
    if not found.is_open:
        raise PermissionDenied(
            _("This case is closed: personal details can be revealed only for open work.")
        )
    if not can_work_cases(actor):
        raise PermissionDenied(_("You do not work cases: you may not reveal details for one."))
    if found.assignee_id == getattr(actor, "pk", None) or can_oversee_cases(actor):
        return
    raise PermissionDenied(
        _(
            "You may reveal personal details only for a case assigned to you. Ask a "
            "supervisor to assign this case to you."
        )
    )
