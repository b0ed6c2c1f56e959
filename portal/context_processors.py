"""Template context every page shares: the signed-in user's navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.navigation import navigation_for


def portal(request: HttpRequest) -> dict[str, Any]:
    # Lazy: computed (and the user loaded) only when a template shows the navigation.
    user = getattr(request, "user", None)
    return {
        "nav_items": SimpleLazyObject(
            lambda: navigation_for(user, request.path) if user is not None else []
        )
    }
