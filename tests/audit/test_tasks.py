"""The nightly chain verification runs as a real Celery job and records its outcome."""

from __future__ import annotations

import time

from django.conf import settings

from audit.log import audit_record
from audit.models import AuditEntry, ChainVerification
from compliance.tasks import audit_chain_verify_scheduled
from portal.permissions import SystemActor


def test_the_nightly_verification_is_scheduled_on_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["compliance-audit-chain-verify"]

    assert entry["task"] == audit_chain_verify_scheduled.name


def test_a_worker_verifies_the_chain_and_records_it_as_the_system(celery_worker) -> None:
    for n in range(3):
        audit_record(
            actor=SystemActor("test"), action="assessment.requested", target=None, data={"n": n}
        )

    audit_chain_verify_scheduled.delay()

    deadline = time.monotonic() + 20
    while not ChainVerification.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    verification = ChainVerification.objects.get()
    assert verification.ok is True
    assert verification.entries_checked == 3
    assert verification.actor_label == "system:audit_chain_verify_scheduled"
    assert AuditEntry.objects.filter(action="audit.chain_verified").count() == 1
