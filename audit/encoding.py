"""The canonical encoding of an audit entry and its hash.

An entry's ``hash`` is ``sha256(canonical(entry)).hexdigest()`` where ``canonical`` is
``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as
UTF-8, over::

    {"prev_hash", "created_at", "actor_id", "actor_label", "action",
     "target_type", "target_id", "data"}

``created_at`` is ISO 8601 in UTC with microseconds (``2026-11-23T15:54:06.123456+00:00``).
``data`` is first normalised by a round trip through ``DjangoJSONEncoder`` (Decimals,
dates, datetimes, UUIDs become strings; tuples become lists; keys become strings), so what
is hashed is exactly what jsonb stores and gives back. Floats are refused: jsonb keeps
numbers as ``numeric`` and gives some of them back in another spelling (``1e+20`` comes
back as ``100000000000000000000``), which would break the hash; money and scores go in as
``Decimal`` (stored as strings) or ``int``.

The first entry's ``prev_hash`` is 64 zeros (``audit.models.GENESIS_HASH``); every later one
holds the previous entry's ``hash``. Writing is ``audit.log``; checking, ``audit.verify``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

__all__ = ["canonical_pieces", "entry_hash", "normalise_data"]

# Keys that would hold raw personal data. Masked values and keyed hashes go under keys
# ending in one of _SAFE_SUFFIXES ("phone_masked", "phone_hash", "phone_last4").
_PII_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "customer_name",
        "real_name",
        "email",
        "address",
        "home_address",
        "birth_date",
        "date_of_birth",
        "birthday",
        "bank_account",
        "card_number",
    }
)
_PII_FRAGMENTS = (
    "phone",
    "mobile",
    "telephone",
    "national_id",
    "id_number",
    "id_card",
    "idcard",
    "passport",
)
_SAFE_SUFFIXES = ("_masked", "_hash", "_last4")


def _refuse_floats_and_personal_keys(value: Any, path: str) -> None:
    if isinstance(value, float):
        raise ValueError(
            f"Audit data at {path or 'the top level'} is a float; "
            "use Decimal or int so the stored value hashes the same after a round trip."
        )
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"Audit data at {path} contains a NUL character.")
    if isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            _refuse_personal_key(key_text)
            _refuse_floats_and_personal_keys(item, f"{path}.{key_text}" if path else key_text)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_floats_and_personal_keys(item, f"{path}[{index}]")


def _refuse_personal_key(key: str) -> None:
    lowered = key.strip().lower()
    if lowered.endswith(_SAFE_SUFFIXES):
        return
    if lowered in _PII_KEYS or any(fragment in lowered for fragment in _PII_FRAGMENTS):
        raise ValueError(
            f"Audit data key {key!r} looks like raw personal data; store a masked value "
            f"under {key + '_masked'!r} or a keyed hash under {key + '_hash'!r} instead."
        )


def normalise_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """What ``data`` will look like after jsonb gives it back; refuses PII keys and floats."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TypeError("Audit data must be a mapping.")
    _refuse_floats_and_personal_keys(data, "")
    normalised: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return normalised


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    data: Mapping[str, Any],
) -> str:
    """SHA-256 hex of the canonical encoding (see the module docstring)."""
    canonical = json.dumps(
        {
            "prev_hash": prev_hash,
            "created_at": _iso_utc(created_at),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def canonical_pieces(
    *,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    data: Mapping[str, Any],
) -> tuple[str, str, str]:
    """The canonical encoding in three pieces around the two values the database supplies
    on the PostgreSQL path (``audit.append_pg``): ``one + created_at + two + prev_hash +
    three`` is exactly what ``entry_hash`` hashes.

    ``json.dumps(..., sort_keys=True, separators=(",", ":"))`` of a flat mapping is its
    members ``"key":value`` in key order joined by commas. ``created_at`` (ISO 8601 in UTC)
    and ``prev_hash`` (64 hex digits) are strings written without escapes between quotes.
    """
    members: dict[str, Any] = {
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
        "created_at": None,
        "prev_hash": None,
    }
    pieces = ["{"]
    for index, key in enumerate(sorted(members)):
        separator = "," if index else ""
        if key in ("created_at", "prev_hash"):
            pieces[-1] += f'{separator}"{key}":"'
            pieces.append('"')
            continue
        value = json.dumps(members[key], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        pieces[-1] += f"{separator}{json.dumps(key)}:{value}"
    pieces[-1] += "}"
    one, two, three = pieces
    return one, two, three
