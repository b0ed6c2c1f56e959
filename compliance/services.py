"""Writes of the compliance app. ``audit_record`` is the one way into the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction

from audit.log import audit_record, timed_verify_chain
from audit.models import ChainVerification
from compliance.auditlog.selectors import last_good_chain_verification
from compliance.permissions import can_verify_audit_chain
from portal.permissions import SystemActor

if TYPE_CHECKING:
    from accounts.models import User

__all__ = ["SystemActor", "audit_chain_verify", "audit_record"]


def audit_chain_verify(*, actor: User | SystemActor, batch_size: int = 5000) -> ChainVerification:
    """Walk the audit chain, keep the outcome as a ``ChainVerification`` and audit it.

    The last intact verification's final entry is passed as an anchor, so a chain whose
    tail was cut since then is reported broken.
    """
    if not isinstance(actor, SystemActor) and not can_verify_audit_chain(actor):
        raise PermissionDenied
    previous = last_good_chain_verification()
    anchor = (
        (previous.last_id, previous.last_hash)
        if previous is not None and previous.last_id is not None
        else None
    )
    # The walk reads only; it runs outside a transaction so it holds no lock meanwhile.
    report, duration_ms = timed_verify_chain(batch_size=batch_size, anchor=anchor)
    with transaction.atomic():
        verification = ChainVerification.objects.create(
            actor=None if isinstance(actor, SystemActor) else actor,
            actor_label=actor.label if isinstance(actor, SystemActor) else actor.get_username(),
            ok=report.ok,
            entries_checked=report.entries_checked,
            first_bad=report.first_bad,
            reason=report.reason,
            last_id=report.last_id if report.ok else None,
            last_hash=report.last_hash if report.ok else "",
            duration_ms=duration_ms,
        )
        audit_record(
            actor=actor,
            action="audit.chain_verified",
            target=verification,
            data={
                "ok": report.ok,
                "entries_checked": report.entries_checked,
                "first_bad": report.first_bad,
                "reason": report.reason,
                "last_id": report.last_id,
            },
        )
    return verification
