"""Signed, streamed exports of the auditor's views: ``export_start``.

An export is never stored: it is written while it is sent (``compliance.exports.writer``),
from the ``export_table`` of the view's own selectors, fed by the same filter parser as its
page and API (``compliance.exports.kinds``). When the last row has gone out the
``ExportRecord`` is finished and its manifest signed (``compliance.exports.signing``);
``compliance.exports.verify`` checks a file against its manifest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.log import audit_record
from compliance.exports.kinds import export_kind
from compliance.exports.signing import manifest_fields, sign, signing_keys
from compliance.exports.table import ExportTable
from compliance.exports.writer import ExportWriter
from compliance.models import ExportFormat, ExportRecord
from compliance.permissions import can_export

if TYPE_CHECKING:
    from accounts.models import User

__all__ = ["export_start"]


def export_start(
    *, actor: User, kind: str, fmt: str, params: Mapping[str, str]
) -> tuple[ExportRecord, Iterator[bytes]]:
    """Start an export of the ``kind`` view filtered by ``params`` (its page's query
    parameters): the record and the ``export.started`` entry (kind, format and the names of
    the filters used, not their values) are written now, the bytes come
    from the returned iterator, and the record is finished, signed and audited
    (``export.completed``) when the iterator has yielded its last chunk.

    Raises ``PermissionDenied`` and ``ValidationError`` (unknown kind or format, filters
    the view refuses).
    """
    spec = export_kind(kind)
    if spec is None:
        raise ValidationError({"kind": [_("There is no export of that kind.")]}, code="kind")
    if not can_export(actor, spec):
        raise PermissionDenied
    if fmt not in ExportFormat.values:
        raise ValidationError(
            {"format": [_("Choose the format csv or json.")]},
            code="format",
        )
    table = spec.export_table(params)
    filters = {str(name): str(value) for name, value in table.filters.items()}
    with transaction.atomic():
        record = ExportRecord.objects.create(
            kind=kind,
            format=fmt,
            filters=filters,
            columns=[str(column) for column in table.columns],
            created_by=actor,
            created_by_label=actor.get_username(),
        )
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT_STARTED,
            target=record,
            # The names of the filters used, never their values: those are free text (a
            # purpose searched for, a username, a customer number) that the hash-chained
            # log must not keep. The record holds them, for the signed manifest.
            data={"kind": kind, "format": fmt, "filters": sorted(filters)},
        )
    return record, _stream(record, table, fmt)


def _stream(record: ExportRecord, table: ExportTable, fmt: str) -> Iterator[bytes]:
    writer = ExportWriter(table, fmt)
    yield from writer
    _export_finish(record=record, columns=table.columns, rows=writer.rows, sha256=writer.sha256)


def _export_finish(
    *, record: ExportRecord, columns: Sequence[str], rows: int, sha256: str
) -> ExportRecord:
    """Fill in the record once the last byte has gone out: rows, digest, signature."""
    key = signing_keys()[0]
    with transaction.atomic():
        locked = (
            ExportRecord.objects.select_related("created_by")
            .select_for_update(of=("self",))
            .get(pk=record.pk)
        )
        if locked.finished_at is not None:  # state guard: finishing twice changes nothing
            return locked
        locked.rows = rows
        locked.sha256 = sha256
        locked.finished_at = timezone.now()
        locked.key_id = key.key_id
        locked.signature = sign(
            key.secret, {**manifest_fields(locked, columns), "key_id": key.key_id}
        )
        locked.save(update_fields=["rows", "sha256", "finished_at", "key_id", "signature"])
        audit_record(
            actor=locked.created_by,
            action=AuditAction.EXPORT_COMPLETED,
            target=locked,
            data={
                "kind": locked.kind,
                "format": locked.format,
                "rows": rows,
                "sha256": sha256,
                "key_id": key.key_id,
            },
        )
    for name in ("rows", "sha256", "finished_at", "key_id", "signature"):
        setattr(record, name, getattr(locked, name))
    return locked
