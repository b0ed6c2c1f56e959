"""Field encryption with rotatable keys, and keyed hashes for exact-match lookup."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from portal.pii.crypto import DecryptionError, decrypt, encrypt, keyed_hash, rotate


def _new_key() -> str:
    return Fernet.generate_key().decode()


def test_a_value_round_trips_through_encryption() -> None:
    token = encrypt("张三 13812345678")
    assert "13812345678" not in token
    assert decrypt(token) == "张三 13812345678"


def test_encrypting_the_same_value_twice_gives_different_tokens() -> None:
    assert encrypt("13812345678") != encrypt("13812345678")


def test_a_token_made_with_an_old_key_still_decrypts_after_a_new_key_is_prepended(
    settings: Any,
) -> None:
    old_key, new_key = _new_key(), _new_key()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    old_token = encrypt("13812345678")

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    assert decrypt(old_token) == "13812345678"


def test_rotate_re_encrypts_under_the_newest_key(settings: Any) -> None:
    old_key, new_key = _new_key(), _new_key()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    old_token = encrypt("13812345678")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    rotated = rotate(old_token)

    assert rotated != old_token
    assert Fernet(new_key.encode()).decrypt(rotated.encode()) == b"13812345678"
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert decrypt(rotated) == "13812345678"
    with pytest.raises(DecryptionError):
        decrypt(old_token)


def test_a_tampered_token_fails_with_a_domain_error_that_does_not_leak_the_value() -> None:
    token = encrypt("13812345678")
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")

    with pytest.raises(DecryptionError) as caught:
        decrypt(tampered)

    assert "13812345678" not in str(caught.value)
    assert tampered not in str(caught.value)


def test_a_token_from_an_unknown_key_fails_with_a_domain_error() -> None:
    foreign = Fernet(_new_key().encode()).encrypt(b"13812345678").decode()
    with pytest.raises(DecryptionError):
        decrypt(foreign)
    with pytest.raises(DecryptionError):
        decrypt("not a token")


@pytest.mark.parametrize(
    ("kind", "variants"),
    [
        (
            "phone",
            [
                "13812345678",
                "+86 138 1234 5678",
                "86-138-1234-5678",
                "0086 13812345678",
                "１３８１２３４５６７８",
            ],
        ),
        ("id_number", ["11010119900307123X", "11010119900307123x", "110101 19900307 123X"]),
        ("name", ["张三", " 张三 ", "Li Na", "Li  Na", " Li\tNa "]),
    ],
)
def test_keyed_hash_is_equal_for_normalised_variants(kind: str, variants: list[str]) -> None:
    groups = {keyed_hash(v, kind=kind) for v in variants}
    # names: the Chinese and the Latin variants form two groups
    assert len(groups) == (2 if kind == "name" else 1)


def test_keyed_hash_differs_across_kinds_for_the_same_string() -> None:
    hashes = {keyed_hash("13812345678", kind=kind) for kind in ("phone", "name", "id_number")}
    assert len(hashes) == 3


def test_keyed_hash_is_a_hex_hmac_that_depends_on_the_key(settings: Any) -> None:
    first = keyed_hash("13812345678", kind="phone")
    assert len(first) == 64
    assert int(first, 16) >= 0
    assert keyed_hash("13812345679", kind="phone") != first

    settings.PII_HASH_KEY = "another-key-for-this-test"

    assert keyed_hash("13812345678", kind="phone") != first


def test_keyed_hash_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="Unknown keyed-hash kind"):
        keyed_hash("someone@example.com", kind="email")
