"""API-wide pieces: the one place where domain errors become HTTP answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.dates import year_in_range, year_range_message
from portal.errors import Conflict


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


def allowed_by(check: Callable[[Any], bool]) -> type[BasePermission]:
    """A DRF permission class from one of an app's ``permissions`` functions, so the API
    asks exactly the question the pages ask."""

    class Allowed(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return check(request.user)

    Allowed.__name__ = f"Allowed_{check.__name__}"
    return Allowed


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time within the years the portal accepts (``portal.dates``).

    DRF moves a time near 0001-01-01 or 9999-12-31 to UTC unguarded, and the
    ``OverflowError`` became a 500; the year is checked first, so such input is a 400 with
    the field's error instead.
    """

    def enforce_timezone(self, value: datetime) -> datetime:
        if not year_in_range(value):
            raise serializers.ValidationError(year_range_message(), code="out_of_range")
        return super().enforce_timezone(value)
