"""Reads shared by the case pages, the API and exports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    CharField,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    Field,
    JSONField,
    Max,
    Model,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import MD5, Cast, JSONObject, Lag
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import history
from audit.history import FieldChange
from cases import policy
from cases.models import OPEN_STATUSES, Case, CaseEvent, CaseEventKind, Note
from cases.permissions import can_view_cases
from portal.api.pagination import CappedCount, InvalidCursor, Keyset, Position
from scoring.models import Assessment, AssessmentTrigger, Block


def case_for_user(user: Any, pk: int) -> Case:
    """The case with its customer, credit line and assignee, if ``user`` may see cases.

    Like Healthchecks' ``_get_check_for_user``: a stranger (no ``cases.view_case``) gets the
    same 404 as a missing case, never a 403 that confirms the case exists.
    """
    if not can_view_cases(user):
        raise Http404
    try:
        return Case.objects.select_related("customer", "credit_line", "assignee").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404 from None


# --- queues -------------------------------------------------------------------------------------


class SlaFilter(StrEnum):
    BREACHED = "breached"
    DUE_SOON = "due_soon"


@dataclass(frozen=True)
class QueueFilters:
    """What a queue shows. Empty means any; ``status`` empty means every open status;
    ``assignee`` is ``"me"``, ``"none"`` (unassigned) or a user id."""

    status: str = ""
    category: str = ""
    reason_code: str = ""
    priority: int | None = None
    assignee: str = ""
    sla: str = ""
    external_id: str = ""
    phone_hash: str = ""


@dataclass(frozen=True)
class QueueCursor:
    """A row of a page: the next page starts after ``(priority, due, id)``, the previous one
    ends before it. Travels as the one keyset cursor (``portal.api.pagination``, opaque);
    a token that does not decode, or names numbers no column holds, is ``None``."""

    priority: int
    due: datetime
    id: int

    def encode(self) -> str:
        return QUEUE_KEYSET.encode((self.priority, self.due, self.id))

    @classmethod
    def decode(cls, token: str) -> QueueCursor | None:
        try:
            priority, due, pk = QUEUE_KEYSET.decode(token).key
        except InvalidCursor:
            return None
        return cls(priority=priority, due=due, id=pk)


@dataclass(frozen=True)
class QueuePage:
    cases: Sequence[Case]
    next_cursor: str | None
    total: CappedCount
    previous_cursor: str | None = None


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case for staff who may see cases, none for anyone else."""
    return Case.objects.all() if can_view_cases(user) else Case.objects.none()


def cases_for_queue(
    *, user: Any, filters: QueueFilters, now: datetime | None = None
) -> QuerySet[Case]:
    """The cases a queue shows for ``filters``, within what ``user`` may see: the one
    answer for the queue pages, the API's case list and any export of it (unordered; the
    queue order is ``QUEUE_ORDER``).

    - no ``status``: every open status;
    - ``reason_code``: the case's main reason, or an active block of its credit line with
      that code (a line blocked for several reasons shows under each of them);
    - ``sla=breached``: marked breached by the SLA sweep, or past due while still open, or
      closed after its due time; ``sla=due_soon``: open, not breached, due within
      ``policy.due_soon_minutes()``.
    """
    now = now or timezone.now()
    cases = cases_visible_to(user)
    if filters.status:
        cases = cases.filter(status=filters.status)
    else:
        cases = cases.filter(status__in=OPEN_STATUSES)
    if filters.category:
        cases = cases.filter(category=filters.category)
    if filters.reason_code:
        blocked = Block.objects.active().filter(
            credit_line_id=OuterRef("credit_line_id"), reason_code=filters.reason_code
        )
        cases = cases.filter(Q(reason_code=filters.reason_code) | Exists(blocked))
    if filters.priority is not None:
        cases = cases.filter(priority=filters.priority)
    if filters.assignee == "me":
        cases = cases.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee:
        cases = cases.filter(assignee_id=int(filters.assignee))
    if filters.sla == SlaFilter.BREACHED:
        cases = cases.filter(
            Q(sla_breached_at__isnull=False)
            | Q(status__in=OPEN_STATUSES, sla_due_at__lt=now)
            | Q(closed_at__gt=F("sla_due_at"))
        )
    elif filters.sla == SlaFilter.DUE_SOON:
        soon = now + timedelta(minutes=policy.due_soon_minutes())
        cases = cases.filter(
            status__in=OPEN_STATUSES,
            sla_breached_at__isnull=True,
            sla_due_at__gte=now,
            sla_due_at__lte=soon,
        )
    if filters.external_id:
        cases = cases.filter(customer__external_id=filters.external_id)
    if filters.phone_hash:
        cases = cases.filter(customer__phone_hash=filters.phone_hash)
    return cases


