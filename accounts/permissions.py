"""Who may administer staff: small rules over ``portal.permissions.has_perm``."""

from __future__ import annotations

from typing import Any

from portal.permissions import has_perm, is_person


def can_administer_staff(actor: Any) -> bool:
    """Propose staff changes and see the staff list: the administrator role (a person)."""
    return is_person(actor) and has_perm(actor, "accounts.change_user")


def can_decide_staff_change(actor: Any, change: Any) -> bool:
    """Approve or reject a staff change: another administrator than its proposer, and not
    the person the change is about."""
    return (
        can_administer_staff(actor)
        and change.proposed_by_id != actor.pk
        and change.user_id != actor.pk
    )
