"""Which data-subject requests a reveal of a customer's personal data may serve
(registered with ``portal.registries.register_work_check("request", …)``; scoring asks the
registry): an open request about this customer, for those who fulfil requests (privacy
officers).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from compliance.models import DataSubjectRequest, RequestStatus
from compliance.permissions import can_fulfil_requests


def request_work_check(actor: Any, customer_id: int, request_id: int) -> None:
    found = (
        DataSubjectRequest.objects.filter(pk=request_id, customer_id=customer_id)
        .only("id", "status")
        .first()
    )
    if found is None:
        raise ValidationError(
            {"request": [_("This data-subject request is not about this customer.")]}
        )
    if not can_fulfil_requests(actor):
        raise PermissionDenied(
            _("Only a privacy officer handling this request may reveal details for it.")
        )
    if found.status != RequestStatus.OPEN:
        raise PermissionDenied(
            _("This request is closed: personal details can be revealed only for open work.")
        )
