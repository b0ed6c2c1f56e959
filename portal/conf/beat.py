"""The periodic jobs Celery beat starts (``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Open cases for lines shown but unusable that have none (cases.services.detection).
    "cases-detect-unusable": {
        "task": "cases.tasks.cases_detect_unusable",
        "schedule": crontab(hour=1, minute=15),
    },
    # Walk the whole audit chain nightly; the auditor's page shows the last result.
    "compliance-audit-chain-verify": {
        "task": "compliance.tasks.audit_chain_verify_scheduled",
        "schedule": crontab(hour=2, minute=30),
    },
    # Re-send lost assessment messages, reset assessments whose worker died, re-plan
    # stalled bulk re-assessments (scoring.assessments.sweep.assessments_sweep).
    "scoring-assessments-sweep": {
        "task": "scoring.tasks.assessments_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Claimed cases left untouched past CASES_CLAIM_TIMEOUT_MINUTES go back to the queue.
    "cases-release-stale": {
        "task": "cases.tasks.cases_release_stale",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Mark cases due soon and breached; escalate breached ones (priority up one step).
    "cases-sla-sweep": {
        "task": "cases.tasks.cases_sla_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Re-send feedback and signals stored while Redis or the workers were down.
    "cases-intake-sweep": {
        "task": "intake.tasks.intake_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Apply the retention policies (each run audited, with its report).
    "compliance-retention": {
        "task": "compliance.tasks.retention_run_scheduled",
        "schedule": crontab(hour=3, minute=0),
    },
}
