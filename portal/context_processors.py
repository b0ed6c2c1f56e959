"""Template context every page shares: the signed-in user's navigation and header badges."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.navigation import navigation_for
from portal.registries import badges


def _badge(badge: Any, user: Any) -> str:
    """A badge's text for a signed-in user, "" for anyone else (no query for them)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(badge(user))


def portal(request: HttpRequest) -> dict[str, Any]:
    # Lazy: computed (and the user loaded) only when a template shows them, so public pages
    # and signed-out visitors cost nothing.
    user = getattr(request, "user", None)
    return {
        "nav_items": SimpleLazyObject(
            lambda: navigation_for(user, request.path) if user is not None else []
        ),
        # Each app's header badges (``portal.registries.register_badge``), by name.
        **{
            name: SimpleLazyObject(functools.partial(_badge, badge, user))
            for name, badge in badges().items()
        },
    }
