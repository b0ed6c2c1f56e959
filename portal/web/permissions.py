"""A page's permission check from an app's permission rule: the pages' twin of
``portal.api.permissions.allowed_by``, so a page and its API ask exactly the same question.

::

    @login_required
    @rule_required(permissions.can_view_bulk_jobs)
    def bulk_jobs(request): ...

A caller the rule refuses gets ``PermissionDenied`` (403). Put ``login_required`` above it,
so a visitor who is not signed in is sent to sign in first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied

__all__ = ["rule_required"]

View = TypeVar("View", bound=Callable[..., Any])


def rule_required(rule: Callable[[Any], bool]) -> Callable[[View], View]:
    """A view decorator that lets through only the callers ``rule(request.user)`` allows."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorator
