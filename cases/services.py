"""Every write to cases: opening and attaching, claiming, releasing, reassigning, SLA, notes.

Each service runs in one transaction that writes the change, its history row (acting user
and change reason), its audit entry and its timeline event together. Primitives the other
case services build on: ``case_event_record`` (a timeline row) and ``case_bump`` (a
versioned save of a locked case).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.log import audit_record, change_reason, history_user, normalise_data
from cases import notifications, policy
from cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Note,
    Priority,
)
from cases.permissions import (
    can_work_cases,
    ensure_can_add_notes,
    ensure_can_reassign,
    ensure_can_work_cases,
)
from portal.errors import Conflict
from portal.permissions import SystemActor, actor_label
from scoring.assessments import services as jobs
from scoring.models import Assessment, AssessmentTrigger, Block, CreditLine, ReasonCode
from scoring.selectors import credit_lines_shown_but_unusable

Actor = User | SystemActor

NOTE_MAX_LENGTH = 4000


# --- primitives ---------------------------------------------------------------------------------


def case_event_record(
    *,
    case: Case,
    kind: str,
    actor: Actor | None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Write one line of the case's timeline. ``data`` holds ids, codes and amounts only
    (no personal data, no free text: notes and justifications live on their own rows)."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=history_user(actor),
        actor_label=actor_label(actor),
        data=data or {},
    )


def case_bump(*, case: Case, actor: Actor | None, reason: str, fields: Sequence[str]) -> Case:
    """Save ``fields`` of ``case`` with ``version`` + 1 in one UPDATE, plus a history row.

    The caller holds the row lock (``Case.objects.select_for_update()``) and has already set
    the new field values on ``case``. ``last_touched_at`` is set when a person acts (it
    keeps a claimed case from returning to the queue); the system's changes leave it alone.
    """
    case.version += 1
    update = {*fields, "version", "updated_at"}
    if isinstance(actor, User):
        case.last_touched_at = timezone.now()
        update.add("last_touched_at")
    case._history_user = history_user(actor)  # type: ignore[attr-defined]
    case._change_reason = change_reason(reason, actor)  # type: ignore[attr-defined]
    case.save(update_fields=sorted(update))
    return case


def case_ensure_version(*, case: Case, version: int | None) -> None:
    """Refuse a form or API call that started from another version of the case (409)."""
    if version is not None and int(version) != case.version:
        raise Conflict(
            _(
                "This case changed since you opened it (someone else worked on it). "
                "Reload the page and try again."
            ),
            code="stale_version",
        )


def case_lock(*, case_id: int) -> Case:
    """The case, locked for the rest of the caller's transaction (``Case.DoesNotExist``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_lock must be called inside a transaction.")
    return Case.objects.select_for_update(of=("self",)).get(pk=case_id)


# --- opening and attaching ----------------------------------------------------------------------

_ATTACH_EVENT_KIND: dict[str, str] = {
    CaseSource.SIGNAL: CaseEventKind.SIGNAL,
    CaseSource.FEEDBACK: CaseEventKind.FEEDBACK,
}


def _open_case(*, customer_id: int, category: str) -> Case | None:
    return (
        Case.objects.select_for_update(of=("self",))
        .filter(customer_id=customer_id, category=category, status__in=OPEN_STATUSES)
        .first()
    )


def _validate_open(
    *, customer_id: int, category: str, source: str, credit_line_id: int | None, reason_code: str
) -> None:
    errors: dict[str, list[str]] = {}
    if category not in CaseCategory.values:
        errors["category"] = [_("Choose a case category from the list.")]
    if source not in CaseSource.values:
        errors["source"] = [_("Choose a case source from the list.")]
    if reason_code and reason_code not in ReasonCode.values:
        errors["reason_code"] = [_("Choose a reason code from the list.")]
    if (
        credit_line_id is not None
        and not CreditLine.objects.filter(pk=credit_line_id, customer_id=customer_id).exists()
    ):
        errors["credit_line"] = [_("This credit line does not belong to the customer.")]
    if errors:
        raise ValidationError(errors)


