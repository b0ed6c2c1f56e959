"""Browsing django-simple-history: every version of a record (or every change an officer
made), with who, when, why and the field diff against the version before it.

Shared by the auditor's history pages, the history API and the exporter. Record types are
registered by their apps (``portal.registries``); how a version's values read is
``audit.history``.

Personal fields never leave this module in plain text: names, phones and ID numbers are
masked (``compliance.masking``), any other encrypted field (a customer's free text) shows
only that it changed. Keyed-hash columns are not editable and so never diffed.

Pages are keyset pages over ``(history_date, kind, history_id)``, newest first: a fixed
number of queries per page, whatever the history holds (two per model read, one for the
users named in the diffs).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.history import (
    FieldChange,
    Pair,
    _is_user,
    _usernames,
    display_value,
    field_changes,
    is_personal,
    usernames_for,
)
from compliance.exports.table import ExportTable
from portal.api.pagination import InvalidCursor, decode_cursor, encode_cursor
from portal.registries import HistoryKind, history_kinds

__all__ = [
    "ACTION_TYPES",
    "EXPORT_COLUMNS",
    "KINDS",
    "OFFICER",
    "FieldChange",
    "HistoryFilters",
    "HistoryKind",
    "Pair",
    "UnknownHistoryKind",
    "Version",
    "VersionPage",
    "cursor_is_valid",
    "display_value",
    "export_table",
    "field_changes",
    "history_exists",
    "history_page",
    "history_version",
    "is_personal",
    "kind_choices",
    "parse_filters",
    "usernames_for",
]

OFFICER = "officer"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
EXPORT_BATCH = 500

# history_type → the word used in URLs, filters and exports.
ACTION_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
_TYPE_CODES = {word: code for code, word in ACTION_TYPES.items()}
ACTION_LABELS: dict[str, Promise] = {
    "created": gettext_lazy("created"),
    "changed": gettext_lazy("changed"),
    "deleted": gettext_lazy("deleted"),
}

# A system actor is named in the change reason: "assessment.succeeded by system:assessment_run".
_SYSTEM_ACTOR = re.compile(r"\bby (system:[A-Za-z0-9_.\-]+)")


class UnknownHistoryKind(LookupError):
    """No record type of that name is browsable."""


class _Kinds(Mapping[str, HistoryKind]):
    """The registered history kinds (``portal.registries``), read when asked: every app
    registers its own from ``ready()``."""

    def __getitem__(self, key: str) -> HistoryKind:
        return history_kinds()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(history_kinds())

    def __len__(self) -> int:
        return len(history_kinds())


KINDS: Mapping[str, HistoryKind] = _Kinds()


def _rank(key: str) -> int:
    return history_kinds()[key].order


def kind_choices() -> list[tuple[str, str]]:
    """Every record type, then the officer (all changes made by one staff user)."""
    return [(key, str(kind.label)) for key, kind in KINDS.items()] + [
        (OFFICER, str(gettext_lazy("Officer (every change by one user)")))
    ]


def _kind(key: str) -> HistoryKind:
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownHistoryKind(key) from None


# --- what a page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryFilters:
    since: date | None = None
    until: date | None = None  # inclusive
    action: str = ""  # created, changed, deleted
    actor: str = ""  # a username, "system" or "system:<job>"

    def as_params(self) -> dict[str, str]:
        params = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "action": self.action,
            "actor": self.actor,
        }
        return {key: value for key, value in params.items() if value}


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
        return _key(self.time, self.kind, self.history_id)


@dataclass(frozen=True)
class VersionPage:
    versions: list[Version]
    next_cursor: str | None  # older versions
    previous_cursor: str | None  # newer versions


# --- cursors --------------------------------------------------------------------------------


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _key(moment: datetime, kind: str, history_id: int) -> tuple[int, int, int]:
    return (_micros(moment), _rank(kind), history_id)


# The one keyset cursor (``portal.api.pagination``): opaque, the direction ("n" older,
# "p" newer) and the sort key, checked here against what a key can hold.
_ID_MAX = 2**63 - 1
_RANK_MAX = 2**15 - 1  # a history kind's ``order``


def _encode_cursor(direction: str, key: tuple[int, int, int]) -> str:
    return encode_cursor(key, forward=direction == "n")


def _decode_cursor(cursor: str) -> tuple[str, tuple[int, int, int]]:
    """The direction and sort key of ``cursor``; ``InvalidCursor`` (a ``ValueError``)."""
    position = decode_cursor(cursor, length=3)
    micros, rank, history_id = position.key
    if not all(isinstance(part, int) for part in position.key):
        raise InvalidCursor("not a history cursor")
    if not (0 <= rank <= _RANK_MAX and 0 <= history_id <= _ID_MAX):
        raise InvalidCursor("not a history cursor")
    try:
        _from_micros(micros)
    except OverflowError:
        raise InvalidCursor("time out of range") from None
    return ("n" if position.forward else "p"), (micros, rank, history_id)


def cursor_is_valid(cursor: str) -> bool:
    try:
        _decode_cursor(cursor)
    except InvalidCursor:
        return False
    return True


def _from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


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
        elif filters.since > _EPOCH.date():  # after the last representable moment
            return queryset.none()
    if filters.until:  # inclusive: before the start of the next day
        end = _day_start(filters.until, days_later=1)
        if end is not None:
            queryset = queryset.filter(history_date__lt=end)
        elif filters.until < _EPOCH.date():  # before the first representable moment
            return queryset.none()
    if filters.action:
        queryset = queryset.filter(history_type=_TYPE_CODES[filters.action])
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


def _before(key: tuple[int, int, int], rank: int) -> Q:
    """Rows of the model ranked ``rank`` that sort strictly after ``key`` newest-first."""
    moment = _from_micros(key[0])
    if rank < key[1]:
        return Q(history_date__lte=moment)
    if rank > key[1]:
        return Q(history_date__lt=moment)
    return Q(history_date__lt=moment) | Q(history_date=moment, history_id__lt=key[2])


def _after(key: tuple[int, int, int], rank: int) -> Q:
    """Rows of the model ranked ``rank`` that sort strictly before ``key`` newest-first."""
    moment = _from_micros(key[0])
    if rank > key[1]:
        return Q(history_date__gte=moment)
    if rank < key[1]:
        return Q(history_date__gt=moment)
    return Q(history_date__gt=moment) | Q(history_date=moment, history_id__gt=key[2])


def _with_previous(history: Any, queryset: Any) -> Any:
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
    rank = _rank(kind.key)
    order = ("-history_date", "-history_id") if newest_first else ("history_date", "history_id")
    position = start
    while True:
        queryset = base
        if position is not None:
            queryset = queryset.filter(
                _before(position, rank) if newest_first else _after(position, rank)
            )
        rows = list(_with_previous(history, queryset).order_by(*order)[:batch])
        if not rows:
            return
        wanted = [row.previous_history_id for row in rows if row.previous_history_id]
        previous = (
            {p.history_id: p for p in history.objects.filter(history_id__in=wanted)}
            if wanted
            else {}
        )
        for row in rows:
            key = _key(row.history_date, kind.key, row.history_id)
            yield key, kind.key, row, previous.get(row.previous_history_id)
        if len(rows) < batch:
            return
        position = _key(rows[-1].history_date, kind.key, rows[-1].history_id)


def _sources(key: str, pk: int, filters: HistoryFilters) -> list[tuple[HistoryKind, Any]]:
    if key == OFFICER:
        return [
            (kind, _filtered(kind.history_model(), filters).filter(history_user_id=pk))
            for kind in KINDS.values()
        ]
    kind = _kind(key)
    return [(kind, _filtered(kind.history_model(), filters).filter(id=pk))]


def _merged(
    sources: list[tuple[HistoryKind, Any]],
    *,
    newest_first: bool,
    start: tuple[int, int, int] | None,
    batch: int,
) -> Iterator[Raw]:
    streams = [
        _raw_versions(kind, base, newest_first=newest_first, start=start, batch=batch)
        for kind, base in sources
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


def _versions(raws: list[Raw], usernames: dict[int, str] | None = None) -> list[Version]:
    names = _usernames(_user_ids(raws), usernames if usernames is not None else {})
    return [_version(raw, names) for raw in raws]


# --- the selectors --------------------------------------------------------------------------


def history_exists(key: str, pk: int) -> bool:
    """Whether there is anything to browse: the officer exists, or the record has history
    (a deleted record's history stays browsable) or exists. Raises ``UnknownHistoryKind``."""
    if key == OFFICER:
        return get_user_model().objects.filter(pk=pk).exists()
    kind = _kind(key)
    if kind.history_model().objects.filter(id=pk).exists():
        return True
    return apps.get_model(kind.model_label).objects.filter(pk=pk).exists()


def history_page(
    key: str,
    pk: int,
    filters: HistoryFilters | None = None,
    *,
    cursor: str = "",
    page_size: int = DEFAULT_PAGE_SIZE,
) -> VersionPage:
    """One page of versions, newest first. ``cursor`` is a page's ``next_cursor`` (older)
    or ``previous_cursor`` (newer); a malformed one raises ``ValueError``."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    filters = filters or HistoryFilters()
    direction, start = _decode_cursor(cursor) if cursor else ("n", None)
    newest_first = direction == "n"
    raws = list(
        islice(
            _merged(
                _sources(key, pk, filters),
                newest_first=newest_first,
                start=start,
                batch=page_size + 1,
            ),
            page_size + 1,
        )
    )
    more = len(raws) > page_size
    raws = raws[:page_size]
    if not newest_first:
        raws.reverse()
    versions = _versions(raws)
    if not versions:
        return VersionPage([], None, None)
    has_older = more if newest_first else True
    has_newer = (start is not None) if newest_first else more
    return VersionPage(
        versions=versions,
        next_cursor=_encode_cursor("n", versions[-1].cursor_key) if has_older else None,
        previous_cursor=_encode_cursor("p", versions[0].cursor_key) if has_newer else None,
    )


def history_version(key: str, pk: int, history_id: int) -> Version | None:
    """One version of a record with its full diff against the one before, or ``None``."""
    kind = _kind(key)
    history = kind.history_model()
    row = _with_previous(history, history.objects.filter(id=pk, history_id=history_id)).first()
    if row is None:
        return None
    previous = (
        history.objects.filter(history_id=row.previous_history_id).first()
        if row.previous_history_id
        else None
    )
    return _versions([(_key(row.history_date, key, row.history_id), key, row, previous)])[0]


# --- export ---------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "record_type",
    "record_id",
    "history_id",
    "time",
    "type",
    "actor",
    "reason",
    "field",
    "old",
    "new",
)


def parse_filters(params: Mapping[str, Any]) -> HistoryFilters:
    """Filters from query parameters (``since``, ``until`` as YYYY-MM-DD, ``action``,
    ``actor``); raises ``ValueError`` naming a bad one."""

    def day(name: str) -> date | None:
        text = str(params.get(name) or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(name) from None

    action = str(params.get("action") or "").strip()
    if action and action not in _TYPE_CODES:
        raise ValueError("action")
    since, until = day("since"), day("until")
    if since and until and since > until:
        raise ValueError("until")
    return HistoryFilters(
        since=since, until=until, action=action, actor=str(params.get("actor") or "").strip()[:200]
    )


def _export_rows(key: str, pk: int, filters: HistoryFilters) -> Iterator[Sequence[Any]]:
    stream = _merged(_sources(key, pk, filters), newest_first=True, start=None, batch=EXPORT_BATCH)
    usernames: dict[int, str] = {}
    while True:
        chunk = list(islice(stream, EXPORT_BATCH))
        if not chunk:
            return
        if len(usernames) > 10_000:
            usernames = {}
        for version in _versions(chunk, usernames):
            time_text = timezone.localtime(version.time).isoformat()
            head = [
                version.kind,
                version.object_id,
                version.history_id,
                time_text,
                version.type,
                version.actor,
                version.reason,
            ]
            if not version.changes:
                yield [*head, "", "", ""]
            for change in version.changes:
                yield [*head, change.field, change.old, change.new]


def export_table(params: Mapping[str, Any]) -> ExportTable:
    """The history view as a flat table, one row per changed field (masked), newest first,
    read lazily in batches. ``params``: ``model`` (a record type or ``officer``), ``id``,
    and the page's filters (``since``, ``until``, ``action``, ``actor``). Raises
    ``ValidationError`` (field → messages) for a missing or bad parameter."""
    key = str(params.get("model") or "").strip()
    if key != OFFICER and key not in KINDS:
        raise ValidationError({"model": [_("Choose a record type.")]})
    try:
        pk = int(str(params.get("id") or ""))
    except ValueError:
        raise ValidationError({"id": [_("Enter a whole number.")]}) from None
    try:
        filters = parse_filters(params)
    except ValueError as error:
        raise ValidationError({str(error): [_("Enter a valid value.")]}) from None
    return ExportTable(
        kind="history",
        columns=EXPORT_COLUMNS,
        rows=_export_rows(key, pk, filters),
        filters={"model": key, "id": str(pk), **filters.as_params()},
    )
