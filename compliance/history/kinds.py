"""The record types whose history the auditor browses (registered by their apps in
``portal.registries``), the officer pseudo-type, and the words for a version's action."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from portal.registries import HistoryKind, history_kinds

__all__ = [
    "ACTION_LABELS",
    "ACTION_TYPES",
    "KINDS",
    "OFFICER",
    "TYPE_CODES",
    "UnknownHistoryKind",
    "kind_choices",
    "kind_named",
    "rank",
]

OFFICER = "officer"

# history_type → the word used in URLs, filters and exports.
ACTION_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
TYPE_CODES = {word: code for code, word in ACTION_TYPES.items()}
ACTION_LABELS: dict[str, Promise] = {
    "created": gettext_lazy("created"),
    "changed": gettext_lazy("changed"),
    "deleted": gettext_lazy("deleted"),
}


class UnknownHistoryKind(LookupError):
    """No record type of that name is browsable."""


class _Kinds(Mapping[str, HistoryKind]):
    """The registered history kinds (``portal.registries``), read when asked: every app
    registers its own from ``ready()``."""

    def __getitem__(self, key: str) -> HistoryKind:
        return history_kinds()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(history_kinds())

    def __len__(self) -> int:
        return len(history_kinds())


KINDS: Mapping[str, HistoryKind] = _Kinds()


def rank(key: str) -> int:
    return history_kinds()[key].order


def kind_choices() -> list[tuple[str, str]]:
    """Every record type, then the officer (all changes made by one staff user)."""
    return [(key, str(kind.label)) for key, kind in KINDS.items()] + [
        (OFFICER, str(gettext_lazy("Officer (every change by one user)")))
    ]


def kind_named(key: str) -> HistoryKind:
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownHistoryKind(key) from None