def case_open_or_attach(
    *,
    actor: Actor,
    customer_id: int,
    category: str,
    source: str,
    credit_line_id: int | None = None,
    reason_code: str = "",
    priority: int | None = None,
    event: dict[str, Any] | None = None,
) -> tuple[Case, bool]:
    """The one way cases are created: ``(case, True)`` for a new case, ``(case, False)``
    when the event attached to the customer's open case of the same category.

    Attaching records the event (``signal``, ``feedback`` or ``attached`` by source) and
    raises the case's priority (and brings its due time forward) when the new event is
    more urgent. Two callers racing for the same customer and category meet at the partial
    unique index: the loser's insert fails inside a savepoint and it attaches instead.
    ``event`` holds ids and codes only (personal keys and floats are refused).
    """
    _validate_open(
        customer_id=customer_id,
        category=category,
        source=source,
        credit_line_id=credit_line_id,
        reason_code=reason_code,
    )
    details = normalise_data(event)
    wanted = int(priority) if priority is not None else int(Priority.P3)
    if wanted not in Priority.values:
        raise ValidationError({"priority": [_("Choose a priority from P1 to P4.")]})
    with transaction.atomic():
        existing = _open_case(customer_id=customer_id, category=category)
        if existing is None:
            now = timezone.now()
            case = Case(
                customer_id=customer_id,
                credit_line_id=credit_line_id,
                category=category,
                source=source,
                reason_code=reason_code,
                priority=wanted,
                sla_due_at=policy.sla_due(category=category, priority=wanted, start=now),
                opened_at=now,
            )
            case._history_user = history_user(actor)  # type: ignore[attr-defined]
            case._change_reason = change_reason("case.opened", actor)  # type: ignore[attr-defined]
            try:
                with transaction.atomic():
                    case.save(force_insert=True)
            except IntegrityError:
                existing = _open_case(customer_id=customer_id, category=category)
                if existing is None:  # the other case closed meanwhile: a real error
                    raise
            else:
                case_event_record(
                    case=case,
                    kind=CaseEventKind.OPENED,
                    actor=actor,
                    data={"source": source, "reason_code": reason_code, **details},
                )
                audit_record(
                    actor=actor,
                    action="case.opened",
                    target=case,
                    data={
                        "customer": customer_id,
                        "credit_line": credit_line_id,
                        "category": category,
                        "source": source,
                        "reason_code": reason_code,
                        "priority": wanted,
                    },
                )
                return case, True
        return _case_attach(
            case=existing,
            actor=actor,
            source=source,
            reason_code=reason_code,
            priority=wanted if priority is not None else None,
            details=details,
        ), False


def _case_attach(
    *,
    case: Case,
    actor: Actor,
    source: str,
    reason_code: str,
    priority: int | None,
    details: dict[str, Any],
) -> Case:
    changed: list[str] = []
    before = case.priority
    if priority is not None and priority < case.priority:
        case.priority = priority
        due = policy.sla_due(category=case.category, priority=priority, start=case.opened_at)
        if due < case.sla_due_at:
            case.sla_due_at = due
            changed.append("sla_due_at")
        changed.append("priority")
    if reason_code and not case.reason_code:
        case.reason_code = reason_code
        changed.append("reason_code")
    if changed:
        case_bump(case=case, actor=actor, reason="case.attached", fields=changed)
    case_event_record(
        case=case,
        kind=_ATTACH_EVENT_KIND.get(source, CaseEventKind.ATTACHED),
        actor=actor,
        data={"source": source, "reason_code": reason_code, **details},
    )
    audit_record(
        actor=actor,
        action="case.attached",
        target=case,
        data={
            "source": source,
            "reason_code": reason_code,
            "priority_before": before,
            "priority": case.priority,
        },
    )
    return case


# --- claiming, releasing, reassigning -----------------------------------------------------------

WORKED_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW)


