"""The per-account delay: each failure on one account past the first few, from any address,
makes the next sign-in attempt on it wait twice as long.

django-axes locks the pair of account and address (``AXES_LOCKOUT_PARAMETERS``), so nobody
can lock an owner out from elsewhere; this delay is what slows one account being guessed
from many addresses. It counts axes' own attempt rows for the stored username (see
``accounts.security.stored_username``) within the cool-off window, so a success (which
clears the account's rows) or the window's end resets it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after ``failures`` failures on one account."""
    free = settings.SIGN_IN_DELAY_FREE_FAILURES
    if failures < free or settings.SIGN_IN_DELAY_BASE_SECONDS <= 0:
        return 0
    return int(
        min(
            settings.SIGN_IN_DELAY_MAX_SECONDS,
            settings.SIGN_IN_DELAY_BASE_SECONDS * 2 ** min(failures - free, 30),
        )
    )


def sign_in_wait(*, username: str | None, now: datetime | None = None) -> int:
    """Whole seconds before the account ``username`` (its stored form) may be tried again."""
    if not username:
        return 0
    now = now or timezone.now()
    rows = AccessAttempt.objects.filter(username=username)
    cool_off: timedelta | None = get_cool_off()
    if cool_off is not None:
        rows = rows.filter(attempt_time__gte=now - cool_off)
    summary = rows.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    delay = delay_after(summary["failures"] or 0)
    if not delay or summary["last"] is None:
        return 0
    remaining = (summary["last"] + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))
