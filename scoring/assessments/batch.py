"""Many customers scored at once: features read per batch, scored in memory, the rows and
their history inserted together. Used by the bulk re-assessment's chunks and by the
scheduled run (``assessments_score_scheduled``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.history_rows import change_reason
from audit.log import audit_record
from portal.permissions import SystemActor
from scoring import selectors
from scoring.assessments import bulk_copy
from scoring.assessments.errors import DOMAIN_ERRORS, consent_refusal, error_message
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    Scorecard,
)
from scoring.scorecards import engine
from scoring.scorecards.features import features_snapshots


def scored_rows(
    customer_ids: Sequence[int],
    *,
    scorecard: Scorecard,
    trigger: str,
    bulk_job_id: int | None = None,
) -> list[Assessment]:
    """Unsaved, finished assessments of ``customer_ids``: features read in one query per
    batch, scored in memory; a domain error makes that customer's row ``failed``."""
    compiled = engine.compile_scorecard(scorecard)
    started_at = timezone.now()
    snapshots = features_snapshots(list(customer_ids), today=timezone.localdate())
    rows: list[Assessment] = []
    for customer_id in customer_ids:
        snapshot = snapshots.get(customer_id)
        row = Assessment(
            customer_id=customer_id,
            scorecard_id=scorecard.pk,
            bulk_job_id=bulk_job_id,
            trigger=trigger,
            queued_at=started_at,
            started_at=started_at,
            attempts=1,
        )
        try:
            if snapshot is None:
                raise ValidationError(_("The customer no longer exists."))
            row.features = snapshot
            if not snapshot.get("consent_active"):
                raise consent_refusal()
            result = engine.score(compiled, snapshot)
        except DOMAIN_ERRORS as exc:
            row.status = AssessmentStatus.FAILED
            row.error = error_message(exc)
        else:
            row.status = AssessmentStatus.SUCCEEDED
            row.score = result.score
            row.cutoff = result.cutoff
            row.recommended_limit = result.recommended_limit
            row.contributions = result.contributions
            row.rule_hits = result.rule_hits
            row.reason_codes = result.reason_codes
        rows.append(row)
    return rows


SCHEDULED_BATCH = 2000


def assessments_score_scheduled(*, actor: SystemActor, customer_ids: Sequence[int]) -> int:
    """Score customers on the champion as a scheduled run (the demo seed's first scoring,
    and any periodic re-scoring): batches of features read at once, rows and history
    written with ``COPY``, one audit entry per batch. Returns the number of rows written.
    """
    scorecard = selectors.champion_scorecard()
    if scorecard is None:
        raise ValidationError(_("No scorecard is the champion; a supervisor must activate one."))
    written = 0
    for start in range(0, len(customer_ids), SCHEDULED_BATCH):
        batch = customer_ids[start : start + SCHEDULED_BATCH]
        rows = scored_rows(batch, scorecard=scorecard, trigger=AssessmentTrigger.SCHEDULED)
        now = timezone.now()
        for row in rows:
            row.finished_at = now
            row.requested_by_label = actor.label
        with transaction.atomic():
            insert_with_history(
                rows,
                change_reason=change_reason(AuditAction.ASSESSMENT_SCHEDULED, actor),
                history_date=now,
            )
            audit_record(
                actor=actor,
                action=AuditAction.ASSESSMENT_SCHEDULED_BATCH,
                target=scorecard,
                data={
                    "assessments": len(rows),
                    "failed": sum(1 for r in rows if r.status == AssessmentStatus.FAILED),
                    "first_customer": batch[0],
                    "last_customer": batch[-1],
                },
            )
        written += len(rows)
    return written


def insert_with_history(
    rows: list[Assessment], *, change_reason: str, history_date: datetime
) -> None:
    """Insert new assessments and their "+" history rows (system: no user), in the caller's
    transaction; sets each row's ``pk``.

    On PostgreSQL this is ``COPY`` (``scoring.assessments.bulk_copy``): a few milliseconds
    where ``bulk_create`` plus ``bulk_history_create`` took most of a chunk's time (Django
    5.2 inserts many rows as ``UNNEST`` of arrays, and psycopg quotes every JSON value into
    those arrays in Python). Elsewhere (SQLite, the local run) it is exactly those two calls.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        bulk_copy.copy_with_history(rows, change_reason=change_reason, history_date=history_date)
        return
    Assessment.objects.bulk_create(rows)
    Assessment.history.bulk_history_create(
        rows, default_change_reason=change_reason, default_date=history_date
    )
