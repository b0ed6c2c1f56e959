"""Every shipped catalogue is complete in Simplified Chinese and compiled from its current .po.

Finds the root catalogue and every app's own (``*/locale/<lang>/LC_MESSAGES/*.po``), so it
guards catalogues that apps add later too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polib
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
NOT_PROJECT = {"locale", "var", "node_modules", "tests", "__pycache__"}


def _catalogues() -> Iterator[Path]:
    yield from sorted(BASE_DIR.glob("locale/*/LC_MESSAGES/*.po"))
    for top in sorted(BASE_DIR.iterdir()):
        if top.is_dir() and not top.name.startswith(".") and top.name not in NOT_PROJECT:
            yield from sorted(top.rglob("locale/*/LC_MESSAGES/*.po"))


CATALOGUES = list(_catalogues())
CHINESE = [po for po in CATALOGUES if po.parent.parent.name == "zh_Hans"]


def _id(path: Path) -> str:
    return str(path.relative_to(BASE_DIR))


def _key(entry: polib._BaseEntry) -> tuple[str | None, str, str]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _translation(entry: polib._BaseEntry) -> tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
    return (entry.msgstr,)


def test_the_root_and_accounts_catalogues_are_shipped_in_both_languages() -> None:
    found = {_id(po) for po in CATALOGUES}
    for locale_dir in ("locale", "accounts/locale"):
        for language in ("en", "zh_Hans"):
            assert f"{locale_dir}/{language}/LC_MESSAGES/django.po" in found


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_id)
def test_every_catalogue_has_both_languages(po_path: Path) -> None:
    locale_dir = po_path.parents[2]
    for language in ("en", "zh_Hans"):
        assert (locale_dir / language / "LC_MESSAGES" / po_path.name).exists(), language


@pytest.mark.parametrize("po_path", CHINESE, ids=_id)
def test_every_chinese_message_is_translated_and_none_is_fuzzy(po_path: Path) -> None:
    catalogue = polib.pofile(str(po_path))
    entries = [entry for entry in catalogue if not entry.obsolete]
    assert entries, "an empty catalogue"
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    untranslated = [
        entry.msgid for entry in entries if not all(part.strip() for part in _translation(entry))
    ]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not untranslated, f"untranslated entries: {untranslated}"
    assert "fuzzy" not in catalogue.metadata_as_entry().flags


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_id)
def test_the_compiled_catalogue_matches_its_source(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), "not compiled: run `make messages`"
    source = {
        _key(entry): _translation(entry)
        for entry in polib.pofile(str(po_path))
        if entry.translated() and not entry.obsolete
    }
    compiled = {_key(entry): _translation(entry) for entry in polib.mofile(str(mo_path))}
    compiled.pop((None, "", ""), None)  # the header
    assert compiled == source, "stale .mo: run `make messages`"
