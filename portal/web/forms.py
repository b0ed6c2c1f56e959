"""Service errors onto forms, written once for every page.

A service refuses bad input with ``ValidationError`` (``Conflict`` included), keyed by the
argument at fault when there is one. A page shows each error where the user can act on it:
beside the field it is about, or above the form when the form has no such field, shows it
only as a hidden input (a version, an id), or the error is about no field at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    fields: Mapping[str, str] | None = None,
) -> None:
    """Put the errors of a service's ``exc`` on ``form``, each message once.

    An error keyed by a service argument goes on the form's field of that name, or of the
    name ``fields`` gives it where the two differ (``{"fields": "personal_fields"}``). The
    rest go above the form (``NON_FIELD_ERRORS``): keys the form has no visible field for,
    and errors keyed by nothing. Codes and parameters are kept (``form.has_error``).
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    renamed = fields or {}
    for key, errors in exc.error_dict.items():
        name = renamed.get(key, key)
        field = form.fields.get(name)
        form.add_error(name if field is not None and not field.widget.is_hidden else None, errors)


def form_errors(form: forms.BaseForm) -> ValidationError:
    """A bound form's errors as one ``ValidationError`` keyed by field (``non_field_errors``
    for the form's own), the shape the API's 400 body and the service layer use; the reverse
    of ``add_service_errors``, for parsers that serve a page, an API and an export alike."""
    return ValidationError(
        {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): list(messages)
            for name, messages in form.errors.items()
        }
    )