@transaction.atomic
def case_claim_next(*, actor: User) -> Case | None:
    """Assign the most urgent unassigned case (priority, then earliest due) to ``actor``.

    ``FOR UPDATE SKIP LOCKED`` on the claimable partial index: concurrent claimers each
    take a different row and never wait for one another. ``None`` when the queue is empty;
    ``Conflict`` when the officer already holds ``CASES_WIP_LIMIT`` cases in work (the
    officer's own row is locked first, so two tabs cannot both pass the check).

    On PostgreSQL the claim is one statement after the officer's lock: it counts the
    officer's work in progress, picks and updates the case, and writes its history row and
    timeline event (``_claim_postgresql``); then the audit entry, with the COMMIT in the
    same round trip. Three round trips in all (BEGIN, claim, audit and commit) instead of
    about fourteen, with the same rows written.
    """
    ensure_can_work_cases(actor)
    limit = policy.wip_limit()
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        held, case = _claim_postgresql(actor=actor, limit=limit)
    else:
        held, case = _claim_orm(actor=actor, limit=limit)
    if held >= limit:
        raise Conflict(
            _(
                "You already have %(held)d cases in work, your limit of %(limit)d. "
                "Finish one before claiming another."
            )
            % {"held": held, "limit": limit},
            code="wip_limit",
        )
    if case is None:
        return None
    # The last statement: its COMMIT rides along, so the audit chain's lock is released
    # without waiting for this process to be scheduled again.
    audit_record(
        actor=actor,
        action="case.claimed",
        target=case,
        data={"assignee": actor.pk, "priority": case.priority},
        commit=True,
    )
    return case


