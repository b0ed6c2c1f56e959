"""Authenticated encryption of personal fields and keyed hashes for exact-match lookup.

- ``encrypt``/``decrypt``: Fernet (AES-128-CBC + HMAC-SHA256, random IV) through a
  ``MultiFernet`` built from ``settings.FIELD_ENCRYPTION_KEYS``: the first key encrypts,
  every key decrypts, so a new key is rolled out by prepending it and old tokens are
  re-encrypted with ``rotate`` at leisure, before the old key is dropped.
- ``keyed_hash``: HMAC-SHA256 under ``settings.PII_HASH_KEY`` over a normalised value and
  its kind, stored beside an encrypted field so that "find the customer with this phone"
  is an indexed equality lookup without storing the phone in the clear.

Neither the plaintext nor the token ever appears in an exception message raised here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from functools import cache
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "HASH_KINDS",
    "DecryptionError",
    "HashKind",
    "decrypt",
    "encrypt",
    "keyed_hash",
    "normalise",
    "rotate",
]

HashKind = Literal["phone", "name", "id_number", "username"]
HASH_KINDS: frozenset[str] = frozenset({"phone", "name", "id_number", "username"})


class DecryptionError(Exception):
    """A token could not be decrypted: tampered, truncated, or made with an unknown key.

    The message never contains the token or any plaintext.
    """

    def __init__(
        self,
        message: str = "Encrypted value could not be decrypted "
        "(tampered, or encrypted with a key that is no longer configured).",
    ) -> None:
        super().__init__(message)


@cache
def _multi_fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if isinstance(keys, str):  # tolerate a single key given as a string in tests
        keys = [keys]
    if not keys:
        raise ValueError("settings.FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(key) for key in keys])


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: Any) -> None:
    """``override_settings``/pytest-django's ``settings`` fixture take effect immediately."""
    if setting == "FIELD_ENCRYPTION_KEYS":
        _multi_fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    """Encrypt under the newest key. Non-deterministic: equal inputs give different tokens."""
    if not isinstance(plaintext, str):
        raise TypeError("encrypt() takes a str.")
    return _multi_fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, max_age: int | None = None) -> str:
    """Decrypt a token made by ``encrypt`` under any configured key.

    Raises ``DecryptionError`` when the token was altered, its key is not configured, or
    (with ``max_age``, in seconds) it was made longer ago than that.
    """
    try:
        raw = token.encode("ascii")
        return _multi_fernet().decrypt(raw, ttl=max_age).decode("utf-8")
    except (InvalidToken, UnicodeError, AttributeError, TypeError):
        raise DecryptionError from None


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key (it may have been made with any configured key)."""
    try:
        return _multi_fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, AttributeError, TypeError):
        raise DecryptionError from None


# --- keyed hashes --------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"[^0-9]")
_WHITESPACE = re.compile(r"\s+")


def normalise(value: str, *, kind: str) -> str:
    """The canonical form that ``keyed_hash`` hashes.

    - phone: NFKC (full-width digits become ASCII), digits only, a leading ``86``/``+86``
      (or ``0086``) country code dropped from a 13-digit (15-digit) number;
    - id_number: NFKC, every space removed, upper case (the check letter ``X``);
    - name: NFKC, stripped, inner runs of whitespace collapsed to one space. Case is kept.
    - username (whatever was typed into the sign-in form for an account that does not
      exist): as a name; a kind of its own, so it never matches a customer's name hash.
    """
    if kind not in HASH_KINDS:
        raise ValueError(f"Unknown keyed-hash kind {kind!r}; use one of {sorted(HASH_KINDS)}.")
    text = unicodedata.normalize("NFKC", value)
    if kind == "phone":
        digits = _NON_DIGITS.sub("", text)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        elif len(digits) == 15 and digits.startswith("0086"):
            digits = digits[4:]
        return digits
    if kind == "id_number":
        return _WHITESPACE.sub("", text).upper()
    return _WHITESPACE.sub(" ", text).strip()


def keyed_hash(value: str, *, kind: str) -> str:
    """Hex HMAC-SHA256 (64 characters) of the normalised value, under ``settings.PII_HASH_KEY``.

    The kind is part of the HMAC input, so the same string hashed as a phone and as an ID
    number gives different hashes.
    """
    if not isinstance(value, str):
        raise TypeError("keyed_hash() takes a str.")
    canonical = normalise(value, kind=kind)
    key = settings.PII_HASH_KEY
    key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    message = f"{kind}\x1f{canonical}".encode()
    return hmac.new(key_bytes, message, hashlib.sha256).hexdigest()
