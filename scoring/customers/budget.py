"""The daily reveal budget (issue 15): how many reveals one person may make today, the
extra allowances supervisors grant, and the alert when someone nears their limit.

Counted from the access log itself (reveals from a page or the API since local midnight),
so there is no counter to drift; exports and data-subject-request downloads are not
counted (they have their own controls). The day's limit is ``REVEALS_DAILY_BUDGET`` plus
the day's grants (``RevealAllowance``).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.log import audit_record
from portal.registries import reveal_budget_near
from scoring.customers.access import AccessSource, PersonalDataAccess, RevealAllowance
from scoring.permissions import can_reveal_personal_data, ensure_can_grant_reveal_allowances

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "ALLOWANCE_MAX_EXTRA",
    "reveal_allowance_grant",
    "reveal_budget_ensure",
    "reveal_budget_noted",
    "reveals_today",
]

ALLOWANCE_MAX_EXTRA = 100
COUNTED_SOURCES = (AccessSource.PAGE, AccessSource.API)


def _today() -> date:
    return timezone.localdate()


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def reveals_today(user: User) -> tuple[int, int]:
    """``(used, limit)``: the person's counted reveals today and their limit for today."""
    day = _today()
    used = PersonalDataAccess.objects.filter(
        actor=user, at__gte=_day_start(day), source__in=COUNTED_SOURCES
    ).count()
    extra = RevealAllowance.objects.filter(user=user, day=day).aggregate(n=Sum("extra"))["n"]
    return used, int(settings.REVEALS_DAILY_BUDGET) + int(extra or 0)


def reveal_budget_ensure(user: User) -> tuple[int, int]:
    """Refuse (``PermissionDenied``) a reveal beyond the day's limit; else ``(used, limit)``."""
    used, limit = reveals_today(user)
    if used >= limit:
        raise PermissionDenied(
            _(
                "You have used all %(limit)d reveals allowed for today. A supervisor must "
                "approve more (an extra allowance for today) before you reveal again."
            )
            % {"limit": limit}
        )
    return used, limit


def reveal_budget_noted(user: User, used_before: int, limit: int) -> None:
    """After a reveal: tell supervisors (through the registry) when this one reached the
    alert share of the day's limit; once per limit."""
    threshold = math.ceil(limit * float(settings.REVEALS_ALERT_SHARE))
    if used_before < threshold <= used_before + 1:
        reveal_budget_near(user, used_before + 1, limit)


@transaction.atomic
def reveal_allowance_grant(
    *, actor: User, user_id: int, extra: int, reason: str
) -> RevealAllowance:
    """A supervisor grants ``user_id`` ``extra`` more reveals today, with a reason; audited.

    ``PermissionDenied`` unless the actor may grant (supervisors) and the person is someone
    else; ``ValidationError`` keyed ``user``, ``extra`` or ``reason`` for bad input.
    """
    ensure_can_grant_reveal_allowances(actor)
    errors: dict[str, list[str]] = {}
    text = " ".join(str(reason or "").split())
    if (
        isinstance(extra, bool)
        or not isinstance(extra, int)
        or not 1 <= extra <= ALLOWANCE_MAX_EXTRA
    ):
        errors["extra"] = [
            _("Grant between 1 and %(max)d extra reveals.") % {"max": ALLOWANCE_MAX_EXTRA}
        ]
    if len(text) < 5 or len(text) > 500:
        errors["reason"] = [_("Say why the extra reveals are needed (5 to 500 characters).")]
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not can_reveal_personal_data(user):
        errors["user"] = [_("Choose an active colleague who may reveal personal data.")]
    if errors:
        raise ValidationError(errors)
    assert user is not None
    if user.pk == actor.pk:
        raise PermissionDenied(_("Nobody grants extra reveals to themselves."))
    allowance = RevealAllowance.objects.create(
        user=user, day=_today(), extra=extra, reason=text, granted_by=actor
    )
    used, limit = reveals_today(user)
    audit_record(
        actor=actor,
        action=AuditAction.REVEAL_ALLOWANCE_GRANTED,
        target=("accounts.user", str(user.pk)),
        data={
            "allowance": allowance.pk,
            "day": allowance.day.isoformat(),
            "extra": extra,
            "used": used,
            "limit": limit,
        },
    )
    return allowance
