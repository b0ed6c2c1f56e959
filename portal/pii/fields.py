"""Model fields for personal data encrypted at rest."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import IsNull, Lookup, Transform

from portal.pii.crypto import decrypt, encrypt

_NO_LOOKUPS = (
    "{field} is encrypted with a random IV, so the database cannot compare its values: "
    "only the isnull lookup works. Look values up through the keyed hash stored beside "
    "it (portal.pii.crypto.keyed_hash)."
)


class _NoneOnlyExact(Lookup):
    """``field=None`` still means ``IS NULL``; any other equality is refused."""

    lookup_name = "exact"

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs is not None:
            raise FieldError(_NO_LOOKUPS.format(field=_describe(lhs)))
        # build_lookup() turns an exact-None lookup into isnull; nothing to prepare.
        self.lhs, self.rhs = lhs, rhs


def _describe(lhs: Any) -> str:
    target = getattr(lhs, "target", None) or getattr(lhs, "output_field", None)
    model = getattr(target, "model", None)
    if model is not None and target is not None:
        return f"{model._meta.label}.{target.name}"
    return "This field"


class EncryptedTextField(models.TextField):
    """Text encrypted with ``portal.pii.crypto.encrypt`` (Fernet, rotatable keys).

    The Python value is the plaintext ``str`` (or ``None``); the column holds the token.
    Tokens differ on every save, so lookups other than ``isnull`` raise ``FieldError``:
    keep a keyed hash beside the field for exact-match search.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _NoneOnlyExact
        raise FieldError(_NO_LOOKUPS.format(field=self._label()))

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        raise FieldError(_NO_LOOKUPS.format(field=self._label()))

    def _label(self) -> str:
        model = getattr(self, "model", None)
        if model is not None:
            return f"{model._meta.label}.{self.name}"
        return "This field"
