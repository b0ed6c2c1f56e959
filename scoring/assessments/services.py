"""Assessments as jobs: requesting, running, sweeping, and bulk re-assessment.

Every job has a row in the database written by these services, so the row, not the
message, is the truth:

- ``Assessment``: ``queued → running → succeeded | failed``. ``assessment_request`` creates
  it and enqueues ``assessment_run`` after commit; ``assessment_execute`` claims it with a
  conditional ``UPDATE … WHERE status = 'queued'`` (a second delivery finds nothing to claim)
  and writes the result only while the row is still ``running`` *in the attempt it claimed*,
  so a worker the sweeper gave up on cannot overwrite a later attempt.
- ``assessments_sweep`` (a beat task, every minute) re-sends rows left ``queued`` and puts
  rows left ``running`` past the hard time limit back to ``queued`` (a worker died), up to
  ``MAX_ATTEMPTS``; then it fails them with a clear error. It also re-plans bulk jobs that
  stopped moving.
- ``BulkJob``: ``queued → running → finished``, or ``cancelled`` (and ``queued`` again on
  resume). The planner lists the customers still to do and enqueues chunks of ids; each
  chunk scores in memory and writes its assessments, their history rows, one audit entry
  and the job's counters in one short transaction that holds the job row, so chunks of a job
  commit one at a time, a cancelled job gets no more rows, and a chunk delivered twice
  writes nothing the second time.

The system acts as ``SystemActor("assessment_run")`` etc.: history rows have no user and a
change reason naming the job; audit entries hold ids, scores, limits and codes, never
personal data.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.log import audit_record, change_reason, history_user, save_with_history
from portal.dates import year_in_range, year_range_message
from portal.errors import Conflict
from portal.permissions import SystemActor, actor_label
from scoring import selectors, services
from scoring.models import (
    Assessment,
    AssessmentStatus,
    AssessmentTrigger,
    BlockSource,
    BulkJob,
    BulkJobStatus,
    CreditLine,
    Customer,
    Product,
    ReasonCode,
    Scorecard,
    ScorecardStatus,
)
from scoring.permissions import (
    ensure_can_manage_bulk_jobs,
    ensure_can_request_assessments,
    ensure_can_start_bulk_jobs,
)
from scoring.scorecards import engine

logger = logging.getLogger(__name__)

Actor = User | SystemActor

RUN_ACTOR = SystemActor("assessment_run")
SWEEP_ACTOR = SystemActor("assessments_sweep")
BULK_ACTOR = SystemActor("bulk_chunk_run")
PLAN_ACTOR = SystemActor("bulk_job_plan")

# Task time limits (seconds). One assessment takes milliseconds; the limits only catch a
# worker stuck on a lock or a dead connection.
RUN_SOFT_TIME_LIMIT = 30
RUN_TIME_LIMIT = 60
CHUNK_SOFT_TIME_LIMIT = 120
CHUNK_TIME_LIMIT = 180
# A queued row older than this is re-sent (its message may be lost).
QUEUED_RESEND_AFTER = timedelta(minutes=2)
# A running row older than this lost its worker (hard limit plus a margin).
RUNNING_LOST_AFTER = timedelta(seconds=RUN_TIME_LIMIT + 120)
# A running bulk job whose counters did not move for this long is re-planned.
BULK_STALLED_AFTER = timedelta(minutes=10)
# Claims per assessment before the sweeper gives up and fails it.
MAX_ATTEMPTS = 3
# Rows the sweeper handles per run (the next run takes the rest).
SWEEP_BATCH = 500
# Customers per bulk chunk (one message, one transaction, one audit entry).
BULK_CHUNK_SIZE = 500


# What counts as the assessment's own failure (recorded on the row, can be re-run) rather
# than the infrastructure's (retried): refused input, a malformed scorecard, bad data.
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    ValidationError,
    ValueError,
    ArithmeticError,
    LookupError,
    TypeError,
)

_UNFINISHED = [AssessmentStatus.QUEUED, AssessmentStatus.RUNNING]
_SINGLE_TRIGGERS = [
    t for t in AssessmentTrigger if t not in {AssessmentTrigger.BULK, AssessmentTrigger.SHADOW}
]


class AssessmentRefused(ValidationError):
    """The assessment may not run (for example: the customer withdrew consent)."""


def _enqueue_run(assessment_id: int) -> None:
    from scoring.tasks import assessment_run  # tasks import this module

    transaction.on_commit(lambda: assessment_run.delay(assessment_id))


def _reason_code_list(reason_codes: Sequence[dict[str, Any]]) -> list[str]:
    return [str(r.get("code", "")) for r in reason_codes]


def _consent_refusal(*, withdrawn: bool = False) -> AssessmentRefused:
    if withdrawn:
        return AssessmentRefused(
            _(
                "Consent withdrawn: the customer withdrew their consent to the use of their "
                "financial information, so no assessment may run."
            ),
            code="consent_withdrawn",
        )
    return AssessmentRefused(
        _(
            "The customer has not given, or has withdrawn, consent to the use of their "
            "financial information, so no assessment may run."
        ),
        code="consent",
    )


def _consent_withdrawn(customer_id: int) -> bool:
    return Customer.objects.filter(pk=customer_id, consent_withdrawn_at__isnull=False).exists()


# --- single assessments -----------------------------------------------------------------------


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
        raise _consent_refusal(withdrawn=customer.consent_withdrawn_at is not None)
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
    assessment._history_user = history_user(actor)  # type: ignore[attr-defined]
    assessment._change_reason = change_reason("assessment.requested", actor, trigger)  # type: ignore[attr-defined]
    assessment.save()
    audit_record(
        actor=actor,
        action="assessment.requested",
        target=assessment,
        data={
            "customer": customer_id,
            "credit_line": credit_line_id,
            "scorecard_version": scorecard.version,
            "trigger": trigger,
        },
    )
    _enqueue_run(assessment.pk)
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
        assessment._history_user = None  # type: ignore[attr-defined]
        assessment._change_reason = change_reason(  # type: ignore[attr-defined]
            "assessment.started", RUN_ACTOR, f"attempt {assessment.attempts}"
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
    snapshot = engine.features_snapshots([assessment.customer_id], today=timezone.localdate()).get(
        assessment.customer_id, {}
    )
    try:
        if not snapshot.get("consent_active"):
            raise _consent_refusal(withdrawn=_consent_withdrawn(assessment.customer_id))
        compiled = engine.compile_scorecard(assessment.scorecard)
        result = engine.score(compiled, snapshot)
    except DOMAIN_ERRORS as exc:
        _assessment_record_failure(
            assessment_id=assessment_id,
            attempt=attempt,
            error=_error_message(exc),
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


def _error_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    # A bug in a scorecard spec or in the data: name the kind, never repeat the values
    # (an exception's text could hold personal data).
    return _("The scoring step failed (%(kind)s); check the scorecard and the features.") % {
        "kind": type(exc).__name__
    }


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
    save_with_history(
        assessment,
        actor=RUN_ACTOR,
        reason=change_reason("assessment.succeeded", RUN_ACTOR, f"attempt {attempt}"),
        fields=[
            *result.assessment_fields(),
            "features",
            "status",
            "error",
            "finished_at",
        ],
    )
    audit_record(
        actor=RUN_ACTOR,
        action="assessment.succeeded",
        target=assessment,
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
    services.credit_line_apply_recommendation(actor=RUN_ACTOR, assessment_id=assessment.pk)
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
    save_with_history(
        assessment,
        actor=actor,
        reason=change_reason("assessment.failed", actor, f"attempt {assessment.attempts}"),
        fields=fields,
    )
    audit_record(
        actor=actor,
        action="assessment.failed",
        target=assessment,
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
        reason=change_reason("assessment.requeued", RUN_ACTOR, f"transient {reason}"),
        fields=["status", "started_at"],
    )
    return True


# --- the sweeper ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepReport:
    resent: list[int]
    requeued: list[int]
    failed: list[int]
    bulk_replanned: list[int]


@transaction.atomic
def assessments_sweep(*, now: datetime | None = None) -> SweepReport:
    """Find jobs whose messages or workers were lost and put them back on track.

    - ``queued`` longer than ``QUEUED_RESEND_AFTER``: re-sent (``queued_at`` restarts);
      a duplicate message is harmless (the claim is conditional).
    - ``running`` longer than ``RUNNING_LOST_AFTER`` (the hard time limit plus a margin: the
      worker died): back to ``queued`` and re-sent, or ``failed`` ("worker lost") once it
      has been claimed ``MAX_ATTEMPTS`` times.
    - bulk jobs ``running`` whose counters have not moved for ``BULK_STALLED_AFTER``:
      re-planned (the chunks not written are enqueued again).

    Rows locked by someone else are skipped (``SKIP LOCKED``); at most ``SWEEP_BATCH`` of
    each kind per run. Each change has its history row and audit entry, by the system.
    """
    now = now or timezone.now()
    resent: list[int] = []
    requeued: list[int] = []
    failed: list[int] = []

    stale_queued = list(
        Assessment.objects.select_for_update(skip_locked=True)
        .filter(status=AssessmentStatus.QUEUED, queued_at__lt=now - QUEUED_RESEND_AFTER)
        .order_by("queued_at")[:SWEEP_BATCH]
    )
    for assessment in stale_queued:
        if assessment.attempts >= MAX_ATTEMPTS:
            # Claimed and put back (transient errors) too often: stop trying.
            _sweep_fail(assessment, now=now)
            failed.append(assessment.pk)
            continue
        assessment.queued_at = now
        save_with_history(
            assessment,
            actor=SWEEP_ACTOR,
            reason=change_reason("assessment.resent", SWEEP_ACTOR),
            fields=["queued_at"],
        )
        resent.append(assessment.pk)

    lost = list(
        Assessment.objects.select_for_update(skip_locked=True)
        .filter(status=AssessmentStatus.RUNNING, started_at__lt=now - RUNNING_LOST_AFTER)
        .order_by("started_at")[:SWEEP_BATCH]
    )
    for assessment in lost:
        if assessment.attempts >= MAX_ATTEMPTS:
            _sweep_fail(assessment, now=now)
            failed.append(assessment.pk)
            continue
        assessment.status = AssessmentStatus.QUEUED
        assessment.started_at = None
        assessment.queued_at = now
        save_with_history(
            assessment,
            actor=SWEEP_ACTOR,
            reason=change_reason(
                "assessment.requeued", SWEEP_ACTOR, f"worker lost in attempt {assessment.attempts}"
            ),
            fields=["status", "started_at", "queued_at"],
        )
        audit_record(
            actor=SWEEP_ACTOR,
            action="assessment.requeued",
            target=assessment,
            data={
                "customer": assessment.customer_id,
                "attempt": assessment.attempts,
                "why": "worker_lost",
            },
        )
        requeued.append(assessment.pk)

    for assessment_id in [*resent, *requeued]:
        _enqueue_run(assessment_id)

    stalled = list(
        BulkJob.objects.select_for_update(skip_locked=True)
        .filter(status=BulkJobStatus.RUNNING, updated_at__lt=now - BULK_STALLED_AFTER)
        .order_by("pk")[:SWEEP_BATCH]
    )
    for job in stalled:
        job.status = BulkJobStatus.QUEUED
        save_with_history(
            job,
            actor=SWEEP_ACTOR,
            reason=change_reason("bulk_job.replanned", SWEEP_ACTOR, "no progress"),
            fields=["status", "updated_at"],
        )
        audit_record(
            actor=SWEEP_ACTOR,
            action="bulk_job.replanned",
            target=job,
            data={"done": job.done, "total": job.total, "failed": job.failed},
        )
        _enqueue_plan(job.pk)

    if resent or requeued or failed or stalled:
        logger.info(
            "sweep: %d re-sent, %d requeued, %d failed, %d bulk jobs re-planned",
            len(resent),
            len(requeued),
            len(failed),
            len(stalled),
        )
    return SweepReport(
        resent=resent,
        requeued=requeued,
        failed=failed,
        bulk_replanned=[job.pk for job in stalled],
    )


def _sweep_fail(assessment: Assessment, *, now: datetime) -> None:
    assessment.status = AssessmentStatus.FAILED
    assessment.finished_at = now
    assessment.error = _(
        "The worker running this assessment was lost or failed %(n)d times; gave up. "
        "Re-run the assessment."
    ) % {"n": assessment.attempts}
    save_with_history(
        assessment,
        actor=SWEEP_ACTOR,
        reason=change_reason("assessment.failed", SWEEP_ACTOR, "worker lost"),
        fields=["status", "finished_at", "error"],
    )
    audit_record(
        actor=SWEEP_ACTOR,
        action="assessment.failed",
        target=assessment,
        data={
            "customer": assessment.customer_id,
            "trigger": assessment.trigger,
            "attempt": assessment.attempts,
            "error": "worker_lost",
        },
    )


# --- bulk re-assessment -----------------------------------------------------------------------

BULK_FILTER_KEYS = (
    "reason_code",
    "block_source",
    "city",
    "product",
    "scorecard_version",
    "assessed_before",
)


def bulk_filters_clean(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters in their stored (JSON) form; ``ValidationError`` naming each bad field.

    Empty values are dropped; ``assessed_before`` is stored as an ISO date.
    """
    if not isinstance(filters, dict):
        raise ValidationError({"filters": [_("Send the filters as an object.")]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(filters) - set(BULK_FILTER_KEYS))
    if unknown:
        errors["non_field_errors"] = [
            _("Unknown filter(s): %(names)s.") % {"names": ", ".join(map(str, unknown))}
        ]
    clean: dict[str, Any] = {}
    choices = {
        "reason_code": ReasonCode.values,
        "block_source": BlockSource.values,
        "product": Product.values,
    }
    for key, allowed in choices.items():
        value = filters.get(key)
        if value in (None, ""):
            continue
        if value not in allowed:
            errors[key] = [_("Choose a value from the list.")]
        else:
            clean[key] = value
    city = filters.get("city")
    if city not in (None, ""):
        if not isinstance(city, str) or len(city.strip()) > 64:
            errors["city"] = [_("Enter a city name of at most 64 characters.")]
        elif city.strip():
            clean["city"] = city.strip()
    version = filters.get("scorecard_version")
    if version not in (None, ""):
        try:
            number = int(version)
        except (TypeError, ValueError):
            number = 0
        if isinstance(version, bool) or number < 1:
            errors["scorecard_version"] = [_("Enter a scorecard version number.")]
        elif not Scorecard.objects.filter(version=number).exists():
            errors["scorecard_version"] = [_("There is no scorecard with this version.")]
        else:
            clean["scorecard_version"] = number
    day = filters.get("assessed_before")
    if day not in (None, ""):
        parsed: date | None = None
        if isinstance(day, datetime):
            parsed = day.date()
        elif isinstance(day, date):
            parsed = day
        elif isinstance(day, str):
            try:
                parsed = date.fromisoformat(day)
            except ValueError:
                parsed = None
        if parsed is None:
            errors["assessed_before"] = [_("Enter a date as YYYY-MM-DD.")]
        elif not year_in_range(parsed):
            errors["assessed_before"] = [year_range_message()]
        elif parsed > timezone.localdate() + timedelta(days=1):
            errors["assessed_before"] = [_("The date may not be in the future.")]
        else:
            clean["assessed_before"] = parsed.isoformat()
    if errors:
        raise ValidationError(errors)
    return clean


def _enqueue_plan(job_id: int) -> None:
    from scoring.tasks import bulk_job_plan

    transaction.on_commit(lambda: bulk_job_plan.delay(job_id))


@transaction.atomic
def bulk_job_start(
    *, actor: User, filters: dict[str, Any], scorecard_id: int | None = None
) -> BulkJob:
    """Start re-assessing every customer matching ``filters`` (see
    ``selectors.bulk_job_customers``) with the given active scorecard, or the champion.

    The scorecard is pinned when the job starts, so every chunk scores with the same
    version. ``total`` is counted now (the planner fixes it to what it actually enqueues).
    A filter matching nobody gives a job that is finished at once. Raises
    ``PermissionDenied`` and ``ValidationError`` (``{"field": [messages]}``).
    """
    ensure_can_start_bulk_jobs(actor)
    clean = bulk_filters_clean(filters)
    if scorecard_id is None:
        scorecard = selectors.champion_scorecard()
        if scorecard is None:
            raise ValidationError(
                _("No scorecard is the champion; a supervisor must activate one.")
            )
    else:
        scorecard = Scorecard.objects.filter(pk=scorecard_id, status=ScorecardStatus.ACTIVE).first()
        if scorecard is None:
            raise ValidationError({"scorecard": [_("Choose an active scorecard version.")]})
    total = selectors.bulk_job_customers(clean).count()
    now = timezone.now()
    job = BulkJob(
        requested_by=actor,
        filters=clean,
        scorecard=scorecard,
        total=total,
        status=BulkJobStatus.QUEUED if total else BulkJobStatus.FINISHED,
        created_at=now,
        finished_at=None if total else now,
    )
    job._history_user = actor  # type: ignore[attr-defined]
    job._change_reason = change_reason("bulk_job.started", actor)  # type: ignore[attr-defined]
    job.save()
    audit_record(
        actor=actor,
        action="bulk_job.started",
        target=job,
        data={"filters": clean, "scorecard_version": scorecard.version, "total": total},
    )
    if total:
        _enqueue_plan(job.pk)
    return job


def bulk_job_plan(*, job_id: int) -> int:
    """``queued → running``: list the customers of the filter not yet assessed in this job,
    fix ``total`` to ``done`` plus that many, and enqueue them in chunks of
    ``BULK_CHUNK_SIZE`` ids after commit. The number of chunks; 0 when the job was not
    queued (a second delivery, or cancelled meanwhile)."""
    from scoring.tasks import bulk_chunk_run

    with transaction.atomic():
        job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != BulkJobStatus.QUEUED:
            return 0
        ids = selectors.bulk_job_remaining_customer_ids(job=job)
        now = timezone.now()
        job.total = job.done + len(ids)
        job.started_at = job.started_at or now
        if ids:
            job.status = BulkJobStatus.RUNNING
        else:
            job.status = BulkJobStatus.FINISHED
            job.finished_at = now
        save_with_history(
            job,
            actor=PLAN_ACTOR,
            reason=change_reason("bulk_job.planned", PLAN_ACTOR, f"{len(ids)} customers"),
            fields=["total", "started_at", "status", "finished_at", "updated_at"],
        )
        chunks = [ids[i : i + BULK_CHUNK_SIZE] for i in range(0, len(ids), BULK_CHUNK_SIZE)]
        audit_record(
            actor=PLAN_ACTOR,
            action="bulk_job.planned",
            target=job,
            data={"customers": len(ids), "chunks": len(chunks), "total": job.total},
        )

        def send() -> None:
            for chunk in chunks:
                bulk_chunk_run.delay(job_id, chunk)

        transaction.on_commit(send)
    return len(chunks)


@dataclass(frozen=True)
class ChunkReport:
    written: int
    failed: int
    finished: bool


def bulk_job_run_chunk(*, job_id: int, customer_ids: Sequence[int]) -> ChunkReport:
    """Score a chunk of a running bulk job and record it.

    Reads the features of the whole chunk in one query and scores in memory; then, in one
    transaction holding the job row: re-checks that the job is still running (a cancel
    stops here), leaves out customers that already have an assessment in this job (a
    redelivered chunk), bulk-inserts the assessments and their history rows, adds to the
    counters with one ``UPDATE … SET done = done + n`` that also sets ``finished`` when
    ``done`` reaches ``total``, and records one audit entry for the chunk.
    """
    job = BulkJob.objects.filter(pk=job_id).only("id", "status", "scorecard_id").first()
    if job is None or job.status != BulkJobStatus.RUNNING or not customer_ids:
        return ChunkReport(written=0, failed=0, finished=False)
    # Jobs pin their scorecard when they start; an unpinned one scores with the champion.
    scorecard = (
        Scorecard.objects.get(pk=job.scorecard_id)
        if job.scorecard_id is not None
        else selectors.champion_scorecard()
    )
    if scorecard is None:
        raise ValidationError(_("No scorecard is the champion; a supervisor must activate one."))
    rows = _scored_rows(
        customer_ids, scorecard=scorecard, trigger=AssessmentTrigger.BULK, bulk_job_id=job_id
    )
    return _bulk_chunk_record(job_id=job_id, rows=rows)


def _scored_rows(
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
    snapshots = engine.features_snapshots(list(customer_ids), today=timezone.localdate())
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
                raise _consent_refusal()
            result = engine.score(compiled, snapshot)
        except DOMAIN_ERRORS as exc:
            row.status = AssessmentStatus.FAILED
            row.error = _error_message(exc)
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
        rows = _scored_rows(batch, scorecard=scorecard, trigger=AssessmentTrigger.SCHEDULED)
        now = timezone.now()
        for row in rows:
            row.finished_at = now
            row.requested_by_label = actor.label
        with transaction.atomic():
            _insert_with_history(
                rows,
                change_reason=change_reason("assessment.scheduled", actor),
                history_date=now,
            )
            audit_record(
                actor=actor,
                action="assessment.scheduled_batch",
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


@transaction.atomic
def _bulk_chunk_record(*, job_id: int, rows: list[Assessment]) -> ChunkReport:
    job = (
        BulkJob.objects.select_for_update(of=("self",))
        .select_related("requested_by")
        .get(pk=job_id)
    )
    if job.status != BulkJobStatus.RUNNING:
        return ChunkReport(written=0, failed=0, finished=False)
    already = selectors.bulk_job_assessed_customer_ids(
        job_id=job_id, customer_ids=[r.customer_id for r in rows]
    )
    rows = [r for r in rows if r.customer_id not in already]
    room = job.total - job.done
    if len(rows) > room:
        # Only a chunk from a plan before a cancel and resume can get here, for customers
        # that left the filter meanwhile: the current plan does not count them.
        logger.warning(
            "bulk job %s: %d customers outside the current plan", job_id, len(rows) - room
        )
        rows = rows[:room]
    if not rows:
        return ChunkReport(written=0, failed=0, finished=False)
    now = timezone.now()
    requested_by_label = job.requested_by.get_username()
    for row in rows:
        row.finished_at = now
        row.requested_by_id = job.requested_by_id
        row.requested_by_label = requested_by_label
    _insert_with_history(
        rows,
        change_reason=change_reason("assessment.bulk", BULK_ACTOR, f"job {job_id}"),
        history_date=now,
    )
    written = len(rows)
    failed = sum(1 for r in rows if r.status == AssessmentStatus.FAILED)
    finishes = When(total=F("done") + written, then=Value(BulkJobStatus.FINISHED))
    BulkJob.objects.filter(pk=job_id).update(
        done=F("done") + written,
        failed=F("failed") + failed,
        status=Case(finishes, default=F("status")),
        finished_at=Case(
            When(total=F("done") + written, then=Value(now)), default=F("finished_at")
        ),
        updated_at=now,
    )
    job.refresh_from_db(fields=["done", "failed", "status", "finished_at", "updated_at"])
    finished = job.status == BulkJobStatus.FINISHED
    audit_record(
        actor=BULK_ACTOR,
        action="bulk_job.chunk_recorded",
        target=job,
        data={
            "assessments": written,
            "succeeded": written - failed,
            "failed": failed,
            "first_customer": rows[0].customer_id,
            "last_customer": rows[-1].customer_id,
            "done": job.done,
            "total": job.total,
        },
    )
    if finished:
        job._history_user = None  # type: ignore[attr-defined]
        job._change_reason = change_reason("bulk_job.finished", BULK_ACTOR)  # type: ignore[attr-defined]
        BulkJob.history.bulk_history_create([job], update=True, default_date=now)
        audit_record(
            actor=BULK_ACTOR,
            action="bulk_job.finished",
            target=job,
            data={"done": job.done, "failed": job.failed, "total": job.total},
        )
    return ChunkReport(written=written, failed=failed, finished=finished)


def _insert_with_history(
    rows: list[Assessment], *, change_reason: str, history_date: datetime
) -> None:
    """Insert new assessments and their "+" history rows (system: no user), in the caller's
    transaction, with ``COPY``; sets each row's ``pk``.

    On PostgreSQL this is a few milliseconds where ``bulk_create`` plus
    ``bulk_history_create`` took most of a chunk's time: Django 5.2 inserts many rows as
    ``UNNEST`` of arrays, and psycopg quotes every JSON value into those arrays in Python.
    Elsewhere (SQLite, the local run) it is exactly those two calls.
    """
    if not rows:
        return
    history_model = Assessment.history.model
    if connection.vendor != "postgresql":
        Assessment.objects.bulk_create(rows)
        Assessment.history.bulk_history_create(
            rows, default_change_reason=change_reason, default_date=history_date
        )
        return
    table = Assessment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
    # Plain values: ids, strings, Decimals, aware datetimes and None go to COPY as they are;
    # JSON is serialised once and used for both tables (jsonb parses the text).
    fields = list(Assessment._meta.concrete_fields)
    json_attnames = {f.attname for f in fields if isinstance(f, models.JSONField)}
    values = []
    for row in rows:
        value = {f.attname: getattr(row, f.attname) for f in fields}
        for attname in json_attnames:
            value[attname] = json.dumps(value[attname], cls=DjangoJSONEncoder)
        values.append(value)
    _copy_rows(
        table, [str(f.column) for f in fields], ([v[f.attname] for f in fields] for v in values)
    )
    extra = {
        "history_date": history_date,
        "history_change_reason": change_reason,
        "history_type": "+",
        "history_user_id": None,
    }
    history_fields = [f for f in history_model._meta.concrete_fields if f.attname != "history_id"]
    _copy_rows(
        history_model._meta.db_table,
        [f.column for f in history_fields],
        ([{**v, **extra}[f.attname] for f in history_fields] for v in values),
    )


def _copy_rows(table: str, columns: list[str], rows: Iterable[list[Any]]) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for values in rows:
            copy.write_row(values)


@transaction.atomic
def bulk_job_cancel(*, actor: User, job_id: int) -> BulkJob:
    """Stop a queued or running bulk job: chunks not yet recorded write nothing (they check
    the status under the job's row lock). ``Conflict`` when it is finished or cancelled
    already; ``PermissionDenied``; ``BulkJob.DoesNotExist``."""
    ensure_can_manage_bulk_jobs(actor)
    job = BulkJob.objects.select_for_update().get(pk=job_id)
    if job.status not in {BulkJobStatus.QUEUED, BulkJobStatus.RUNNING}:
        raise Conflict(_("Only a queued or running job can be cancelled."), code="not_running")
    job.status = BulkJobStatus.CANCELLED
    job.cancelled_at = timezone.now()
    job.cancelled_by = actor
    save_with_history(
        job,
        actor=actor,
        reason=change_reason("bulk_job.cancelled", actor),
        fields=["status", "cancelled_at", "cancelled_by", "updated_at"],
    )
    audit_record(
        actor=actor,
        action="bulk_job.cancelled",
        target=job,
        data={"done": job.done, "failed": job.failed, "total": job.total},
    )
    return job


@transaction.atomic
def bulk_job_resume(*, actor: User, job_id: int) -> BulkJob:
    """Resume a cancelled bulk job: it is planned again, over the customers of its filter
    that have no assessment in it yet (``total`` becomes ``done`` plus those). ``Conflict``
    unless it is cancelled; ``PermissionDenied``; ``BulkJob.DoesNotExist``."""
    ensure_can_manage_bulk_jobs(actor)
    job = BulkJob.objects.select_for_update().get(pk=job_id)
    if job.status != BulkJobStatus.CANCELLED:
        raise Conflict(_("Only a cancelled job can be resumed."), code="not_cancelled")
    job.status = BulkJobStatus.QUEUED
    job.cancelled_at = None
    job.cancelled_by = None
    save_with_history(
        job,
        actor=actor,
        reason=change_reason("bulk_job.resumed", actor),
        fields=["status", "cancelled_at", "cancelled_by", "updated_at"],
    )
    audit_record(
        actor=actor,
        action="bulk_job.resumed",
        target=job,
        data={"done": job.done, "failed": job.failed, "total": job.total},
    )
    _enqueue_plan(job.pk)
    return job
