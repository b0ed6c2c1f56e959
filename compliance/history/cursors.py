"""The history pages' keyset cursor: ``(history_date, kind, history_id)`` newest first,
carried in the one opaque cursor of ``portal.api.pagination``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from compliance.history.kinds import rank
from portal.api.pagination import ID_MAX, InvalidCursor, decode_cursor, encode_cursor

__all__ = ["EPOCH", "cursor_is_valid", "decode", "encode", "from_micros", "sort_key"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def sort_key(moment: datetime, kind: str, history_id: int) -> tuple[int, int, int]:
    return (_micros(moment), rank(kind), history_id)


# The one keyset cursor (``portal.api.pagination``): opaque, the direction ("n" older,
# "p" newer) and the sort key, checked here against what a key can hold.
_RANK_MAX = 2**15 - 1  # a history kind's ``order``


def encode(direction: str, key: tuple[int, int, int]) -> str:
    return encode_cursor(key, forward=direction == "n")


def decode(cursor: str) -> tuple[str, tuple[int, int, int]]:
    """The direction and sort key of ``cursor``; ``InvalidCursor`` (a ``ValueError``)."""
    position = decode_cursor(cursor, length=3)
    micros, rank, history_id = position.key
    if not all(isinstance(part, int) for part in position.key):
        raise InvalidCursor("not a history cursor")
    if not (0 <= rank <= _RANK_MAX and 0 <= history_id <= ID_MAX):
        raise InvalidCursor("not a history cursor")
    try:
        from_micros(micros)
    except OverflowError:
        raise InvalidCursor("time out of range") from None
    return ("n" if position.forward else "p"), (micros, rank, history_id)


def cursor_is_valid(cursor: str) -> bool:
    try:
        decode(cursor)
    except InvalidCursor:
        return False
    return True


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
