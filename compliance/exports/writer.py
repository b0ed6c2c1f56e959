"""Writing an export while it is sent: CSV or JSON from a lazy ``ExportTable``.

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
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.utils import timezone
from django.utils.functional import Promise

from compliance.exports.table import ExportTable
from compliance.models import ExportFormat

__all__ = ["CSV_BOM", "FLUSH_AT", "ExportWriter", "iso_utc"]

FLUSH_AT = 64 * 1024  # characters gathered before a chunk is sent
CSV_BOM = "\ufeff"


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
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
        return iso_utc(value)
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