QUEUE_ORDER = ("priority", "sla_due_at", "id")
QUEUE_KEYSET = Keyset(*QUEUE_ORDER, model=Case, max_page_size=200)


def queue_page(
    *,
    user: Any,
    filters: QueueFilters,
    after: QueueCursor | None = None,
    before: QueueCursor | None = None,
    page_size: int | None = None,
) -> QueuePage:
    """One keyset page of ``cases_for_queue`` in ``QUEUE_ORDER``, and a capped count: the
    first page, the page after the row ``after`` or the page before the row ``before``
    (``portal.api.pagination.Keyset``).

    One query whatever the page size: the rows with their customers and assignees, and the
    count (``LIMIT cap + 1``, never a count of the whole table) as a scalar subquery. The
    customer's ID number is never loaded (so never decrypted); name and phone are shown
    masked. ``previous_cursor`` is set when rows come before the page (known for certain
    when going backwards; after a cursor, assumed), ``next_cursor`` when rows follow it.
    """
    size = page_size or int(getattr(settings, "CASES_QUEUE_PAGE_SIZE", 50))
    cap = int(getattr(settings, "CASES_QUEUE_COUNT_CAP", 1000))
    row = before or after
    position = (
        Position((row.priority, row.due, row.id), forward=before is None)
        if row is not None
        else None
    )
    rows = (
        cases_for_queue(user=user, filters=filters)
        .select_related("customer", "assignee")
        .only(
            *QUEUE_FIELDS,
            "customer__id",
            "customer__external_id",
            "customer__name",
            "customer__phone",
            "assignee__id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    page = QUEUE_KEYSET.page(rows, cursor=position, page_size=size, count_cap=cap)
    return QueuePage(
        cases=page.rows,
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
        total=page.total or CappedCount(0),
    )


QUEUE_FIELDS = (
    "id",
    "category",
    "source",
    "reason_code",
    "status",
    "priority",
    "sla_due_at",
    "sla_due_soon_at",
    "sla_breached_at",
    "assigned_at",
    "opened_at",
    "closed_at",
    "version",
    "customer_id",
    "credit_line_id",
    "assignee_id",
)


# --- the case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str
    label: str
    actor: str
    event: CaseEvent | None = None
    note: Note | None = None
    # history versions ("changed"): what changed, why, on which record
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""
    record: str = ""


HISTORY_KIND = "changed"
# Bookkeeping columns every save touches: not changes anyone needs to read.
_HISTORY_SKIP = frozenset({"id", "updated_at", "version", "last_touched_at"})


def _history_fields(model: type[Model]) -> list[Field]:  # type: ignore[type-arg,unused-ignore]
    return [f for f in model._meta.concrete_fields if f.attname not in _HISTORY_SKIP]


def _is_personal(field: Field) -> bool:  # type: ignore[type-arg,unused-ignore]
    return history.is_personal(field)


def _snapshot(model: type[Model]) -> JSONObject:
    """A version's fields as one JSON object: decimals and times as text (exact), personal
    fields as a digest only (a change shows, the value never leaves the database)."""
    parts: dict[str, Any] = {}
    for field in _history_fields(model):
        if _is_personal(field):
            parts[field.attname] = MD5(Cast(field.attname, output_field=TextField()))
        elif isinstance(field, DecimalField | DateTimeField):
            parts[field.attname] = Cast(field.attname, output_field=TextField())
        else:
            parts[field.attname] = F(field.attname)
    return JSONObject(**parts)


def _history_part(model: type[Model], record: str, ids: Q, since: datetime) -> QuerySet[Any]:
    """Versions of the matching records since ``since``, plus each record's last version
    before it (so the first change in range has something to compare with), each with the
    previous version of the same record alongside (``LAG``)."""
    history = model.history.model  # type: ignore[attr-defined]
    before = (
        history.objects.filter(ids, history_date__lt=since)
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    snapshot = _snapshot(model)
    return (
        history.objects.filter(ids)
        .filter(Q(history_date__gte=since) | Q(history_id__in=before))
        .annotate(
            t_src=Value(record, output_field=CharField()),
            t_at=F("history_date"),
            t_row=F("history_id"),
            t_obj=F("id"),
            t_type=F("history_type"),
            t_actor=F("history_user__username"),
            t_reason=F("history_change_reason"),
            t_snap=snapshot,
            t_prev=Window(
                Lag(snapshot),
                partition_by=[F("id")],
                order_by=[F("history_date").asc(), F("history_id").asc()],
                output_field=JSONField(),
            ),
        )
        .values(*_TIMELINE_COLUMNS)
        .order_by()
    )


_TIMELINE_COLUMNS = (
    "t_src",
    "t_at",
    "t_row",
    "t_obj",
    "t_type",
    "t_actor",
    "t_reason",
    "t_snap",
    "t_prev",
)


def _notes_part(case: Case) -> QuerySet[Any]:
    return (
        Note.objects.filter(case=case)
        .annotate(
            t_src=Value("note", output_field=CharField()),
            t_at=F("created_at"),
            t_row=F("id"),
            t_obj=F("id"),
            t_type=Value("", output_field=CharField()),
            t_actor=F("author__username"),
            t_reason=Value("", output_field=CharField()),
            t_snap=JSONObject(body=F("body")),
            t_prev=Value(None, output_field=JSONField()),
        )
        .values(*_TIMELINE_COLUMNS)
        .order_by()
    )


def _value(field: Field, raw: Any) -> Any:  # type: ignore[type-arg,unused-ignore]
    """A snapshot's JSON value as the field's Python value (a time, a decimal…); a personal
    field's digest stays as it is."""
    if raw is None or _is_personal(field):
        return raw
    try:
        return field.to_python(raw)
    except ValidationError:
        return raw


def _changed_fields(
    model: type[Model], snap: Mapping[str, Any], prev: Mapping[str, Any]
) -> list[history.Pair]:
    """The fields that differ between two snapshots, with the values before and after."""
    return [
        (field, _value(field, prev.get(field.attname)), _value(field, snap.get(field.attname)))
        for field in _history_fields(model)
        if prev.get(field.attname) != snap.get(field.attname)
    ]


def _changes(
    model: type[Model],
    snap: Mapping[str, Any],
    prev: Mapping[str, Any],
    usernames: Mapping[int, str] | None = None,
) -> list[FieldChange]:
    """The changed fields shown as the auditor's history shows them (``audit.history``: local
    times, usernames, translated labels; personal fields only as "(changed)")."""
    pairs = _changed_fields(model, snap, prev)
    if usernames is None:
        usernames = history.usernames_for(pairs)
    return history.field_changes(pairs, usernames, digest=True)


def case_timeline(*, case: Case, limit: int = 200) -> list[TimelineItem]:
    """Events, notes and history versions of a case in one list, newest first.

    Two queries whatever the history's length: the events, and one ``UNION ALL`` of the
    notes and the history of the case, its credit line and the line's blocks since the case
    opened (each version with the one before it, so the changed fields are worked out
    here), and a third when changes name users (all their usernames at once). Values read
    as in the auditor's history (``compliance.history.selectors.field_changes``). A history version
    with nothing to show (only bookkeeping columns) is left out.
    """
    from scoring.models import CreditLine

    events = list(case.events.order_by("-at", "-id")[:limit])
    items = [
        TimelineItem(e.at, e.kind, e.get_kind_display(), e.actor_label, event=e)
        for e in events
        if e.kind != CaseEventKind.NOTE  # the note itself stands for its event
    ]
    since = case.opened_at
    parts = [_history_part(Case, "case", Q(id=case.pk), since)]
    if case.credit_line_id is not None:
        parts += [
            _history_part(CreditLine, "credit_line", Q(id=case.credit_line_id), since),
            _history_part(Block, "block", Q(credit_line_id=case.credit_line_id), since),
        ]
    models: dict[str, type[Model]] = {"case": Case, "credit_line": CreditLine, "block": Block}
    labels = {
        "case": str(Case._meta.verbose_name),
        "credit_line": str(CreditLine._meta.verbose_name),
        "block": str(Block._meta.verbose_name),
    }
    rows = list(_notes_part(case).union(*parts, all=True).order_by("-t_at", "-t_row")[: limit * 2])
    changed: dict[tuple[str, int], list[history.Pair]] = {
        (row["t_src"], row["t_row"]): _changed_fields(
            models[row["t_src"]], row["t_snap"], row["t_prev"]
        )
        for row in rows
        if row["t_src"] != "note"
        and row["t_type"] == "~"
        and row["t_prev"]
        and row["t_at"] >= since
    }
    # The users named in any change: one query for the whole timeline (none if none is).
    usernames = history.usernames_for(pair for pairs in changed.values() for pair in pairs)
    notes = {}
    for row in rows:
        if row["t_src"] == "note":
            notes[row["t_obj"]] = row
            continue
        if row["t_at"] < since:
            continue  # a baseline: the version the first change in range is compared with
        record = f"{labels[row['t_src']]} #{row['t_obj']}"
        if row["t_type"] == "+" and row["t_src"] != "case":  # the case's own: "opened"
            items.append(
                TimelineItem(
                    row["t_at"],
                    HISTORY_KIND,
                    str(_("Created")),
                    row["t_actor"] or "",
                    reason=row["t_reason"] or "",
                    record=record,
                )
            )
            continue
        pairs = changed.get((row["t_src"], row["t_row"]))
        if not pairs:
            continue
        changes = history.field_changes(pairs, usernames, digest=True)
        items.append(
            TimelineItem(
                row["t_at"],
                HISTORY_KIND,
                str(_("Changed")),
                row["t_actor"] or "",
                changes=tuple(changes),
                reason=row["t_reason"] or "",
                record=record,
            )
        )
    for pk, row in notes.items():
        note = Note(id=pk, case_id=case.pk, body=row["t_snap"]["body"], created_at=row["t_at"])
        items.append(
            TimelineItem(
                row["t_at"],
                CaseEventKind.NOTE,
                str(CaseEventKind.NOTE.label),
                row["t_actor"] or "",
                note=note,
            )
        )
    items = _merge_changes_into_events(items)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


# A history version and an event written by one service in one transaction are this close.
_SAME_ACT = timedelta(seconds=2)


def _same_actor(event: TimelineItem, version: TimelineItem) -> bool:
    if version.actor:
        return event.actor == version.actor
    return event.actor.startswith("system:") or not event.actor


def _merge_changes_into_events(items: list[TimelineItem]) -> list[TimelineItem]:
    """Show the fields a service changed under the event it recorded (a claim's status and
    assignee under "Assigned"), not as a second line: a version goes to the first event of
    the same actor within ``_SAME_ACT`` after it (else the nearest); one without such an
    event stays on its own line."""
    events = [i for i in items if i.event is not None]
    merged: dict[int, list[TimelineItem]] = {}
    rest: list[TimelineItem] = []
    for item in items:
        if item.kind != HISTORY_KIND or not item.changes:
            if item.event is None:
                rest.append(item)
            continue
        near = [e for e in events if abs(e.at - item.at) <= _SAME_ACT and _same_actor(e, item)]
        if not near:
            rest.append(item)
            continue
        # Services change first and record the event after: the first event from then on.
        after = [e for e in near if e.at >= item.at]
        target = (
            min(after, key=lambda e: e.at)
            if after
            else min(near, key=lambda e: abs(e.at - item.at))
        )
        merged.setdefault(id(target), []).append(item)
    for event in events:
        versions = merged.get(id(event), [])
        if versions:
            changes = tuple(
                replace(c, label=f"{v.record}: {c.label}")
                if v.record and not v.record.startswith(str(Case._meta.verbose_name))
                else c
                for v in sorted(versions, key=lambda v: v.at)
                for c in v.changes
            )
            event = replace(event, changes=changes)
        rest.append(event)
    return rest


def case_active_blocks(*, case: Case) -> list[Block]:
    if case.credit_line_id is None:
        return []
    return list(
        Block.objects.active()
        .filter(credit_line_id=case.credit_line_id)
        .order_by("raised_at", "id")
    )


def case_latest_assessment(*, case: Case) -> Assessment | None:
    """The customer's most recent assessment (any status), loaded as the detail page does
    (the fields of ``scoring.selectors.assessment_detail``), in one query."""
    return (
        Assessment.objects.select_related("customer", "scorecard")
        .only(
            *(f.name for f in Assessment._meta.concrete_fields),
            "customer__id",
            "customer__external_id",
            "customer__name",
            "scorecard__id",
            "scorecard__version",
            "scorecard__name",
        )
        .filter(customer_id=case.customer_id)
        .exclude(trigger=AssessmentTrigger.SHADOW)
        .order_by("-queued_at", "-id")
        .first()
    )


# --- supervision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Supervision:
    """What a supervisor watches: the open work, the SLA, throughput and decision habits."""

    open_total: int
    by_category: list[tuple[str, int]]
    by_reason: list[tuple[str, int]]
    breached: int
    due_soon: int
    oldest_open: Case | None
    # (day, officer username, cases closed) over the window, oldest day first
    closed_per_officer_day: list[tuple[Any, str, int]]
    decisions: int
    overrides: int
    approvals_decided: int
    approvals_approved: int
    days: int

    @property
    def override_rate(self) -> float | None:
        return self.overrides / self.decisions if self.decisions else None

    @property
    def approval_rate(self) -> float | None:
        return self.approvals_approved / self.approvals_decided if self.approvals_decided else None


def supervision_summary(*, now: datetime | None = None, days: int = 14) -> Supervision:
    """Eight aggregate queries, whatever the number of cases (no rows are loaded but one)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from cases.models import Decision, DecisionKind, DecisionState

    now = now or timezone.now()
    since = now - timedelta(days=days)
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    by_category = list(
        open_cases.values_list("category").annotate(n=Count("id")).order_by("-n", "category")
    )
    by_reason = list(
        open_cases.values_list("reason_code").annotate(n=Count("id")).order_by("-n", "reason_code")
    )
    counts = open_cases.aggregate(
        total=Count("id"),
        breached=Count("id", filter=Q(sla_due_at__lt=now)),
        due_soon=Count(
            "id",
            filter=Q(
                sla_due_at__gte=now,
                sla_due_at__lt=now + timedelta(minutes=policy.due_soon_minutes()),
            ),
        ),
    )
    oldest = open_cases.select_related("customer").order_by("opened_at", "id").first()
    closed = list(
        Case.objects.filter(closed_at__gte=since, assignee__isnull=False)
        .annotate(day=TruncDate("closed_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "assignee__username")
        .annotate(n=Count("id"))
        .order_by("day", "assignee__username")
    )
    decided = Decision.objects.filter(proposed_at__gte=since)
    decision_counts = decided.aggregate(
        total=Count("id"),
        overrides=Count("id", filter=Q(kind=DecisionKind.OVERRIDE_LIMIT)),
        approvals_decided=Count(
            "id",
            filter=Q(requires_approval=True, decided_at__isnull=False),
        ),
        approvals_approved=Count(
            "id",
            filter=Q(
                requires_approval=True,
                decided_at__isnull=False,
                state__in=[DecisionState.APPROVED, DecisionState.APPLIED],
            ),
        ),
    )
    return Supervision(
        open_total=counts["total"],
        by_category=by_category,
        by_reason=by_reason,
        breached=counts["breached"],
        due_soon=counts["due_soon"],
        oldest_open=oldest,
        closed_per_officer_day=closed,
        decisions=decision_counts["total"],
        overrides=decision_counts["overrides"],
        approvals_decided=decision_counts["approvals_decided"],
        approvals_approved=decision_counts["approvals_approved"],
        days=days,
    )


# --- override and approval rates -----------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    """Decisions of one group (a week and an officer, or a reason code)."""

    decisions: int
    overrides: int
    approved: int
    rejected: int

    @property
    def override_share(self) -> float | None:
        return self.overrides / self.decisions if self.decisions else None

    @property
    def reviewed(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_share(self) -> float | None:
        return self.approved / self.reviewed if self.reviewed else None

    @property
    def rejection_share(self) -> float | None:
        return self.rejected / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class DecisionRates:
    since: datetime
    until: datetime
    # (week start, officer username) -> figures, weeks in the display time zone
    weekly: dict[tuple[Any, str], RateRow]
    by_reason: list[tuple[str, RateRow]]
    total: RateRow

    @property
    def weeks(self) -> list[Any]:
        return sorted({week for week, _officer in self.weekly})

    @property
    def officers(self) -> list[str]:
        return sorted({officer for _week, officer in self.weekly})


def decision_rates(
    *,
    since: datetime,
    until: datetime,
    officer_id: int | None = None,
    reason_code: str = "",
) -> DecisionRates:
    """Decisions proposed in ``[since, until)`` by week and officer (the proposer) and by
    reason code: how many, how many override the usable limit, and of the proposals a
    supervisor reviewed, how many were approved and rejected. Two aggregate queries in the
    database, whatever the number of decisions."""
    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    from cases.models import Decision, DecisionKind, DecisionState

    decisions = Decision.objects.filter(proposed_at__gte=since, proposed_at__lt=until)
    if officer_id is not None:
        decisions = decisions.filter(proposed_by_id=officer_id)
    if reason_code:
        decisions = decisions.filter(reason_code=reason_code)
    reviewed = Q(requires_approval=True, decided_at__isnull=False)
    figures = {
        "n": Count("id"),
        "overrides": Count("id", filter=Q(kind=DecisionKind.OVERRIDE_LIMIT)),
        "approved": Count(
            "id", filter=reviewed & Q(state__in=[DecisionState.APPROVED, DecisionState.APPLIED])
        ),
        "rejected": Count("id", filter=reviewed & Q(state=DecisionState.REJECTED)),
    }

    def row(values: Mapping[str, Any]) -> RateRow:
        return RateRow(values["n"], values["overrides"], values["approved"], values["rejected"])

    weekly_rows = (
        decisions.annotate(week=TruncWeek("proposed_at", tzinfo=timezone.get_current_timezone()))
        .values("week", "proposed_by__username")
        .annotate(**figures)
        .order_by("week", "proposed_by__username")
    )
    weekly = {(r["week"].date(), r["proposed_by__username"]): row(r) for r in weekly_rows}
    reason_rows: Any = decisions.values("reason_code").annotate(**figures).order_by()
    by_reason = sorted(
        ((r["reason_code"], row(r)) for r in reason_rows),
        key=lambda pair: (-pair[1].decisions, pair[0]),
    )
    total = RateRow(
        sum(r.decisions for _c, r in by_reason),
        sum(r.overrides for _c, r in by_reason),
        sum(r.approved for _c, r in by_reason),
        sum(r.rejected for _c, r in by_reason),
    )
    return DecisionRates(since=since, until=until, weekly=weekly, by_reason=by_reason, total=total)
