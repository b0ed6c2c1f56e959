"""Scheduled compliance jobs (thin: each calls one service)."""

from __future__ import annotations

from celery import shared_task

from audit.services import audit_chain_verify
from portal.permissions import SystemActor


@shared_task(acks_late=True, ignore_result=True)
def audit_chain_verify_scheduled() -> None:
    """Walk the audit chain every night, so "last verified" is never older than a day.

    A broken chain is recorded (ChainVerification with ok=False) and audited; the auditor's
    verification page shows it.
    """
    audit_chain_verify(actor=SystemActor("audit_chain_verify_scheduled"))


@shared_task(acks_late=True, ignore_result=True)
def retention_run_scheduled() -> None:
    """Apply the retention policies every night (each run recorded and audited with its
    report; a failing step is recorded on the run, see ``compliance.privacy.retention``)."""
    from compliance.privacy.retention import retention_run

    retention_run(actor=SystemActor("retention_run_scheduled"), dry_run=False)
