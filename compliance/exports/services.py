"""Signed, streamed exports of the auditor's views, and their verification.

Files
    An export is never stored: it is written while it is sent, a chunk at a time, from a
    lazy ``ExportTable`` (see ``compliance.exports.table``), so a million rows need no more
    memory than a few thousand. ``csv`` is UTF-8 with a byte-order mark (so spreadsheet
    programs read Chinese text correctly), a header row and CRLF line ends; ``json`` is one
    array with one object per line::

        [
        {"id":1,"created_at":"2026-11-23T07:54:06.123456+00:00",...},
        {"id":2,...}
        ]

    Times are ISO 8601 in UTC with microseconds; nested values (audit ``data``) are JSON
    (a JSON string inside a CSV cell). A CSV cell that a spreadsheet program would run as
    a formula (text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
    other than a signed number) starts with an apostrophe; JSON keeps values as stored.
    The SHA-256 of the bytes and the number of rows
    are counted on the way out.

Manifest
    When the last row has gone out the ``ExportRecord`` is finished: rows, digest, and a
    signature over the manifest, a JSON object with ``export_id``, ``kind``, ``format``,
    ``filters``, ``columns``, ``rows``, ``sha256``, ``created_by``, ``created_at``,
    ``finished_at``, ``key_id`` and ``signature``. The signature is HMAC-SHA256, in hex,
    over the canonical JSON (sorted keys, no spaces, UTF-8) of every other field.

Keys
    ``EXPORT_SIGNING_KEY`` holds one key, or several separated by commas as
    ``FIELD_ENCRYPTION_KEYS`` does: the first signs, every one verifies, so a key is
    rotated by putting the new one first and dropping the old one once its manifests no
    longer need checking. A key's id is the first 16 hex digits of a SHA-256 of the key:
    it names the key without revealing it. The record keeps the key id, the signature, the
    columns and the exporter's username as they were, so a manifest downloaded later is the
    one that was signed even if the view's columns or the user's name change.

``manage.py export_verify FILE MANIFEST`` checks a file against its manifest.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from os import PathLike
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.log import audit_record
from compliance.exports.table import ExportTable
from compliance.models import ExportFormat, ExportRecord
from portal.errors import Conflict

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "EXPORT_KINDS",
    "ExportKind",
    "ExportWriter",
    "VerifyResult",
    "can_export",
    "can_view_exports",
    "export_for_user",
    "export_kind",
    "export_manifest",
    "export_start",
    "exports_for_user",
    "manifest_verify",
    "signing_keys",
]

EXPORT_PERMISSION = "compliance.view_exportrecord"
FLUSH_AT = 64 * 1024  # characters gathered before a chunk is sent
CSV_BOM = "\ufeff"
MANIFEST_FIELDS = (
    "export_id",
    "kind",
    "format",
    "filters",
    "columns",
    "rows",
    "sha256",
    "created_by",
    "created_at",
    "finished_at",
    "key_id",
    "signature",
)


# --- what can be exported, and by whom --------------------------------------------------------


@dataclass(frozen=True)
class ExportKind:
    """One exportable view: where its ``export_table`` lives and who may read that view."""

    name: str
    label: str | Promise
    table: str  # dotted path of ``export_table(params) -> ExportTable``, imported on use
    permission: str  # besides EXPORT_PERMISSION

    def available(self) -> bool:
        """Whether the view's ``export_table`` can be imported (a view may not exist yet)."""
        try:
            import_string(self.table)
        except ImportError:
            return False
        return True

    def export_table(self, params: Mapping[str, str]) -> ExportTable:
        table_for: Callable[[Mapping[str, str]], ExportTable] = import_string(self.table)
        return table_for(params)


EXPORT_KINDS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        ExportKind(
            "audit",
            gettext_lazy("Audit log"),
            "compliance.auditlog.selectors.export_table",
            "audit.view_auditentry",
        ),
        ExportKind(
            "history",
            gettext_lazy("History"),
            "compliance.history.selectors.export_table",
            "scoring.view_personaldataaccess",
        ),
        ExportKind(
            "access",
            gettext_lazy("Personal-data access log"),
            "compliance.access.selectors.export_table",
            "scoring.view_personaldataaccess",
        ),
    )
}


