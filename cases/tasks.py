"""Celery entry points for cases: scheduled by beat, each calls one service.

All are idempotent (each case is released or marked once, guarded by its state under a
row lock); ``portal.tasks.PortalTask`` retries them with backoff only for a lost database
or broker connection.
"""

from __future__ import annotations

from celery import shared_task

from cases.services import detection, release, sla
from portal.permissions import SystemActor
from portal.tasks import PortalTask


@shared_task(base=PortalTask)
def cases_release_stale() -> int:
    """Return claimed cases left untouched too long to the queue."""
    return len(release.cases_release_stale())


@shared_task(base=PortalTask)
def cases_sla_sweep() -> dict[str, int]:
    """Mark cases due soon and breached; escalate the breached ones."""
    report = sla.cases_sla_sweep()
    return {"due_soon": len(report.due_soon), "breached": len(report.breached)}


DETECTION_ACTOR = SystemActor("cases_detect_unusable")


@shared_task(base=PortalTask)
def cases_detect_unusable() -> dict[str, int]:
    """Nightly: open cases for shown-but-unusable lines that have none."""
    report = detection.cases_detect_unusable(actor=DETECTION_ACTOR)
    return {"scanned": report.scanned, "opened": report.opened, "attached": report.attached}
