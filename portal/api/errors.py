"""The one place where domain errors become HTTP answers, and how the schema says so.

- ``exception_handler`` (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``): every error body has the
  contract's shape ``{"errors": {field: [messages]}}`` (``non_field_errors`` for messages
  not tied to a field): ``Conflict`` → 409, Django's ``ValidationError`` → 400, Django's
  ``PermissionDenied`` → 403, ``Http404`` → 404, DRF's own (401, 405, 429 …) reshaped.
- ``ErrorsSerializer``: that body, for the OpenAPI schema (one component, ``Errors``).
- ``error_responses(400, 403, 404, 409)``: the documented error responses of a view, in
  the form ``extend_schema(responses=...)`` takes, so every view documents them alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import Conflict

__all__ = ["ERROR_DESCRIPTIONS", "ErrorsSerializer", "error_responses", "exception_handler"]


def _errors_body(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        # DRF's shape for 401/403/404/405/429: one message, not tied to a field.
        return {"errors": {"non_field_errors": [detail["detail"]]}}
    if isinstance(detail, dict):
        return {"errors": detail}
    if isinstance(detail, list):
        return {"errors": {"non_field_errors": detail}}
    return {"errors": {"non_field_errors": [detail]}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain exceptions once: Conflict → 409, Django ValidationError → 400.

    Every error body has the contract's shape ``{"errors": {field: [messages]}}``.
    """
    if isinstance(exc, Conflict):
        return Response(_errors_body(exc.messages), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.PermissionDenied) and "request" in context:
        # A signed-in person's refused write is audited (portal.views.audit_access_denied).
        from portal.views import audit_access_denied

        request = context["request"]
        audit_access_denied(request.user, request.method, request.path)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _errors_body(response.data)
    return response


class ErrorsSerializer(serializers.Serializer):
    """The contract's error body: ``{"errors": {"field": ["message", …]}}``; messages not
    tied to one field are under ``non_field_errors``."""

    # Declared in get_fields: a field named "errors" would hide ``Serializer.errors``.
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "errors": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text='Messages by field; "non_field_errors" for the rest.',
            )
        }


# What each documented error status means, unless a view says more precisely.
ERROR_DESCRIPTIONS: dict[int, Promise] = {
    400: _("Invalid input, by field."),
    401: _("Not signed in, or a missing, wrong or revoked key."),
    403: _("Not allowed for this role."),
    404: _("No such object."),
    409: _("In conflict with the current state (a stale version, or already done)."),
    429: _("Too many requests (see the Retry-After header)."),
}


def error_responses(
    *codes: int, descriptions: Mapping[int, str | Promise] | None = None
) -> dict[int, OpenApiResponse]:
    """The documented error responses ``codes``, each the one ``ErrorsSerializer`` body,
    for ``extend_schema(responses={200: …, **error_responses(400, 403)})``.

    ``descriptions`` says more precisely what a status means for this view
    (``{409: "At the work-in-progress limit."}``); a status there but not in ``codes`` is
    documented too.
    """
    descriptions = descriptions or {}
    unknown = set(codes) - set(ERROR_DESCRIPTIONS) - set(descriptions)
    if unknown:
        raise ValueError(f"No description for error status {sorted(unknown)}.")
    wanted = dict.fromkeys([*codes, *descriptions])
    return {
        code: OpenApiResponse(
            ErrorsSerializer,
            description=descriptions.get(code) or ERROR_DESCRIPTIONS[code],
        )
        for code in sorted(wanted)
    }
