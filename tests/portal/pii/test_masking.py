"""Masking: every shape of phone, name and ID number gets a display value that hides it."""

from __future__ import annotations

import pytest

from portal.pii.masking import mask, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("+8613812345678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("86-138-1234-5678", "138****5678"),
        ("0086 138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        (" 138 1234 5678 ", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),  # full-width digits
        ("010-12345678", "010-****5678"),
        ("(021) 8765 4321", "021-****4321"),
        ("0571-87654321", "0571-****4321"),
        ("0571-1234567", "0571-****567"),
        ("+1 415 555 0100", "**********00"),
        ("12345", "***45"),
        ("123", "**3"),
        ("12", "*2"),
        ("1", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_is_masked_in_every_shape(raw: str | None, shown: str) -> None:
    assert mask_phone(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("王小明", "王**"),
        ("张", "*"),
        ("买买提·艾力", "买**·**"),
        ("Li Na", "L* N*"),
        ("  li   na ", "l* n*"),
        ("Madonna", "M******"),
        ("J K", "J *"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_a_name_is_masked_in_every_shape(raw: str | None, shown: str) -> None:
    assert mask_name(raw) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("11010119900307123X", "110***********123X"),
        ("11010119900307123x", "110***********123X"),
        ("110101 19900307 1234", "110***********1234"),
        ("110101900307123", "110********7123"),
        ("E12345678", "E*****678"),
        ("EA1234567", "E*****567"),
        ("AB1234", "A***34"),
        ("AB12", "**12"),
        ("A", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_an_id_number_is_masked_in_every_shape(raw: str | None, shown: str) -> None:
    assert mask_id_number(raw) == shown


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("phone", "13812345678"),
        ("phone", "010-12345678"),
        ("phone", "ab"),
        ("name", "张三"),
        ("name", "Li Na"),
        ("name", "ab"),
        ("id_number", "11010119900307123X"),
        ("id_number", "E12345678"),
        ("id_number", "ab"),
    ],
)
def test_a_mask_never_returns_its_input_unchanged(kind: str, raw: str) -> None:
    assert mask(kind, raw) != raw


@pytest.mark.parametrize("raw", ["1", "12", "123", "1234", "12345", "1234567", "123456789012345"])
@pytest.mark.parametrize("kind", ["phone", "id_number"])
def test_a_mask_never_shows_more_than_half_of_a_value(kind: str, raw: str) -> None:
    shown = [ch for ch in mask(kind, raw) if ch not in "*-"]
    assert len(shown) <= len(raw) // 2


def test_the_dispatcher_routes_by_kind_and_refuses_unknown_kinds() -> None:
    assert mask("phone", "13812345678") == "138****5678"
    assert mask("name", "张三") == "张*"
    assert mask("id_number", "11010119900307123X") == "110***********123X"
    assert mask("national_id", "11010119900307123X") == "110***********123X"
    with pytest.raises(ValueError, match="Unknown masking kind"):
        mask("email", "someone@example.com")
