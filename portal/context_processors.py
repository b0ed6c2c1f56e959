"""Template context every page shares: the signed-in user's navigation and unread badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.navigation import navigation_for


def _unread_badge(user: Any) -> str:
    """ "" (no badge), the count, or "99+": one small COUNT on the unread partial index,
    only for a signed-in user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    from cases.notifications import UNREAD_BADGE_CAP, unread_count

    n = unread_count(user)
    if n == 0:
        return ""
    return f"{UNREAD_BADGE_CAP}+" if n > UNREAD_BADGE_CAP else str(n)


def portal(request: HttpRequest) -> dict[str, Any]:
    # Lazy: computed (and the user loaded) only when a template shows them, so public pages
    # and signed-out visitors cost nothing.
    user = getattr(request, "user", None)
    return {
        "nav_items": SimpleLazyObject(
            lambda: navigation_for(user, request.path) if user is not None else []
        ),
        "unread_notifications": SimpleLazyObject(lambda: _unread_badge(user)),
    }
