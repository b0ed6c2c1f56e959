"""Display values for personal data: the one place templates and serializers get them from.

Rules (PIPL practice: show just enough to recognise, never enough to identify):

Phones (``mask_phone``)
    - Mainland mobiles (11 digits starting 13-19), also written with ``+86``/``86``/``0086``,
      spaces or dashes: first 3 and last 4 digits, ``138****5678``. The country code is
      dropped from the display.
    - Landlines (leading 0, e.g. ``010-12345678``, ``0571 8765 4321``): the area code
      (3 digits for 010 and 02x, otherwise 4) stays, the subscriber number keeps at most
      its last 4 digits and never more than half: ``010-****5678``.
    - Anything else (short, long, foreign ``+1 …``, letters): every character masked but the last
      two, and never more than half of them shown: ``12345`` → ``***45``.

Names (``mask_name``)
    - Chinese (any CJK character): the first character stays, every further character is
      one ``*``: ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``. Keeping the family name of a
      compound surname would show two of four characters, so the rule is uniform.
      A separating dot in a transliterated name stays: ``买买提·艾力`` → ``买**·**``.
    - Latin: each word keeps its first letter, the rest are ``*``: ``Li Na`` → ``L* N*``.
    - A one-character name is ``*``.

ID numbers (``mask_id_number``)
    - 18-character PRC resident ID: first 3 and last 4, ``110***********123X``.
    - 15-digit old resident ID: first 3 and last 4, ``110********1234``.
    - Passports and other documents (6 characters or more): the first and the last 3
      (2 below 8 characters), ``E*****678``; shorter ones as "anything else" above.

Every function returns ``""`` for ``None`` or blank input and never returns a non-empty
input longer than one character unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = ["MASK_KINDS", "mask", "mask_id_number", "mask_name", "mask_phone"]

STAR = "*"

_NON_DIGITS = re.compile(r"[^0-9]")
_SPACES_AND_DASHES = re.compile(r"[\s\-]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NAME_SEPARATORS = frozenset("·・.-' ")
_PRC_ID_18 = re.compile(r"[0-9]{17}[0-9X]")
_PRC_ID_15 = re.compile(r"[0-9]{15}")


def _clean(value: str | None) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _keep_ends(text: str, head: int, tail: int) -> str:
    """Show ``head`` leading and ``tail`` trailing characters, mask the rest."""
    hidden = len(text) - head - tail
    if hidden <= 0:
        return _mask_generic(text)
    return text[:head] + STAR * hidden + (text[-tail:] if tail else "")


def _mask_generic(text: str) -> str:
    """All but the last two characters masked, and never more than half of them shown."""
    if not text:
        return ""
    keep = min(2, len(text) // 2)
    return STAR * (len(text) - keep) + (text[-keep:] if keep else "")


def mask_phone(value: str | None) -> str:
    text = _clean(value)
    if not text:
        return ""
    digits = _NON_DIGITS.sub("", text)
    national = digits
    if len(digits) == 13 and digits.startswith("86"):
        national = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        national = digits[4:]
    elif text.startswith("+") or digits.startswith("00"):  # a foreign number
        return _mask_generic(_SPACES_AND_DASHES.sub("", text))
    if _MOBILE.fullmatch(national):
        return _keep_ends(national, 3, 4)
    if national.startswith("0") and 10 <= len(national) <= 12 and not text.startswith("+"):
        area_len = 3 if national[1] in "12" else 4
        area, subscriber = national[:area_len], national[area_len:]
        keep = min(4, len(subscriber) // 2)
        return f"{area}-{STAR * (len(subscriber) - keep)}{subscriber[-keep:]}"
    compact = _SPACES_AND_DASHES.sub("", text)
    return _mask_generic(compact)


def mask_name(value: str | None) -> str:
    text = _clean(value)
    if not text:
        return ""
    text = " ".join(text.split())
    if len(text) == 1:
        return STAR
    if _CJK.search(text):
        first, rest = text[0], text[1:]
        return first + "".join(ch if ch in _NAME_SEPARATORS else STAR for ch in rest)
    words = text.split(" ")
    masked = " ".join(word[0] + STAR * (len(word) - 1) for word in words)
    if masked == text:  # every word is a single letter, e.g. "J K"
        masked = text[0] + "".join(ch if ch == " " else STAR for ch in text[1:])
    return masked


def mask_id_number(value: str | None) -> str:
    text = _clean(value)
    if not text:
        return ""
    compact = _SPACES_AND_DASHES.sub("", text).upper()
    if _PRC_ID_18.fullmatch(compact) or _PRC_ID_15.fullmatch(compact):
        return _keep_ends(compact, 3, 4)
    if len(compact) >= 6:
        return _keep_ends(compact, 1, min(3, len(compact) // 2 - 1))
    return _mask_generic(compact)


_MASKERS: dict[str, Callable[[str | None], str]] = {
    "phone": mask_phone,
    "name": mask_name,
    "id_number": mask_id_number,
    "national_id": mask_id_number,
}
MASK_KINDS: frozenset[str] = frozenset(_MASKERS)


def mask(kind: str, value: str | None) -> str:
    """Dispatch on kind: ``phone``, ``name``, ``id_number`` (alias ``national_id``)."""
    try:
        masker = _MASKERS[kind]
    except KeyError:
        raise ValueError(
            f"Unknown masking kind {kind!r}; use one of {sorted(MASK_KINDS)}."
        ) from None
    return masker(value)
