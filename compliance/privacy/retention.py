"""Retention: applying the ``RetentionPolicy`` rows, for real or as a dry run.

Each enabled policy keeps one kind of record ``keep_days`` after the event that ends its
purpose, then removes the personal part of it:

- ``customer_personal_data``: customers with no open case, no active or frozen line and
  nothing newer than the cut-off (the apps' ``retention_keep_customer_ids`` hooks say what
  counts) are erased with ``customer_erase``; a customer under legal hold is skipped and
  counted;
- ``feedback_text``: closed or matched feedback received before the cut-off loses the
  customer's words (cases hook);
- ``case_notes``: notes on cases closed before the cut-off become a placeholder, history
  rows too (cases hook);
- ``personal_data_access``: access-log rows older than ``max(keep_days, 183)`` days are
  deleted (the database refuses younger ones whatever the policy says).

A dry run counts what a real run would change and changes nothing. Every run, dry or real,
writes a ``RetentionRun`` with its report and an audit entry ``retention.run`` (counts only).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.changes import record_change
from audit.log import audit_record
from compliance.models import LegalHold, RetentionPolicy, RetentionRun
from compliance.permissions import (
    can_change_retention_policies,
    can_run_retention,
)
from compliance.privacy.erasure import active_legal_holds, customer_erase
from portal.permissions import SystemActor, actor_label
from portal.pii.sources import Holds, RetentionRecordType, customer_records, sources
from scoring.customers.access import ACCESS_LOG_MIN_RETENTION_DAYS, PersonalDataAccess

if TYPE_CHECKING:
    from accounts.models import User

    Actor = User | SystemActor

# Customers erased per run at most (the next night takes the rest); keeps a run bounded.
CUSTOMER_BATCH = 1000
MAX_KEEP_DAYS = 365 * 100


# --- policies -----------------------------------------------------------------------------------


def minimum_keep_days(record_type: str) -> int:
    if record_type == RetentionRecordType.PERSONAL_DATA_ACCESS:
        return ACCESS_LOG_MIN_RETENTION_DAYS
    return 1


def keep_days_in_force(record_type: str, *, default: int) -> int | None:
    """The days a policy keeps its records, as the retention run applies it: ``None`` while
    the policy is switched off (nothing is deleted), ``default`` when there is no policy.
    For notices that must not promise more than the run does."""
    policy = (
        RetentionPolicy.objects.filter(record_type=record_type)
        .values_list("keep_days", "enabled")
        .first()
    )
    if policy is None:
        return default
    days, enabled = policy
    return int(days) if enabled else None


@transaction.atomic
def retention_policy_update(
    *, actor: User, policy_id: int, keep_days: int, enabled: bool
) -> RetentionPolicy:
    """Change how long one kind of record is kept (privacy officers), with history and audit."""
    if not can_change_retention_policies(actor):
        raise PermissionDenied(_("You may not change retention policies."))
    policy = RetentionPolicy.objects.select_for_update().get(pk=policy_id)
    floor = minimum_keep_days(policy.record_type)
    if not isinstance(keep_days, int) or keep_days < floor or keep_days > MAX_KEEP_DAYS:
        raise ValidationError(
            {
                "keep_days": [
                    _("Keep these records between %(min)d and %(max)d days.")
                    % {"min": floor, "max": MAX_KEEP_DAYS}
                ]
            }
        )
    before = {"keep_days": policy.keep_days, "enabled": policy.enabled}
    policy.keep_days = keep_days
    policy.enabled = bool(enabled)
    return record_change(
        policy,
        actor=actor,
        action=AuditAction.RETENTION_POLICY_CHANGED,
        update_fields=["keep_days", "enabled", "updated_at"],
        data={
            "record_type": policy.record_type,
            "before": before,
            "after": {"keep_days": policy.keep_days, "enabled": policy.enabled},
        },
    )


# --- runs ---------------------------------------------------------------------------------------


def _customers(*, keep_days: int, dry_run: bool, actor: Actor) -> dict[str, int]:
    cutoff = timezone.now() - timedelta(days=keep_days)
    keep: list[QuerySet[Any]] = []
    for source in sources():
        keep.extend(source.retention_keep_customer_ids(cutoff=cutoff))
    candidates = customer_records().retention_quiet_customer_ids(
        cutoff=cutoff, keep=keep, limit=CUSTOMER_BATCH
    )
    held = changed = 0
    for customer_id in candidates:
        if active_legal_holds(customer_id):
            held += 1
            continue
        if not dry_run:
            try:
                customer_erase(actor=actor, customer_id=customer_id)
            except ValidationError:  # a hold placed since the check above
                held += 1
                continue
        changed += 1
    return {"found": len(candidates), "changed": changed, "held": held}


def _sweep(*, record_type: str, keep_days: int, dry_run: bool, actor: Actor) -> dict[str, int]:
    cutoff = timezone.now() - timedelta(days=keep_days)
    active = LegalHold.objects.filter(released_at__isnull=True)
    holds = Holds(
        case_ids=active.filter(case_id__isnull=False).values("case_id"),
        customer_ids=active.filter(customer__isnull=False).values("customer_id"),
    )
    found = 0
    for source in sources():
        with transaction.atomic():
            count = source.retention_sweep(
                record_type=record_type, cutoff=cutoff, dry_run=dry_run, actor=actor, holds=holds
            )
        found += count or 0
    return {"found": found, "changed": 0 if dry_run else found, "held": 0}


def _access_log(*, keep_days: int, dry_run: bool) -> dict[str, int]:
    days = max(keep_days, ACCESS_LOG_MIN_RETENTION_DAYS)
    old = PersonalDataAccess.objects.filter(at__lt=timezone.now() - timedelta(days=days))
    if dry_run:
        found = old.count()
        return {"found": found, "changed": 0, "held": 0}
    with transaction.atomic():
        deleted, _by_model = old.delete()
    return {"found": deleted, "changed": deleted, "held": 0}


def _apply(policy: RetentionPolicy, *, dry_run: bool, actor: Actor) -> dict[str, int]:
    if policy.record_type == RetentionRecordType.CUSTOMER_PERSONAL_DATA:
        return _customers(keep_days=policy.keep_days, dry_run=dry_run, actor=actor)
    if policy.record_type == RetentionRecordType.PERSONAL_DATA_ACCESS:
        return _access_log(keep_days=policy.keep_days, dry_run=dry_run)
    return _sweep(
        record_type=policy.record_type, keep_days=policy.keep_days, dry_run=dry_run, actor=actor
    )


def retention_run(*, actor: Actor, dry_run: bool) -> RetentionRun:
    """Apply every enabled policy (or count what it would do) and record the run.

    Each step commits on its own (an erasure is one transaction per customer), so a long
    run never holds the audit chain's lock for long. A failing step is recorded on the run
    (the error's kind, never its text) and in its audit entry; the steps after it still run.
    """
    if not can_run_retention(actor):
        raise PermissionDenied(_("You may not run the retention policies."))
    if dry_run:
        # A dry run must change nothing, whatever a hook does: everything it touches is
        # rolled back at the end (the run's own record is written afterwards).
        report, errors = _dry(actor=actor)
    else:
        report, errors = _run_policies(dry_run=False, actor=actor)
    with transaction.atomic():
        run = RetentionRun.objects.create(
            started_at=report.pop("_started_at"),
            finished_at=timezone.now(),
            dry_run=dry_run,
            actor_label=actor_label(actor),
            report=report,
            error="; ".join(errors),
        )
        audit_record(
            actor=actor,
            action=AuditAction.RETENTION_RUN,
            target=run,
            data={"dry_run": dry_run, "policies": report["policies"], "errors": errors},
        )
    return run


class _DryRunRollback(Exception):
    pass


def _dry(*, actor: Actor) -> tuple[dict[str, Any], list[str]]:
    outcome: tuple[dict[str, Any], list[str]] | None = None
    try:
        with transaction.atomic():
            outcome = _run_policies(dry_run=True, actor=actor)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    assert outcome is not None
    return outcome


def _run_policies(*, dry_run: bool, actor: Actor) -> tuple[dict[str, Any], list[str]]:
    started = timezone.now()
    policies: list[dict[str, Any]] = []
    errors: list[str] = []
    for policy in RetentionPolicy.objects.order_by("record_type"):
        entry: dict[str, Any] = {
            "record_type": policy.record_type,
            "keep_days": policy.keep_days,
            "enabled": policy.enabled,
        }
        if policy.enabled:
            try:
                entry.update(_apply(policy, dry_run=dry_run, actor=actor))
            except (DatabaseError, ValidationError, LookupError) as exc:
                entry["error"] = type(exc).__name__
                errors.append(f"{policy.record_type}: {type(exc).__name__}")
        policies.append(entry)
    return {"_started_at": started, "policies": policies}, errors
