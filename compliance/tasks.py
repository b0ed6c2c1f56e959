"""Scheduled compliance jobs (thin: each calls one service; ``portal.tasks.PortalTask``
retries them with backoff for a lost database or broker connection)."""

from __future__ import annotations

from celery import shared_task

from audit.services import audit_chain_verify
from portal.permissions import SystemActor
from portal.tasks import PortalTask


@shared_task(base=PortalTask, ignore_result=True)
def audit_chain_verify_scheduled() -> None:
    """Walk the audit chain every night, so "last verified" is never older than a day.

    A broken chain is recorded (ChainVerification with ok=False) and audited; the auditor's
    verification page shows it.
    """
    audit_chain_verify(actor=SystemActor("audit_chain_verify_scheduled"))


@shared_task(base=PortalTask, ignore_result=True)
def retention_run_scheduled() -> None:
    """Apply the retention policies every night (each run recorded and audited with its
    report; a failing step is recorded on the run, see ``compliance.privacy.retention``)."""
    from compliance.privacy.retention import retention_run

    retention_run(actor=SystemActor("retention_run_scheduled"), dry_run=False)
