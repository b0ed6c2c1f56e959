"""Verifying the audit log, on demand (auditors), nightly (beat) and from the command line."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from audit.actions import AuditAction
from audit.log import audit_record
from audit.models import ChainVerification
from audit.permissions import can_verify_audit_chain
from audit.verify import timed_verify_chain
from portal.permissions import Actor, actor_label, is_person

__all__ = ["audit_chain_verify", "last_good_chain_verification"]


def last_good_chain_verification() -> ChainVerification | None:
    return ChainVerification.objects.filter(ok=True).order_by("-created_at", "-id").first()


def audit_chain_verify(*, actor: Actor, batch_size: int = 5000) -> ChainVerification:
    """Walk the audit chain, keep the outcome as a ``ChainVerification`` and audit it.

    The last intact verification's final entry is passed as an anchor, so a chain whose
    tail was cut since then is reported broken.
    """
    if not can_verify_audit_chain(actor):
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
            actor=actor if is_person(actor) else None,
            actor_label=actor_label(actor),
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
            action=AuditAction.AUDIT_CHAIN_VERIFIED,
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
