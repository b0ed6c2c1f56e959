"""The case timeline: events, notes and the history of the case, its credit line and the
line's blocks in one list (``case_timeline``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    CharField,
    DateTimeField,
    DecimalField,
    F,
    Field,
    JSONField,
    Max,
    Model,
    Q,
    QuerySet,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import MD5, Cast, JSONObject, Lag
from django.utils.translation import gettext_lazy as _

from audit import history
from audit.history import FieldChange
from cases.models import Case, CaseEvent, CaseEventKind, Note
from scoring.models import Block, CreditLine


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