def _claim_orm(*, actor: User, limit: int) -> tuple[int, Case | None]:
    """The portable claim (SQLite, the local run): lock and count, pick, save."""
    # One round trip: lock the officer's row and count the cases they hold.
    held_cases = (
        Case.objects.filter(assignee=OuterRef("pk"), status__in=WORKED_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    held = (
        User.objects.select_for_update(of=("self",))
        .filter(pk=actor.pk)
        .annotate(held=Subquery(held_cases))
        .values_list("held", flat=True)
        .get()
    ) or 0
    if held >= limit:
        return held, None
    case = (
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(status=CaseStatus.NEW, assignee__isnull=True)
        .order_by("priority", "sla_due_at", "id")
        .first()
    )
    if case is None:
        return held, None
    now = timezone.now()
    case.status = CaseStatus.ASSIGNED
    case.assignee = actor
    case.assigned_at = now
    case_bump(
        case=case, actor=actor, reason="case.claimed", fields=["status", "assignee", "assigned_at"]
    )
    case_event_record(
        case=case, kind=CaseEventKind.ASSIGNED, actor=actor, data={"assignee": actor.pk}
    )
    return held, case


@functools.cache
def _claim_sql() -> tuple[str, list[str]]:
    """The claim statement: count, pick (``SKIP LOCKED``), update, history row, event.

    Built once from the models' metadata, so the history row copies every column of the
    case as django-simple-history would (``history_type`` ``~``, user and change reason).
    """
    qn = transaction.get_connection().ops.quote_name
    case_table = qn(Case._meta.db_table)
    history_model = Case.history.model  # type: ignore[attr-defined,unused-ignore]
    case_columns = [str(f.column) for f in Case._meta.concrete_fields]
    history_columns = [f.column for f in history_model._meta.concrete_fields]
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}
    unknown = set(history_columns) - set(case_columns) - own
    if unknown:  # a history column we would not fill: refuse rather than write a bad row
        raise RuntimeError(f"Unexpected history columns: {sorted(unknown)}")
    copied = [c for c in history_columns if c in case_columns]
    worked = ", ".join(f"'{status}'" for status in WORKED_STATUSES)
    # Only identifiers from the models' metadata and our own constants are formatted in;
    # every value is a query parameter.
    sql = f"""
WITH held AS (
    SELECT count(*) AS n FROM {case_table}
    WHERE assignee_id = %(actor)s AND status IN ({worked})
), pick AS (
    SELECT id FROM {case_table}
    WHERE status = %(new)s AND assignee_id IS NULL AND (SELECT n FROM held) < %(limit)s
    ORDER BY priority, sla_due_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE {case_table} AS c
    SET status = %(assigned)s, assignee_id = %(actor)s, assigned_at = %(now)s,
        last_touched_at = %(now)s, updated_at = %(now)s, version = c.version + 1
    FROM pick WHERE c.id = pick.id
    RETURNING {", ".join(f"c.{qn(col)}" for col in case_columns)}
), history AS (
    INSERT INTO {qn(history_model._meta.db_table)}
        ({", ".join(qn(col) for col in copied)},
         history_date, history_change_reason, history_type, history_user_id)
    SELECT {", ".join(qn(col) for col in copied)}, %(now)s, %(reason)s, '~', %(actor)s
    FROM claimed
), event AS (
    INSERT INTO {qn(CaseEvent._meta.db_table)} (case_id, kind, at, actor_id, actor_label, data)
    SELECT id, %(kind)s, %(now)s, %(actor)s, %(label)s, %(data)s::jsonb FROM claimed
)
SELECT (SELECT n FROM held), claimed.* FROM (SELECT 1) AS one LEFT JOIN claimed ON TRUE
"""  # noqa: S608
    return sql, case_columns


def _claim_postgresql(*, actor: User, limit: int) -> tuple[int, Case | None]:
    """Lock the officer's row, then claim in one statement (``_claim_sql``). Both go in one
    round trip but as two statements: the count in the second must see every claim
    committed while the first waited for the lock."""
    sql, _columns = _claim_sql()
    now = timezone.now()
    connection = transaction.get_connection()
    user_table = connection.ops.quote_name(User._meta.db_table)
    lock_officer = f"SELECT 1 FROM {user_table} WHERE id = %(actor)s FOR UPDATE;\n"  # noqa: S608
    with connection.cursor() as cursor:
        # Two statements, one round trip (the parameters are bound client-side): under READ
        # COMMITTED the claim's snapshot is taken after the lock is granted.
        cursor.execute(
            lock_officer + sql,
            {
                "actor": actor.pk,
                "new": CaseStatus.NEW.value,
                "assigned": CaseStatus.ASSIGNED.value,
                "limit": limit,
                "now": now,
                "reason": change_reason("case.claimed", actor),
                "kind": CaseEventKind.ASSIGNED.value,
                "label": actor_label(actor),
                "data": json.dumps({"assignee": actor.pk}),
            },
        )
        if cursor.fetchone() is None:
            raise User.DoesNotExist
        if not cursor.cursor.nextset():
            raise RuntimeError("The claim returned no result.")
        row = cursor.fetchone()
    held = int(row[0] or 0)
    if row[1] is None:
        return held, None
    fields = [f.attname for f in Case._meta.concrete_fields]  # the order of ``columns``
    values = list(row[1:])
    # What the ORM's compiler would apply to these columns (nothing on PostgreSQL today).
    for index, column, converters in _case_converters(connection.alias):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    case = Case.from_db(connection.alias, fields, values)
    return held, case


@functools.cache
def _case_converters(alias: str) -> tuple[tuple[int, Any, tuple[Callable[..., Any], ...]], ...]:
    """Per column of ``Case``, the database and field converters of a queryset's compiler."""
    connection = connections[alias]
    found = []
    for index, field in enumerate(Case._meta.concrete_fields):
        column = field.get_col(Case._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, column, tuple(converters)))
    return tuple(found)


class _PendingAudit(NamedTuple):
    action: str
    case: Case
    data: dict[str, Any]


def _audit_batch(actor: User | SystemActor, audits: list[_PendingAudit]) -> None:
    """A batch's audit entries, written last in its transaction: the chain's lock is taken
    by the first append and held to the commit, so every other audited write in the portal
    waits only for these appends, not for the whole batch's work."""
    for audit in audits:
        audit_record(actor=actor, action=audit.action, target=audit.case, data=audit.data)


RELEASE_ACTOR = SystemActor("cases.release_stale")


