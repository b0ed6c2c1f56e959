"""Checking an export file against its signed manifest (``manage.py export_verify FILE
MANIFEST``): the manifest's signature and key id, the file's SHA-256 digest, its row count
and its columns."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import IO, Any

from django.utils.translation import gettext as _

from compliance.exports.signing import MANIFEST_FIELDS, sign, signing_keys
from compliance.exports.writer import CSV_BOM
from compliance.models import ExportFormat

__all__ = ["VerifyResult", "manifest_verify", "read_manifest"]


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
    expected = sign(key.secret, manifest)
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
