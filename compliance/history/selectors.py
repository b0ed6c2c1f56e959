"""The one read path of the auditor's history: every version of a record (or every change
an officer made), with who, when, why and the field diff against the version before it.

The page, the API and the export all read through here, with filters parsed by the one
``compliance.history.filters.HistoryFilterForm``. Record types are registered by their apps
(``portal.registries``); versions and diffs are read in ``compliance.history.versions``.

Personal fields never leave in plain text: names, phones and ID numbers are masked, any
other encrypted field (a customer's free text) shows only that it changed. Keyed-hash
columns are not editable and so never diffed.

Pages are keyset pages over ``(history_date, kind, history_id)``, newest first (the export
too): a fixed number of queries per page, whatever the history holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from compliance.exports.table import ExportTable
from compliance.history import cursors
from compliance.history.cursors import cursor_is_valid, sort_key
from compliance.history.filters import (
    HistoryExportForm,
    HistoryFilterForm,
    HistoryFilters,
    parse_filters,
)
from compliance.history.kinds import (
    ACTION_LABELS,
    ACTION_TYPES,
    KINDS,
    OFFICER,
    UnknownHistoryKind,
    kind_choices,
    kind_named,
)
from compliance.history.versions import Version, merged, sources, versions_of, with_previous
from portal.web.forms import form_errors

__all__ = [
    "ACTION_LABELS",
    "ACTION_TYPES",
    "DEFAULT_PAGE_SIZE",
    "EXPORT_COLUMNS",
    "KINDS",
    "MAX_PAGE_SIZE",
    "OFFICER",
    "HistoryFilterForm",
    "HistoryFilters",
    "UnknownHistoryKind",
    "Version",
    "VersionPage",
    "cursor_is_valid",
    "export_table",
    "history_exists",
    "history_page",
    "history_version",
    "kind_choices",
    "parse_filters",
]

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
EXPORT_BATCH = 500


@dataclass(frozen=True)
class VersionPage:
    versions: list[Version]
    next_cursor: str | None  # older versions
    previous_cursor: str | None  # newer versions


def history_exists(key: str, pk: int) -> bool:
    """Whether there is anything to browse: the officer exists, or the record has history
    (a deleted record's history stays browsable) or exists. Raises ``UnknownHistoryKind``."""
    if key == OFFICER:
        return get_user_model().objects.filter(pk=pk).exists()
    kind = kind_named(key)
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
    direction, start = cursors.decode(cursor) if cursor else ("n", None)
    newest_first = direction == "n"
    raws = list(
        islice(
            merged(
                sources(key, pk, filters),
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
    versions = versions_of(raws)
    if not versions:
        return VersionPage([], None, None)
    has_older = more if newest_first else True
    has_newer = (start is not None) if newest_first else more
    return VersionPage(
        versions=versions,
        next_cursor=cursors.encode("n", versions[-1].cursor_key) if has_older else None,
        previous_cursor=cursors.encode("p", versions[0].cursor_key) if has_newer else None,
    )


def history_version(key: str, pk: int, history_id: int) -> Version | None:
    """One version of a record with its full diff against the one before, or ``None``."""
    kind = kind_named(key)
    history = kind.history_model()
    row = with_previous(history, history.objects.filter(id=pk, history_id=history_id)).first()
    if row is None:
        return None
    previous = (
        history.objects.filter(history_id=row.previous_history_id).first()
        if row.previous_history_id
        else None
    )
    return versions_of([(sort_key(row.history_date, key, row.history_id), key, row, previous)])[0]


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


def _export_rows(key: str, pk: int, filters: HistoryFilters) -> Iterator[Sequence[Any]]:
    stream = merged(sources(key, pk, filters), newest_first=True, start=None, batch=EXPORT_BATCH)
    usernames: dict[int, str] = {}
    while True:
        chunk = list(islice(stream, EXPORT_BATCH))
        if not chunk:
            return
        if len(usernames) > 10_000:
            usernames = {}
        for version in versions_of(chunk, usernames):
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
    """The history view as a flat table, one row per changed field (masked), newest first
    as on the page, read lazily in batches. ``params``: ``model`` (a record type or
    ``officer``), ``id``, and the page's filters, parsed by the page's own form. Raises
    ``ValidationError`` (field → messages) for a missing or bad parameter."""
    form = HistoryExportForm(params)
    if not form.is_valid():
        raise form_errors(form)
    key, pk, filters = form.cleaned_data["model"], form.cleaned_data["id"], form.filters()
    return ExportTable(
        kind="history",
        columns=EXPORT_COLUMNS,
        rows=_export_rows(key, pk, filters),
        filters={"model": key, "id": str(pk), **filters.as_params()},
    )