def can_view_exports(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(EXPORT_PERMISSION))


def can_export(user: Any, kind: str) -> bool:
    spec = EXPORT_KINDS.get(kind)
    return spec is not None and can_view_exports(user) and user.has_perm(spec.permission)


def export_kind(kind: str) -> ExportKind | None:
    """The exportable view called ``kind``, or ``None`` when there is none (yet)."""
    spec = EXPORT_KINDS.get(kind)
    return spec if spec is not None and spec.available() else None


def exports_for_user(user: Any) -> Any:
    """The exports a user may see, newest first: every export for whoever may export (the
    auditors), only their own for anyone else (nobody, with today's roles)."""
    queryset = ExportRecord.objects.select_related("created_by").order_by("-created_at", "-id")
    if can_view_exports(user):
        return queryset
    if getattr(user, "is_authenticated", False):
        return queryset.filter(created_by=user)
    return queryset.none()


def export_for_user(user: Any, pk: int) -> ExportRecord:
    """One export the user may see (its exporter, or any auditor); ``DoesNotExist`` otherwise,
    so a stranger learns nothing about it."""
    record: ExportRecord = exports_for_user(user).get(pk=pk)
    return record


# --- writing the file -------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | Promise):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"An export cannot hold a value of type {type(value).__name__}.")


# One encoder for every row: ``json.dumps`` with options would build a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode


def _csv_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict | list | tuple):
        return _dumps(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# A cell a spreadsheet program would run as a formula (text typed by people, such as an
# unmasking purpose, reaches the audit log) is written with a leading apostrophe, which the
# program shows as text (OWASP's advice on CSV injection). Signed numbers stay numbers.
# The JSON export keeps every value exactly as stored.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _csv_safe(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_cell(value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is str:
        return _csv_safe(value)
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return _csv_safe(_csv_text(value))


class ExportWriter:
    """Encodes an ``ExportTable`` as CSV or JSON, in chunks of bytes of about ``flush_at``
    characters, counting rows and the SHA-256 of everything yielded on the way."""

    def __init__(self, table: ExportTable, fmt: str, *, flush_at: int = FLUSH_AT) -> None:
        if fmt not in ExportFormat.values:
            raise ValueError(f"Unknown export format {fmt!r}.")
        self.table = table
        self.format = fmt
        self.flush_at = flush_at
        self.rows = 0
        self.bytes = 0
        self._digest = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def __iter__(self) -> Iterator[bytes]:
        texts = self._csv() if self.format == ExportFormat.CSV else self._json()
        for text in texts:
            if not text:
                continue
            chunk = text.encode("utf-8")
            self._digest.update(chunk)
            self.bytes += len(chunk)
            yield chunk

    def _csv(self) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # the "excel" dialect: minimal quoting, CRLF line ends
        buffer.write(CSV_BOM)
        writer.writerow(self.table.columns)
        flush_at = self.flush_at
        cell = _csv_cell
        for row in self.table.rows:
            writer.writerow([cell(value) for value in row])
            self.rows += 1
            if buffer.tell() >= flush_at:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def _json(self) -> Iterator[str]:
        columns = list(self.table.columns)
        parts: list[str] = ["["]
        size = 1
        separator = "\n"
        flush_at = self.flush_at
        dumps = _dumps
        for row in self.table.rows:
            line = dumps(dict(zip(columns, row, strict=True)))
            parts.append(separator)
            parts.append(line)
            separator = ",\n"
            size += len(line) + 2
            self.rows += 1
            if size >= flush_at:
                yield "".join(parts)
                parts.clear()
                size = 0
        parts.append("\n]\n")
        yield "".join(parts)


# --- signing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    secret: bytes = field(repr=False)


def _key_id(secret: bytes) -> str:
    return hashlib.sha256(b"portal export signing key\x00" + secret).hexdigest()[:16]


def signing_keys() -> list[SigningKey]:
    """The keys of ``EXPORT_SIGNING_KEY``, comma separated: the first signs, all verify."""
    keys = [part.strip() for part in str(settings.EXPORT_SIGNING_KEY).split(",")]
    ring = [SigningKey(_key_id(key.encode()), key.encode()) for key in keys if key]
    if not ring:
        raise ImproperlyConfigured("EXPORT_SIGNING_KEY holds no key.")
    return ring


def _canonical(fields: Mapping[str, Any]) -> bytes:
    unsigned = {name: value for name, value in fields.items() if name != "signature"}
    return json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def _sign(secret: bytes, fields: Mapping[str, Any]) -> str:
    return hmac.new(secret, _canonical(fields), hashlib.sha256).hexdigest()


def _manifest_fields(record: ExportRecord, columns: Sequence[str]) -> dict[str, Any]:
    """Every manifest field but the key id and the signature."""
    return {
        "export_id": record.pk,
        "kind": record.kind,
        "format": record.format,
        "filters": dict(record.filters or {}),
        "columns": [str(column) for column in columns],
        "rows": record.rows,
        "sha256": record.sha256,
        "created_by": record.created_by_label,
        "created_at": _iso(record.created_at),
        "finished_at": _iso(record.finished_at) if record.finished_at else None,
    }


def export_manifest(
    record: ExportRecord, *, columns: Sequence[str] | None = None
) -> dict[str, Any]:
    """The signed manifest of a finished export; ``Conflict`` while it is still streaming."""
    if record.finished_at is None or not record.signature or not record.key_id:
        raise Conflict(
            _(
                "This export has not finished yet: its manifest is written when the last "
                "row has been sent. Try again once the download is complete."
            ),
            code="export_running",
        )
    fields = _manifest_fields(record, record.columns if columns is None else columns)
    return {**fields, "key_id": record.key_id, "signature": record.signature}


# --- the service ------------------------------------------------------------------------------


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
    if not can_export(actor, kind):
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
            action="export.started",
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
        locked.signature = _sign(
            key.secret, {**_manifest_fields(locked, columns), "key_id": key.key_id}
        )
        locked.save(update_fields=["rows", "sha256", "finished_at", "key_id", "signature"])
        audit_record(
            actor=locked.created_by,
            action="export.completed",
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


# --- verification -----------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    problems: list[str]
    rows: int | None = None  # rows found in the file (None when it could not be read)
    sha256: str = ""  # the file's digest


def _open(data: bytes | str | PathLike[str] | IO[bytes]) -> IO[bytes]:
    if isinstance(data, bytes | bytearray):
        return io.BytesIO(data)
    if isinstance(data, str | PathLike):
        return open(data, "rb")  # closed by the caller
    return data


def _file_digest(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


class _Unreadable(Exception):
    pass


def _csv_rows(text: IO[str], columns: Sequence[str] | None) -> tuple[int, bool]:
    """Data rows of a CSV export, and whether its header matches ``columns``."""
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None:
            raise _Unreadable(_("The file is empty."))
        if header and header[0].startswith(CSV_BOM):
            header[0] = header[0][1:]
        count = sum(1 for _row in reader)
    except csv.Error as exc:
        raise _Unreadable(_("The file is not well-formed CSV.")) from exc
    return count, columns is None or header == list(columns)


def _json_rows(text: IO[str], columns: Sequence[str] | None) -> tuple[int, bool]:
    """Rows of a JSON export (one object per line between ``[`` and ``]``), and whether
    every row has exactly the manifest's columns."""
    not_export = _("The file is not a JSON export in the portal's layout (one object per line).")
    lines = iter(text)
    if next(lines, "").rstrip("\n") != "[":
        raise _Unreadable(not_export)
    expected = list(columns) if columns is not None else None
    count = 0
    columns_match = True
    closed = False
    comma = True  # whether the line before ended with the comma another row needs
    for line in lines:
        line = line.rstrip("\n")
        if closed:
            if line:
                raise _Unreadable(not_export)
            continue
        if line == "]":
            if count and comma:
                raise _Unreadable(not_export)
            closed = True
            continue
        if not comma:
            raise _Unreadable(not_export)
        comma = line.endswith(",")
        try:
            row = json.loads(line.removesuffix(","))
        except ValueError as exc:
            raise _Unreadable(not_export) from exc
        if not isinstance(row, dict):
            raise _Unreadable(not_export)
        if expected is not None and list(row) != expected:
            columns_match = False
        count += 1
    if not closed:
        raise _Unreadable(not_export)
    return count, columns_match


def _manifest_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = [
        _("The manifest has no “%(field)s” field.") % {"field": name}
        for name in MANIFEST_FIELDS
        if name not in manifest
    ]
    if problems:
        return problems
    keys = {key.key_id: key for key in signing_keys()}
    key = keys.get(str(manifest["key_id"]))
    if key is None:
        return [
            _(
                "The manifest was signed with key id %(key_id)s, which is not one of this "
                "portal's export signing keys (unknown key id)."
            )
            % {"key_id": manifest["key_id"]}
        ]
    expected = _sign(key.secret, manifest)
    if not hmac.compare_digest(expected, str(manifest["signature"])):
        return [
            _(
                "The manifest's signature does not match its content: the manifest was "
                "edited after it was signed (bad signature)."
            )
        ]
    return []


def manifest_verify(
    data: bytes | str | PathLike[str] | IO[bytes], manifest: Mapping[str, Any]
) -> VerifyResult:
    """Check an export file against its manifest: the manifest's signature and key id, the
    file's SHA-256 digest, its row count and its columns. Each problem found is named; the
    file is read twice in chunks, never whole into memory."""
    if not isinstance(manifest, Mapping):
        return VerifyResult(False, [_("The manifest is not a JSON object.")])
    problems = _manifest_problems(manifest)
    stream = _open(data)
    try:
        sha256 = _file_digest(stream)
        stream.seek(0)
        columns = manifest.get("columns")
        columns = [str(c) for c in columns] if isinstance(columns, list) else None
        fmt = manifest.get("format")
        rows: int | None = None
        columns_match = True
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="" if fmt == "csv" else "\n")
        try:
            if fmt == ExportFormat.CSV:
                rows, columns_match = _csv_rows(text, columns)
            elif fmt == ExportFormat.JSON:
                rows, columns_match = _json_rows(text, columns)
            else:
                problems.append(_("The manifest names an unknown format."))
        except UnicodeDecodeError:
            problems.append(_("The file is not valid UTF-8 text."))
        except _Unreadable as exc:
            problems.append(str(exc))
        finally:
            text.detach()
    finally:
        if stream is not data:
            stream.close()
    if "sha256" in manifest and manifest["sha256"] != sha256:
        problems.append(
            _(
                "The file's SHA-256 digest is %(actual)s but the manifest says %(expected)s: "
                "the file was changed (digest mismatch)."
            )
            % {"actual": sha256, "expected": manifest["sha256"]}
        )
    if rows is not None and "rows" in manifest and manifest["rows"] != rows:
        problems.append(
            _(
                "The file holds %(actual)s rows but the manifest says %(expected)s "
                "(row count mismatch)."
            )
            % {"actual": rows, "expected": manifest["rows"]}
        )
    if not columns_match:
        problems.append(_("The file's columns differ from the manifest's columns."))
    return VerifyResult(not problems, problems, rows, sha256)


def read_manifest(path: str | PathLike[str]) -> dict[str, Any]:
    """A manifest file's JSON object; ``ValueError`` when it is not one."""
    with open(path, "rb") as handle:
        manifest = json.load(handle)
    if not isinstance(manifest, dict):
        raise ValueError("not a JSON object")
    return manifest
