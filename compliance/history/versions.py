"""History versions read from django-simple-history: each kind's rows in keyset order
with the version before each, several kinds merged into one stream, and each version's
field diff (how values read is ``audit.history``; personal fields come masked).

A fixed number of queries per batch, whatever the history holds: two per model read, one
for the users named in the diffs.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from audit.history import FieldChange, _is_user, _usernames, field_changes
from compliance.history.cursors import EPOCH, from_micros, sort_key
from compliance.history.filters import HistoryFilters
from compliance.history.kinds import (
    ACTION_LABELS,
    ACTION_TYPES,
    KINDS,
    OFFICER,
    TYPE_CODES,
    kind_named,
    rank,
)
from portal.registries import HistoryKind

__all__ = ["Raw", "Version", "merged", "sources", "versions_of", "with_previous"]

# A system actor is named in the change reason: "assessment.succeeded by system:assessment_run".
_SYSTEM_ACTOR = re.compile(r"\bby (system:[A-Za-z0-9_.\-]+)")


@dataclass(frozen=True)
class Version:
    kind: str
    object_id: int
    history_id: int
    time: datetime
    type: str  # created, changed, deleted
    actor: str
    reason: str
    changes: list[FieldChange]
    first: bool  # no earlier version: the changes are the initial values

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind].label)

    @property
    def type_label(self) -> str:
        return str(ACTION_LABELS[self.type])

    @property
    def cursor_key(self) -> tuple[int, int, int]:
        return sort_key(self.time, self.kind, self.history_id)


# --- queries --------------------------------------------------------------------------------


def _day_start(day: date, *, days_later: int = 0) -> datetime | None:
    """The start of ``day`` (or of ``days_later`` days after it) in the current time zone,
    as UTC; ``None`` where that is beyond what a ``datetime`` holds (the days around
    0001-01-01 and 9999-12-31), so a filter on it needs no bound or matches nothing."""
    zone = timezone.get_current_timezone()
    try:
        later = day + timedelta(days=days_later)
        return datetime.combine(later, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return None


def _filtered(history: Any, filters: HistoryFilters) -> Any:
    queryset = history.objects.all()
    if filters.since:
        start = _day_start(filters.since)
        if start is not None:
            queryset = queryset.filter(history_date__gte=start)
        elif filters.since > EPOCH.date():  # after the last representable moment
            return queryset.none()
    if filters.until:  # inclusive: before the start of the next day
        end = _day_start(filters.until, days_later=1)
        if end is not None:
            queryset = queryset.filter(history_date__lt=end)
        elif filters.until < EPOCH.date():  # before the first representable moment
            return queryset.none()
    if filters.action:
        queryset = queryset.filter(history_type=TYPE_CODES[filters.action])
    actor = filters.actor.strip()
    if actor == "system":
        queryset = queryset.filter(history_user__isnull=True)
    elif actor.startswith("system:"):
        queryset = queryset.filter(
            history_user__isnull=True,
            history_change_reason__regex=rf"by {re.escape(actor)}(:|$)",
        )
    elif actor:
        queryset = queryset.filter(history_user__username=actor)
    return queryset


def _before(key: tuple[int, int, int], kind_rank: int) -> Q:
    """Rows of the model ranked ``kind_rank`` that sort strictly after ``key`` newest-first."""
    moment = from_micros(key[0])
    if kind_rank < key[1]:
        return Q(history_date__lte=moment)
    if kind_rank > key[1]:
        return Q(history_date__lt=moment)
    return Q(history_date__lt=moment) | Q(history_date=moment, history_id__lt=key[2])


def _after(key: tuple[int, int, int], kind_rank: int) -> Q:
    """Rows of the model ranked ``kind_rank`` that sort strictly before ``key`` newest-first."""
    moment = from_micros(key[0])
    if kind_rank > key[1]:
        return Q(history_date__gte=moment)
    if kind_rank < key[1]:
        return Q(history_date__gt=moment)
    return Q(history_date__gt=moment) | Q(history_date=moment, history_id__gt=key[2])


def with_previous(history: Any, queryset: Any) -> Any:
    previous = (
        history.objects.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return queryset.annotate(previous_history_id=Subquery(previous)).select_related("history_user")


Raw = tuple[tuple[int, int, int], str, Any, Any]  # (sort key, kind, record, previous record)


def _raw_versions(
    kind: HistoryKind,
    base: Any,
    *,
    newest_first: bool,
    start: tuple[int, int, int] | None,
    batch: int,
) -> Iterator[Raw]:
    """The kind's rows of ``base`` in order, ``batch`` per query, each with its previous
    version (one more query per batch)."""
    history = kind.history_model()
    kind_rank = rank(kind.key)
    order = ("-history_date", "-history_id") if newest_first else ("history_date", "history_id")
    position = start
    while True:
        queryset = base
        if position is not None:
            queryset = queryset.filter(
                _before(position, kind_rank) if newest_first else _after(position, kind_rank)
            )
        rows = list(with_previous(history, queryset).order_by(*order)[:batch])
        if not rows:
            return
        wanted = [row.previous_history_id for row in rows if row.previous_history_id]
        previous = (
            {p.history_id: p for p in history.objects.filter(history_id__in=wanted)}
            if wanted
            else {}
        )
        for row in rows:
            key = sort_key(row.history_date, kind.key, row.history_id)
            yield key, kind.key, row, previous.get(row.previous_history_id)
        if len(rows) < batch:
            return
        position = sort_key(rows[-1].history_date, kind.key, rows[-1].history_id)


def sources(key: str, pk: int, filters: HistoryFilters) -> list[tuple[HistoryKind, Any]]:
    if key == OFFICER:
        return [
            (kind, _filtered(kind.history_model(), filters).filter(history_user_id=pk))
            for kind in KINDS.values()
        ]
    kind = kind_named(key)
    return [(kind, _filtered(kind.history_model(), filters).filter(id=pk))]


def merged(
    kinds: list[tuple[HistoryKind, Any]],
    *,
    newest_first: bool,
    start: tuple[int, int, int] | None,
    batch: int,
) -> Iterator[Raw]:
    streams = [
        _raw_versions(kind, base, newest_first=newest_first, start=start, batch=batch)
        for kind, base in kinds
    ]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda raw: raw[0], reverse=newest_first)


# --- diffs ----------------------------------------------------------------------------------


def _user_ids(raws: Iterable[Raw]) -> set[int]:
    ids: set[int] = set()
    for _sort, _name, record, previous in raws:
        for source in (record, previous):
            if source is None:
                continue
            for model_field in source.tracked_fields:
                if _is_user(model_field):
                    value = getattr(source, model_field.attname, None)
                    if value is not None:
                        ids.add(value)
    return ids


def _changes(
    kind: HistoryKind, record: Any, previous: Any, usernames: Mapping[int, str]
) -> list[FieldChange]:
    fields = {f.name: f for f in record.tracked_fields if f.editable}
    if previous is None:
        pairs = [(f, None, getattr(record, f.attname)) for f in fields.values()]
    else:
        delta = record.diff_against(previous, included_fields=list(fields))
        pairs = [(fields[change.field], change.old, change.new) for change in delta.changes]
    changes = field_changes(pairs, usernames, kind=kind)
    if previous is None:  # the initial values: only what was set
        changes = [change for change in changes if change.new != ""]
    return changes


def _actor(record: Any) -> str:
    if record.history_user_id is not None and record.history_user is not None:
        return str(record.history_user.get_username())
    found = _SYSTEM_ACTOR.search(record.history_change_reason or "")
    return found.group(1) if found else "system"


def _version(raw: Raw, usernames: Mapping[int, str]) -> Version:
    _sort_key, key, record, previous = raw
    kind = KINDS[key]
    return Version(
        kind=key,
        object_id=record.id,
        history_id=record.history_id,
        time=record.history_date,
        type=ACTION_TYPES.get(record.history_type, record.history_type),
        actor=_actor(record),
        reason=record.history_change_reason or "",
        changes=_changes(kind, record, previous, usernames),
        first=previous is None,
    )


def versions_of(raws: list[Raw], usernames: dict[int, str] | None = None) -> list[Version]:
    names = _usernames(_user_ids(raws), usernames if usernames is not None else {})
    return [_version(raw, names) for raw in raws]