def cases_release_stale(*, now: datetime | None = None, batch_size: int = 200) -> list[int]:
    """Return claimed cases untouched for ``CASES_CLAIM_TIMEOUT_MINUTES`` to the queue.

    Each batch is one transaction; rows another transaction holds are skipped (they are
    being worked on right now) and the conditions are re-checked under the lock, so a
    second run, or one racing an officer's note, changes nothing twice.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=policy.claim_timeout_minutes())
    stale = Q(status=CaseStatus.ASSIGNED) & (
        Q(last_touched_at__lt=cutoff) | Q(last_touched_at__isnull=True, assigned_at__lt=cutoff)
    )
    released: list[int] = []
    while True:
        with transaction.atomic():
            batch = list(
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(stale)
                .order_by("id")[:batch_size]
            )
            audits: list[_PendingAudit] = []
            for case in batch:
                previous = case.assignee_id
                case.status = CaseStatus.NEW
                case.assignee = None
                case.assigned_at = None
                case_bump(
                    case=case,
                    actor=RELEASE_ACTOR,
                    reason="case.released",
                    fields=["status", "assignee", "assigned_at"],
                )
                data = {
                    "previous_assignee": previous,
                    "timeout_minutes": policy.claim_timeout_minutes(),
                }
                case_event_record(
                    case=case, kind=CaseEventKind.RELEASED, actor=RELEASE_ACTOR, data=data
                )
                audits.append(_PendingAudit("case.released", case, data))
                released.append(case.pk)
            _audit_batch(RELEASE_ACTOR, audits)
        if len(batch) < batch_size:
            return released


@transaction.atomic
def case_reassign(*, actor: User, case_ids: list[int], assignee_id: int | None) -> list[Case]:
    """A supervisor gives open cases to an officer (``assignee_id``) or back to the queue
    (``None``). All or nothing; each case gets its event, history row and audit entry."""
    ensure_can_reassign(actor)
    ids = sorted(set(case_ids))
    if not ids:
        raise ValidationError({"case_ids": [_("Choose at least one case.")]})
    assignee: User | None = None
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not can_work_cases(assignee):
            raise ValidationError({"assignee": [_("Choose an active officer or supervisor.")]})
    # Locked in id order, so two supervisors reassigning overlapping sets cannot deadlock.
    cases = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("id"))
    if len(cases) != len(ids):
        raise ValidationError({"case_ids": [_("Some of these cases do not exist.")]})
    closed = [c.pk for c in cases if not c.is_open]
    if closed:
        raise Conflict(
            _("Cases %(ids)s are already resolved or closed; nothing was reassigned.")
            % {"ids": ", ".join(f"#{pk}" for pk in closed)},
            code="case_closed",
        )
    now = timezone.now()
    audits: list[_PendingAudit] = []
    for case in cases:
        previous = case.assignee_id
        if assignee is not None:
            case.assignee = assignee
            case.assigned_at = now
            if case.status == CaseStatus.NEW:
                case.status = CaseStatus.ASSIGNED
            kind = CaseEventKind.ASSIGNED
        else:
            case.assignee = None
            case.assigned_at = None
            if case.status in WORKED_STATUSES:
                case.status = CaseStatus.NEW
            kind = CaseEventKind.RELEASED
        case_bump(
            case=case,
            actor=actor,
            reason="case.reassigned",
            fields=["status", "assignee", "assigned_at"],
        )
        data = {"previous_assignee": previous, "assignee": assignee_id}
        case_event_record(case=case, kind=kind, actor=actor, data=data)
        audits.append(_PendingAudit("case.reassigned", case, data))
    _audit_batch(actor, audits)
    return cases


# --- SLA ----------------------------------------------------------------------------------------

SLA_ACTOR = SystemActor("cases.sla_sweep")


@dataclass(frozen=True)
class SlaSweepReport:
    due_soon: list[int]
    breached: list[int]


def cases_sla_sweep(*, now: datetime | None = None, batch_size: int = 200) -> SlaSweepReport:
    """Mark open cases due soon, and breached ones: breach sets ``sla_breached_at``, raises
    the priority one step (P1 at most), records ``sla_breached`` and ``escalated``, and
    notifies every supervisor in the portal (in the same transaction).

    Each case is marked once (the ``*_at`` column is the guard, re-checked under the lock);
    rows locked elsewhere are skipped and picked up by the next run.
    """
    now = now or timezone.now()
    soon = now + timedelta(minutes=policy.due_soon_minutes())
    open_ = Q(status__in=OPEN_STATUSES, sla_breached_at__isnull=True)
    supervisors: list[list[int]] = []  # looked up once, when the first breach is marked

    def breach(case: Case) -> _PendingAudit:
        if not supervisors:
            supervisors.append(notifications.supervisor_ids())
        return _case_mark_breached(case, now, supervisors=supervisors[0])

    breached = _sla_batches(open_ & Q(sla_due_at__lt=now), batch_size, breach)
    due_soon = _sla_batches(
        open_ & Q(sla_due_soon_at__isnull=True, sla_due_at__gte=now, sla_due_at__lte=soon),
        batch_size,
        lambda case: _case_mark_due_soon(case, now),
    )
    return SlaSweepReport(due_soon=due_soon, breached=breached)


def _sla_batches(
    condition: Q, batch_size: int, mark: Callable[[Case], _PendingAudit | None]
) -> list[int]:
    marked: list[int] = []
    while True:
        with transaction.atomic():
            batch = list(
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(condition)
                .order_by("sla_due_at", "id")[:batch_size]
            )
            audits = [audit for case in batch if (audit := mark(case)) is not None]
            marked.extend(case.pk for case in batch)
            _audit_batch(SLA_ACTOR, audits)
        if len(batch) < batch_size:
            return marked


def _case_mark_due_soon(case: Case, now: datetime) -> None:
    # A timing mark, not a change of substance: no version bump (an officer's open form
    # stays valid), but a history row and the timeline event.
    case.sla_due_soon_at = now
    case._history_user = None  # type: ignore[attr-defined]
    case._change_reason = change_reason("case.sla_due_soon", SLA_ACTOR)  # type: ignore[attr-defined]
    case.save(update_fields=["sla_due_soon_at", "updated_at"])
    case_event_record(
        case=case,
        kind=CaseEventKind.SLA_DUE_SOON,
        actor=SLA_ACTOR,
        data={"due": case.sla_due_at.isoformat()},
    )


def _case_mark_breached(case: Case, now: datetime, *, supervisors: list[int]) -> _PendingAudit:
    before = case.priority
    case.sla_breached_at = now
    case.priority = policy.escalated_priority(before)
    case_bump(
        case=case,
        actor=SLA_ACTOR,
        reason="case.sla_breached",
        fields=["sla_breached_at", "priority"],
    )
    data = {
        "due": case.sla_due_at.isoformat(),
        "priority_before": before,
        "priority": case.priority,
    }
    case_event_record(case=case, kind=CaseEventKind.SLA_BREACHED, actor=SLA_ACTOR, data=data)
    case_event_record(
        case=case,
        kind=CaseEventKind.ESCALATED,
        actor=SLA_ACTOR,
        data={"priority_before": before, "priority": case.priority},
    )
    notifications.notify_sla_breached(
        case_id=case.pk,
        data={"case": case.pk, "priority_before": before, "priority": case.priority},
        supervisors=supervisors,
    )
    return _PendingAudit("case.sla_breached", case, data)


# --- notes and re-assessment --------------------------------------------------------------------


@transaction.atomic
def note_add(*, actor: User, case_id: int, body: str, version: int | None) -> Note:
    """Add a note to a case (from the version the form was opened at; stale is a 409)."""
    ensure_can_add_notes(actor)
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": [_("Write the note first.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"body": [_("A note is at most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]}
        )
    case = case_lock(case_id=case_id)
    case_ensure_version(case=case, version=version)
    note = Note(case=case, author=actor, body=text)
    note._history_user = actor  # type: ignore[attr-defined]
    note._change_reason = "note.added"  # type: ignore[attr-defined]
    note.save()
    case_bump(case=case, actor=actor, reason="case.note_added", fields=[])
    case_event_record(case=case, kind=CaseEventKind.NOTE, actor=actor, data={"note": note.pk})
    audit_record(actor=actor, action="case.note_added", target=case, data={"note": note.pk})
    return note


@transaction.atomic
def case_reassess(*, actor: User, case_id: int, version: int | None = None) -> Assessment:
    """Queue a new assessment of the case's customer and credit line (trigger: officer).

    A double click returns the assessment already queued or running and records nothing
    twice. Raises ``PermissionDenied``, ``Conflict`` (stale version) and the scoring
    service's ``ValidationError`` (consent missing, no champion scorecard).
    """
    ensure_can_work_cases(actor)
    case = case_lock(case_id=case_id)
    case_ensure_version(case=case, version=version)
    assessment = jobs.assessment_request(
        actor=actor,
        customer_id=case.customer_id,
        trigger=AssessmentTrigger.OFFICER,
        credit_line_id=case.credit_line_id,
    )
    already = CaseEvent.objects.filter(
        case=case, kind=CaseEventKind.ASSESSMENT, data__assessment=assessment.pk
    ).exists()
    if not already:
        case_bump(case=case, actor=actor, reason="case.reassessed", fields=[])
        case_event_record(
            case=case,
            kind=CaseEventKind.ASSESSMENT,
            actor=actor,
            data={"assessment": assessment.pk},
        )
        audit_record(
            actor=actor, action="case.reassessed", target=case, data={"assessment": assessment.pk}
        )
    return assessment


# --- nightly detection ---------------------------------------------------------------------------

DETECTION_BATCH = 500


@dataclass(frozen=True)
class DetectionReport:
    scanned: int
    opened: int
    attached: int


def cases_detect_unusable(
    *, actor: SystemActor, batch_size: int = DETECTION_BATCH
) -> DetectionReport:
    """Open a case for every shown-but-unusable line whose customer has no open case of the
    category its cause suggests (``policy.detected_case``), in batches by line id.

    Each batch reads its lines, their active block reasons and the open cases of their
    customers in three queries; each new case goes through ``case_open_or_attach`` (its own
    transaction, audit and timeline). Running it again opens nothing twice: a customer
    with an open case of that category is skipped. The run is audited with its counts.
    """
    scanned = opened = attached = 0
    after = 0
    while True:
        lines = list(
            credit_lines_shown_but_unusable()
            .filter(pk__gt=after)
            .order_by("pk")
            .values("pk", "customer_id")[:batch_size]
        )
        if not lines:
            break
        after = lines[-1]["pk"]
        scanned += len(lines)
        reasons: dict[int, list[str]] = {}
        for line_id, code in (
            Block.objects.active()
            .filter(credit_line_id__in=[line["pk"] for line in lines])
            .values_list("credit_line_id", "reason_code")
        ):
            reasons.setdefault(line_id, []).append(code)
        open_now = set(
            Case.objects.filter(
                status__in=OPEN_STATUSES, customer_id__in={line["customer_id"] for line in lines}
            ).values_list("customer_id", "category")
        )
        for line in lines:
            codes = sorted(reasons.get(line["pk"], []))
            reason, category, priority = policy.detected_case(codes)
            if (line["customer_id"], category) in open_now:
                continue
            _case, created = case_open_or_attach(
                actor=actor,
                customer_id=line["customer_id"],
                category=category,
                source=CaseSource.DETECTION,
                credit_line_id=line["pk"],
                reason_code=reason,
                priority=priority,
                event={"credit_line": line["pk"], "reason_codes": codes},
            )
            open_now.add((line["customer_id"], category))
            if created:
                opened += 1
            else:
                attached += 1
    audit_record(
        actor=actor,
        action="cases.detection_run",
        target=None,
        data={"scanned": scanned, "opened": opened, "attached": attached},
    )
    return DetectionReport(scanned=scanned, opened=opened, attached=attached)
