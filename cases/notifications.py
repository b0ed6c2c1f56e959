"""Notifications in the portal: who is told what, reading them, marking them read.

A notification is written by the service that made the change, in its transaction (an SLA
breach, a decision waiting for approval, a rejected decision). ``data`` holds ids, codes
and priorities only, never personal data or free text. There is one notification per
recipient, kind and case (a unique constraint): a re-run sweep adds nothing, and a second
proposal on the same case brings the existing notice back as unread.

Marking read is the recipient's own view of their inbox, not a change of record: no
history row and no audit entry. Nobody can mark someone else's (it does not exist for them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cases.models import Notification, NotificationKind
from cases.permissions import can_work_cases

NOTIFICATION_LIST_LIMIT = 100
UNREAD_BADGE_CAP = 99

APPROVE_PERMISSION = "cases.change_decision"


# --- recipients --------------------------------------------------------------------------------


def supervisor_ids() -> list[int]:
    """Active users holding ``cases.change_decision`` through a role or directly (one query)."""
    from django.contrib.auth.models import Permission

    app_label, codename = APPROVE_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    users = User.objects.filter(is_active=True).filter(
        Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
    )
    return sorted(set(users.values_list("pk", flat=True)))


# --- writing (called by the services, inside their transaction) --------------------------------


def notifications_create(
    *,
    recipient_ids: Iterable[int],
    kind: str,
    case_id: int,
    data: dict[str, Any],
    renew: bool = False,
) -> None:
    """One notification per recipient for ``case_id``, in one INSERT.

    An existing notice of the same kind and case is left alone (``renew=False``: the SLA
    sweep), or brought back as unread with the new details and time (``renew=True``: a new
    proposal on a case whose earlier one was decided).
    """
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=recipient_id, kind=kind, case_id=case_id, data=data, created_at=now
        )
        for recipient_id in sorted(set(recipient_ids))
    ]
    if not rows:
        return
    if renew:
        Notification.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["recipient", "kind", "case"],
            update_fields=["data", "created_at", "read_at"],
        )
    else:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)


def notify_sla_breached(*, case_id: int, data: dict[str, Any], supervisors: list[int]) -> None:
    notifications_create(
        recipient_ids=supervisors, kind=NotificationKind.SLA_BREACHED, case_id=case_id, data=data
    )


def notify_decision_to_approve(*, case_id: int, decision_id: int, proposer_id: int) -> None:
    """Every supervisor but the proposer (nobody approves their own decision)."""
    notifications_create(
        recipient_ids=[pk for pk in supervisor_ids() if pk != proposer_id],
        kind=NotificationKind.DECISION_TO_APPROVE,
        case_id=case_id,
        data={"decision": decision_id},
        renew=True,
    )


def notify_decision_decided(*, case_id: int, decision_id: int) -> None:
    """The waiting notices of a decided proposal are settled for every supervisor."""
    Notification.objects.filter(
        kind=NotificationKind.DECISION_TO_APPROVE, case_id=case_id, read_at__isnull=True
    ).update(read_at=timezone.now())


def notify_decision_rejected(*, case_id: int, decision_id: int, proposer_id: int) -> None:
    notifications_create(
        recipient_ids=[proposer_id],
        kind=NotificationKind.DECISION_REJECTED,
        case_id=case_id,
        data={"decision": decision_id},
        renew=True,
    )


# --- reading -----------------------------------------------------------------------------------


def notifications_for_user(
    user: Any, *, limit: int = NOTIFICATION_LIST_LIMIT
) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nothing for anyone signed out)."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")[:limit]


def unread_count(user: Any, *, cap: int = UNREAD_BADGE_CAP) -> int:
    """Unread notifications of ``user``, counted up to ``cap + 1`` (one small query on the
    unread partial index). 0 without a query for anyone signed out, and for anyone who does
    not work cases (auditors, privacy officers): notifications go to supervisors and to
    proposers only (their permissions are already loaded for the navigation)."""
    if not can_work_cases(user):
        return 0
    return (
        Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
        .order_by()
        .values("pk")[: cap + 1]
        .count()
    )


# --- the recipient's own state -----------------------------------------------------------------


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (again: nothing changes).

    Raises ``Notification.DoesNotExist`` for a missing notification and for someone else's.
    """
    notification = Notification.objects.get(pk=notification_id, recipient_id=actor.pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; how many were unread."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def unread_badge(user: Any) -> str:
    """ "" (no badge), the count, or "99+": one small COUNT on the unread partial index,
    only for a signed-in user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    n = unread_count(user)
    if n == 0:
        return ""
    return f"{UNREAD_BADGE_CAP}+" if n > UNREAD_BADGE_CAP else str(n)


def notify_reveal_budget_near(user: Any, used: int, limit: int) -> None:
    """Registered with ``portal.registries.on_reveal_budget_near``: every supervisor but the
    person hears that someone's reveals today reached the alert share of their limit."""
    from portal.permissions import actor_label

    recipients = [pk for pk in supervisor_ids() if pk != getattr(user, "pk", None)]
    data = {"user": actor_label(user), "user_id": user.pk, "used": used, "limit": limit}
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=pk, kind=NotificationKind.REVEAL_BUDGET_NEAR, data=data)
            for pk in recipients
        ]
    )
