"""Sign-in events for the audit log (PIPL Art. 51: who got into the system, and who tried).

Only staff accounts and addresses are recorded. A failed attempt names the account only
when it exists: whatever else was typed into the username box (sometimes a password)
stays out of the append-only log.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from audit.actions import AuditAction
from audit.log import audit_record
from portal.permissions import SystemActor

SIGN_IN = SystemActor("sign-in")


@transaction.atomic
def session_signed_in(*, actor: User, ip_address: str | None) -> None:
    audit_record(
        actor=actor, action=AuditAction.AUTH_SIGNED_IN, target=actor, data={"ip": ip_address}
    )


@transaction.atomic
def session_signed_out(*, actor: User, ip_address: str | None) -> None:
    audit_record(
        actor=actor, action=AuditAction.AUTH_SIGNED_OUT, target=actor, data={"ip": ip_address}
    )


@transaction.atomic
def sign_in_failed(*, username: str, ip_address: str | None) -> None:
    account = User.objects.filter(username=username).first()
    audit_record(
        actor=SIGN_IN,
        action=AuditAction.AUTH_SIGN_IN_FAILED,
        target=account,
        data={"ip": ip_address, "known_account": account is not None},
    )


@transaction.atomic
def sign_in_locked_out(*, username: str | None, ip_address: str | None) -> None:
    account = User.objects.filter(username=username).first() if username else None
    audit_record(
        actor=SIGN_IN,
        action=AuditAction.AUTH_LOCKED_OUT,
        target=account,
        data={"ip": ip_address, "known_account": account is not None},
    )
