"""Who may do what with cases, as small functions (the services and views ask these)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def can_view_cases(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("cases.view_case"))


def can_work_cases(user: Any) -> bool:
    """Claim, note, re-assess: officers and supervisors."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("cases.change_case"))


def can_add_notes(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("cases.add_note"))


def can_reassign(user: Any) -> bool:
    """Supervisors (``change_decision`` is their "may approve" permission) reassign work."""
    return can_work_cases(user) and user.has_perm("cases.change_decision")


def ensure_can_work_cases(user: Any) -> None:
    if not can_work_cases(user):
        raise PermissionDenied(_("You may not work on cases."))


def ensure_can_add_notes(user: Any) -> None:
    if not can_add_notes(user):
        raise PermissionDenied(_("You may not add notes to cases."))


def ensure_can_reassign(user: Any) -> None:
    if not can_reassign(user):
        raise PermissionDenied(_("Only a supervisor may reassign cases."))
