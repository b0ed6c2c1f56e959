"""The role's navigation: the items every app registers (``portal.registries``), each shown
only to users holding its permission.

The home page shows the same items as cards, with one line on what each section is for.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from portal.permissions import has_perm, is_person
from portal.registries import nav_items

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavLink:
    key: str
    url: str
    label: str | Promise
    description: str | Promise
    active: bool


def navigation_for(user: Any, current_path: str) -> list[NavLink]:
    """The items ``user`` may open, in menu order; superusers see every item."""
    if not is_person(user):
        return []
    links = []
    for item in nav_items():
        if item.permission and not has_perm(user, item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            # A section whose app is not installed or not wired yet: leave it out of the
            # menu rather than break every page. The navigation tests catch it.
            logger.warning("navigation: no URL named %s", item.url_name)
            continue
        links.append(NavLink(item.key, url, item.label, item.description, active=False))
    # The current section is the item with the longest URL that prefixes the path, so
    # /compliance/audit/verify/ marks "Chain verification", not "Audit log" as well.
    matching = [
        link
        for link in links
        if current_path == link.url or (link.url != "/" and current_path.startswith(link.url))
    ]
    if matching:
        current = max(matching, key=lambda link: len(link.url))
        links = [replace(link, active=link is current) for link in links]
    return links
