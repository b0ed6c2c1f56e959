"""Signing an export's manifest.

When the last row has gone out the ``ExportRecord`` is finished: rows, digest, and a
signature over the manifest, a JSON object with ``export_id``, ``kind``, ``format``,
``filters``, ``columns``, ``rows``, ``sha256``, ``created_by``, ``created_at``,
``finished_at``, ``key_id`` and ``signature``. The signature is HMAC-SHA256, in hex,
over the canonical JSON (sorted keys, no spaces, UTF-8) of every other field.

``EXPORT_SIGNING_KEY`` holds one key, or several separated by commas as
``FIELD_ENCRYPTION_KEYS`` does: the first signs, every one verifies, so a key is
rotated by putting the new one first and dropping the old one once its manifests no
longer need checking. A key's id is the first 16 hex digits of a SHA-256 of the key:
it names the key without revealing it. The record keeps the key id, the signature, the
columns and the exporter's username as they were, so a manifest downloaded later is the
one that was signed even if the view's columns or the user's name change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from compliance.exports.writer import iso_utc
from compliance.models import ExportRecord
from portal.errors import Conflict

__all__ = [
    "MANIFEST_FIELDS",
    "SigningKey",
    "export_manifest",
    "manifest_fields",
    "sign",
    "signing_keys",
]

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


def sign(secret: bytes, fields: Mapping[str, Any]) -> str:
    return hmac.new(secret, _canonical(fields), hashlib.sha256).hexdigest()


def manifest_fields(record: ExportRecord, columns: Sequence[str]) -> dict[str, Any]:
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
        "created_at": iso_utc(record.created_at),
        "finished_at": iso_utc(record.finished_at) if record.finished_at else None,
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
    fields = manifest_fields(record, record.columns if columns is None else columns)
    return {**fields, "key_id": record.key_id, "signature": record.signature}
