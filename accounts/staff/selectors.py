"""Reads the staff pages and the staff API share."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import RoleChangeRequest, RoleChangeState, User
from accounts.roles import Role, role_labels
from portal.permissions import Actor

STAFF_LIST_LIMIT = 1000


def staff_list() -> list[User]:
    """Every staff account (a few hundred at most) with its role groups and any open
    request, by username."""
    users: list[User] = list(
        User.objects.order_by("username").prefetch_related(
            "groups",
            Prefetch(
                "role_change_requests",
                queryset=RoleChangeRequest.objects.filter(state=RoleChangeState.PROPOSED),
                to_attr="open_requests",
            ),
        )[:STAFF_LIST_LIMIT]
    )
    for user in users:
        user._role_names = {group.name for group in user.groups.all()}
    return users


def staff_role_codes(user: User) -> list[str]:
    return [role.value for role in Role if role in user.role_names]


def staff_role_labels(user: User) -> list[str]:
    return role_labels(user.role_names)


def staff_changes_pending() -> QuerySet[RoleChangeRequest]:
    return (
        RoleChangeRequest.objects.filter(state=RoleChangeState.PROPOSED)
        .select_related("user", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def staff_changes_recent(limit: int = 50) -> QuerySet[RoleChangeRequest]:
    return (
        RoleChangeRequest.objects.exclude(state=RoleChangeState.PROPOSED)
        .select_related("user", "proposed_by", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def staff_change_can_decide(actor: Actor, change: RoleChangeRequest) -> bool:
    from accounts.permissions import can_decide_staff_change

    return change.state == RoleChangeState.PROPOSED and can_decide_staff_change(actor, change)
