"""A DRF permission class from an app's permission function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.permissions import BasePermission


def allowed_by(check: Callable[[Any], bool]) -> type[BasePermission]:
    """A DRF permission class from one of an app's ``permissions`` functions, so the API
    asks exactly the question the pages ask."""

    class Allowed(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return check(request.user)

    Allowed.__name__ = f"Allowed_{check.__name__}"
    return Allowed
