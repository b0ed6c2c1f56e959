"""Single assessments as jobs: requesting one, running it, and recording its outcome.

Every job has a row in the database written by these services, so the row, not the
message, is the truth. An ``Assessment`` goes ``queued → running → succeeded | failed``:
``assessment_request`` creates it and enqueues ``assessment_run`` after commit;
``assessment_execute`` claims it with a conditional ``UPDATE … WHERE status = 'queued'`` (a
second delivery finds nothing to claim) and writes the result only while the row is still
``running`` *in the attempt it claimed*, so a worker the sweeper gave up on
(``scoring.assessments.sweep``) cannot overwrite a later attempt.

Beside it in this package: ``sweep`` (lost messages and workers), ``bulk`` (bulk
re-assessment: plan, chunks, cancel and resume) with its ``filters``, ``batch`` (many
customers scored in memory, the scheduled run), ``bulk_copy`` (the PostgreSQL ``COPY``
insert) and ``errors`` (what counts as the assessment's own failure).

The system acts as ``SystemActor("assessment_run")``: history rows have no user and a
change reason naming the job; audit entries hold ids, scores, limits and codes, never
personal data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import AuditAction
from audit.changes import record_change
from audit.history_rows import change_reason, history_user, save_with_history
from portal.permissions import SystemActor, actor_label
from scoring import selectors
from scoring.assessments.errors import DOMAIN_ERRORS, consent_refusal, error_message
from scoring.lines.services import credit_line_apply_recommendation
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    CreditLine,
    Customer,
)
from scoring.permissions import (
    ensure_can_request_assessments,
)
from scoring.scorecards import engine
from scoring.scorecards.features import features_snapshots

Actor = User | SystemActor

RUN_ACTOR = SystemActor("assessment_run")

# Task time limits (seconds). One assessment takes milliseconds; the limits only catch a
# worker stuck on a lock or a dead connection.
RUN_SOFT_TIME_LIMIT = 30
RUN_TIME_LIMIT = 60

_SINGLE_TRIGGERS = [
    t for t in AssessmentTrigger if t not in {AssessmentTrigger.BULK, AssessmentTrigger.SHADOW}
]


def enqueue_run(assessment_id: int) -> None:
    from scoring.tasks import assessment_run  # tasks import this module

    transaction.on_commit(lambda: assessment_run.delay(assessment_id))


def _reason_code_list(reason_codes: Sequence[dict[str, Any]]) -> list[str]:
    return [str(r.get("code", "")) for r in reason_codes]


def _consent_withdrawn(customer_id: int) -> bool:
    return Customer.objects.filter(pk=customer_id, consent_withdrawn_at__isnull=False).exists()


@transaction.atomic
def assessment_request(
    *,
    actor: Actor,
    customer_id: int,
    trigger: str,
    credit_line_id: int | None = None,
) -> Assessment:
    """Queue an assessment of a customer with the champion scorecard; run after commit.

    Idempotent for a double click: while the customer already has a single (non-bulk)
    assessment queued or running, that one is returned and nothing new is created (the
    customer row is locked, so two simultaneous requests cannot both create one).

    Raises ``PermissionDenied``; ``ValidationError`` for a trigger that is not for single
    assessments, a credit line of another customer, no champion scorecard, and
    ``AssessmentRefused`` (a ``ValidationError``) when the customer's consent is missing or
    withdrawn; ``Customer.DoesNotExist``.
    """
    ensure_can_request_assessments(actor)
    if trigger not in _SINGLE_TRIGGERS:
        raise ValidationError({"trigger": [_("Choose a trigger for a single assessment.")]})
    customer = (
        Customer.objects.select_for_update()
        .only("id", "consent_financial_info", "consent_withdrawn_at")
        .get(pk=customer_id)
    )
    if not customer.consent_active:
        raise consent_refusal(withdrawn=customer.consent_withdrawn_at is not None)
    if (
        credit_line_id is not None
        and not CreditLine.objects.filter(pk=credit_line_id, customer_id=customer_id).exists()
    ):
        raise ValidationError(
            {"credit_line": [_("This credit line does not belong to the customer.")]}
        )
    existing = selectors.assessment_in_flight(customer_id=customer_id)
    if existing is not None:
        return existing
    scorecard = selectors.champion_scorecard()
    if scorecard is None:
        raise ValidationError(_("No scorecard is the champion; a supervisor must activate one."))

    assessment = Assessment(
        customer_id=customer_id,
        credit_line_id=credit_line_id,
        scorecard=scorecard,
        trigger=trigger,
        status=AssessmentStatus.QUEUED,
        requested_by=history_user(actor),
        requested_by_label=actor_label(actor),
        queued_at=timezone.now(),
    )
    record_change(
        assessment,
        actor=actor,
        action=AuditAction.ASSESSMENT_REQUESTED,
        detail=trigger,
        data={
            "customer": customer_id,
            "credit_line": credit_line_id,
            "scorecard_version": scorecard.version,
            "trigger": trigger,
        },
    )
    enqueue_run(assessment.pk)
    return assessment


def _assessment_claim(assessment_id: int) -> Assessment | None:
    """``queued → running`` as one conditional UPDATE; the claimed row (with its scorecard),
    or ``None`` when there was nothing to claim (already running, finished, or unknown).
    Writes the history row of the transition in the same transaction."""
    with transaction.atomic():
        claimed = Assessment.objects.filter(
            pk=assessment_id, status=AssessmentStatus.QUEUED
        ).update(
            status=AssessmentStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=timezone.now(),
            error="",
        )
        if not claimed:
            return None
        assessment = Assessment.objects.select_related("scorecard").get(pk=assessment_id)
        # The conditional UPDATE above was the change: its history row is written directly.
        assessment._history_user = None  # type: ignore[attr-defined]
        assessment._change_reason = change_reason(  # type: ignore[attr-defined]
            AuditAction.ASSESSMENT_STARTED, RUN_ACTOR, f"attempt {assessment.attempts}"
        )
        Assessment.history.bulk_history_create([assessment], update=True)
        return assessment


def assessment_execute(*, assessment_id: int) -> bool:
    """Claim a queued assessment, score it, and record the result; ``False`` when there was
    nothing to claim (a second delivery of the same message does nothing).

    Domain errors (consent withdrawn since the request, a malformed scorecard) end the
    assessment as ``failed`` with the error; it can be re-run. Infrastructure errors
    (database or broker connection) propagate to the task, which puts the row back to
    ``queued`` (``assessment_requeue``) and retries with backoff.
    """
    assessment = _assessment_claim(assessment_id)
    if assessment is None:
        return False
    attempt = int(assessment.attempts)
    started = time.monotonic()
    # Features and consent in one query; no personal field is loaded.
    snapshot = features_snapshots([assessment.customer_id], today=timezone.localdate()).get(
        assessment.customer_id, {}
    )
    try:
        if not snapshot.get("consent_active"):
            raise consent_refusal(withdrawn=_consent_withdrawn(assessment.customer_id))
        compiled = engine.compile_scorecard(assessment.scorecard)
        result = engine.score(compiled, snapshot)
    except DOMAIN_ERRORS as exc:
        _assessment_record_failure(
            assessment_id=assessment_id,
            attempt=attempt,
            error=error_message(exc),
            snapshot=snapshot,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return True
    _assessment_record_success(
        assessment_id=assessment_id,
        attempt=attempt,
        scorecard_version=assessment.scorecard.version,
        result=result,
        snapshot=snapshot,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return True


@transaction.atomic
def _assessment_record_success(
    *,
    assessment_id: int,
    attempt: int,
    scorecard_version: int,
    result: engine.ScoreResult,
    snapshot: dict[str, Any],
    duration_ms: int,
) -> bool:
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    if assessment.status != AssessmentStatus.RUNNING or assessment.attempts != attempt:
        return False  # the sweeper took this attempt back; a later one owns the row
    for name, value in result.assessment_fields().items():
        setattr(assessment, name, value)
    assessment.features = snapshot
    assessment.status = AssessmentStatus.SUCCEEDED
    assessment.error = ""
    assessment.finished_at = timezone.now()
    record_change(
        assessment,
        actor=RUN_ACTOR,
        action=AuditAction.ASSESSMENT_SUCCEEDED,
        detail=f"attempt {attempt}",
        update_fields=[
            *result.assessment_fields(),
            "features",
            "status",
            "error",
            "finished_at",
        ],
        data={
            "customer": assessment.customer_id,
            "scorecard_version": scorecard_version,
            "trigger": assessment.trigger,
            "score": result.score,
            "cutoff": result.cutoff,
            "recommended_limit": result.recommended_limit,
            "decision": result.decision,
            "reason_codes": _reason_code_list(result.reason_codes),
            "attempt": attempt,
            "duration_ms": duration_ms,
        },
    )
    # Where the scorecard allows it, the line follows the recommendation in this same
    # transaction (bulk re-assessment only recommends; see docs/decisions.md).
    credit_line_apply_recommendation(actor=RUN_ACTOR, assessment_id=assessment.pk)
    return True


@transaction.atomic
def _assessment_record_failure(
    *,
    assessment_id: int,
    attempt: int | None,
    error: str,
    snapshot: dict[str, Any] | None = None,
    duration_ms: int | None = None,
    actor: SystemActor = RUN_ACTOR,
) -> bool:
    """``running → failed`` (``attempt`` ``None``: whatever attempt is running)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    if assessment.status != AssessmentStatus.RUNNING:
        return False
    if attempt is not None and assessment.attempts != attempt:
        return False
    assessment.status = AssessmentStatus.FAILED
    assessment.error = error
    assessment.finished_at = timezone.now()
    fields = ["status", "error", "finished_at"]
    if snapshot is not None:
        assessment.features = snapshot
        fields.append("features")
    record_change(
        assessment,
        actor=actor,
        action=AuditAction.ASSESSMENT_FAILED,
        detail=f"attempt {assessment.attempts}",
        update_fields=fields,
        data={
            "customer": assessment.customer_id,
            "trigger": assessment.trigger,
            "attempt": assessment.attempts,
            "error": error,
            "duration_ms": duration_ms,
        },
    )
    return True


def assessment_fail_running(*, assessment_id: int, error: str) -> bool:
    """Fail a running assessment whatever its attempt (the task hit its soft time limit)."""
    return _assessment_record_failure(assessment_id=assessment_id, attempt=None, error=error)


@transaction.atomic
def assessment_requeue(*, assessment_id: int, reason: str) -> bool:
    """``running → queued`` after a transient error, so the retried message can claim it
    again. ``reason`` is an exception class name (never its text). History only: this is
    the infrastructure's hiccup, not a decision."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    if assessment.status != AssessmentStatus.RUNNING:
        return False
    assessment.status = AssessmentStatus.QUEUED
    assessment.started_at = None
    save_with_history(
        assessment,
        actor=RUN_ACTOR,
        reason=change_reason(AuditAction.ASSESSMENT_REQUEUED, RUN_ACTOR, f"transient {reason}"),
        fields=["status", "started_at"],
    )
    return True
