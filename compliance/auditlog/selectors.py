"""The one read path of the audit log: the auditor's page, the API and the export all read
``audit_entries(filters)``, with filters parsed by ``compliance.auditlog.filters``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit.models import AuditEntry, ChainVerification
from compliance.auditlog.filters import AuditEntryFilters, parse_filters
from compliance.exports.table import ExportTable
from portal.api.pagination import Keyset, id_position

__all__ = [
    "AUDIT_ENTRY_KEYSET",
    "AUDIT_EXPORT_COLUMNS",
    "AuditEntryFilters",
    "AuditEntryPage",
    "audit_entries",
    "audit_entry_page",
    "export_table",
    "last_chain_verification",
]


@dataclass(frozen=True)
class AuditEntryPage:
    entries: list[AuditEntry]
    next_before: int | None  # pass as ``before`` for the next (older) page
    newer_after: int | None  # pass as ``after`` for the previous (newer) page


def audit_entries(filters: AuditEntryFilters) -> QuerySet[AuditEntry]:
    """Entries matching the filters, newest first. Every filter is an indexed equality or
    range; ``action`` also matches a dotted prefix (``credit_line.`` for all its actions)."""
    queryset = AuditEntry.objects.select_related("actor").order_by("-id")
    if filters.action:
        if filters.action.endswith("."):
            queryset = queryset.filter(action__startswith=filters.action)
        else:
            queryset = queryset.filter(action=filters.action)
    if filters.actor:
        queryset = queryset.filter(actor_label=filters.actor)
    if filters.target_type:
        queryset = queryset.filter(target_type=filters.target_type)
    if filters.target_id:
        queryset = queryset.filter(target_id=filters.target_id)
    if filters.since:
        queryset = queryset.filter(created_at__gte=filters.since)
    if filters.until:
        queryset = queryset.filter(created_at__lt=filters.until)
    if filters.case is not None:
        queryset = queryset.filter(target_type="cases.case", target_id=str(filters.case))
    if filters.customer is not None:
        queryset = queryset.filter(
            Q(target_type="scoring.customer", target_id=str(filters.customer))
            | Q(data__customer=filters.customer)
        )
    return queryset


AUDIT_ENTRY_KEYSET = Keyset("-id", model=AuditEntry, max_page_size=500)


def audit_entry_page(
    filters: AuditEntryFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> AuditEntryPage:
    """One page by keyset on id (``portal.api.pagination``; no OFFSET, no count):
    ``before`` an id goes back in time, ``after`` an id comes forward; neither gives the
    newest page, as does ``after`` the newest row."""
    position = id_position(before=before, after=after)
    page = AUDIT_ENTRY_KEYSET.page(
        audit_entries(filters), cursor=position, page_size=page_size, exact=True
    )
    return AuditEntryPage(
        entries=page.rows,
        next_before=page.next_key[0] if page.next_key else None,
        newer_after=page.previous_key[0] if page.previous_key else None,
    )


def last_chain_verification() -> ChainVerification | None:
    return ChainVerification.objects.select_related("actor").order_by("-created_at", "-id").first()


# --- export of the audit log (compliance.exports.kinds names this; keep it at the end) ---------

AUDIT_EXPORT_COLUMNS = (
    "id",
    "created_at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "data",
    "prev_hash",
    "hash",
)
AUDIT_EXPORT_CHUNK_SIZE = 2000


def export_table(params: Mapping[str, str]) -> ExportTable:
    """The audit log as its page and API filter it (the same parser, the same selector), in
    chain order: the page's rows, oldest first, so each row's ``prev_hash`` is the ``hash``
    of the row before it wherever the filter left neighbours together.

    ``prev_hash`` and ``hash`` travel with each row, so the exported entries can be checked
    against each other outside the portal. Audit data holds masked values and keyed hashes
    only, so nothing here needs masking. Rows come from a server-side cursor in chunks of
    ``AUDIT_EXPORT_CHUNK_SIZE``: nothing is read until the exporter starts iterating.
    Raises ``ValidationError`` (field → messages) for filters the page would refuse.
    """
    filters = parse_filters(params)
    rows = (
        audit_entries(filters)
        .select_related(None)
        .reverse()  # chain order: the page's order turned round, nothing else changed
        .values_list(
            "id",
            "created_at",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "data",
            "prev_hash",
            "hash",
        )
        .iterator(chunk_size=AUDIT_EXPORT_CHUNK_SIZE)
    )
    return ExportTable(
        kind="audit",
        columns=AUDIT_EXPORT_COLUMNS,
        rows=rows,
        filters=filters.as_params(),
    )
