"""How a history version reads: each changed field with its old and new value as people
should see them (users by username, choices by label, times in local time, personal values
masked or only "(changed)"). Shared by the auditor's history browsing and the case timeline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.pii.fields import EncryptedTextField
from portal.pii.masking import mask
from portal.registries import history_kind_of_model

if TYPE_CHECKING:
    from portal.registries import HistoryKind

__all__ = ["FieldChange", "Pair", "display_value", "field_changes", "is_personal", "usernames_for"]

# Which masker shows a personal field; a personal field not listed here shows "(changed)".
_MASK_KIND = {"name": "name", "phone": "phone", "national_id": "national_id"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str
    personal: bool = False


def _is_user(model_field: Any) -> bool:
    return bool(model_field.is_relation and model_field.related_model is get_user_model())


def _usernames(ids: set[int], known: dict[int, str]) -> dict[int, str]:
    missing = ids - set(known)
    if missing:
        user_model = get_user_model()
        known.update(
            user_model.objects.filter(pk__in=missing).values_list("pk", user_model.USERNAME_FIELD)
        )
    return known


def is_personal(model_field: Any) -> bool:
    """Whether a field holds personal data: one listed for its record type, or encrypted.
    A field of a model that is no record type here: encrypted, or a name, phone or ID."""
    kind = history_kind_of_model(model_field.model._meta.label)
    if kind is not None:
        return kind.is_personal(model_field)
    return model_field.name in _MASK_KIND or isinstance(model_field, EncryptedTextField)


Pair = tuple[Any, Any, Any]  # (model field, old value, new value)


def usernames_for(pairs: Iterable[Pair]) -> dict[int, str]:
    """The usernames of the users that the values of user fields in ``pairs`` name, in one
    query (none when no user field is among them)."""
    ids = {
        value
        for model_field, old, new in pairs
        if _is_user(model_field)
        for value in (old, new)
        if value is not None
    }
    return _usernames(ids, {}) if ids else {}


def display_value(
    model_field: Any,
    value: Any,
    usernames: Mapping[int, str],
    *,
    personal: bool | None = None,
    digest: bool = False,
) -> str:
    """A field's value as history shows it: empty for none; a personal value masked (a
    name, phone or ID number) or only "(changed)"; a user by username (from
    ``usernames``), another record as "#id"; a choice, yes or no by its translated label; a
    time in local time. ``personal`` defaults to ``is_personal(model_field)``; ``digest``
    says a personal value is only a digest of the plain one (which was never loaded), so it
    shows as "(changed)"."""
    if value is None or value == "":
        return ""
    if personal is None:
        personal = is_personal(model_field)
    if personal:
        masker = None if digest else _MASK_KIND.get(model_field.name)
        return mask(masker, str(value)) if masker else _("(changed)")
    if model_field.is_relation:
        if _is_user(model_field):
            return usernames.get(value, f"#{value}")
        return f"#{value}"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | Decimal | int):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return str(value)


def field_changes(
    pairs: Iterable[Pair],
    usernames: Mapping[int, str],
    *,
    kind: HistoryKind | None = None,
    digest: bool = False,
) -> list[FieldChange]:
    """Each (field, old, new) as a ``FieldChange`` shown by ``display_value``; which fields
    are personal: ``kind``'s, else ``is_personal``. ``digest``: personal values are
    digests."""
    changes = []
    for model_field, old, new in pairs:
        personal = kind.is_personal(model_field) if kind else is_personal(model_field)
        changes.append(
            FieldChange(
                field=model_field.name,
                label=str(model_field.verbose_name),
                old=display_value(model_field, old, usernames, personal=personal, digest=digest),
                new=display_value(model_field, new, usernames, personal=personal, digest=digest),
                personal=personal,
            )
        )
    return changes
