"""Demo staff accounts for `make run`: one per role, all with the demo password."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import User
from accounts.roles import Role

DEMO_STAFF: tuple[tuple[str, Role, str, str], ...] = (
    ("officer", Role.RISK_OFFICER, "Wang", "Fang"),
    ("officer2", Role.RISK_OFFICER, "Zhao", "Lei"),
    ("supervisor", Role.SUPERVISOR, "Chen", "Jing"),
    ("auditor", Role.COMPLIANCE_AUDITOR, "Liu", "Yang"),
    ("privacy", Role.PRIVACY_OFFICER, "Sun", "Min"),
    ("admin", Role.ADMIN, "Zhou", "Tao"),
)


@transaction.atomic
def ensure_demo_staff(*, password: str) -> list[tuple[str, str]]:
    """Create the demo accounts that are missing; never touch existing ones.

    Returns ``(username, role)`` pairs for printing.
    """
    created: list[tuple[str, str]] = []
    for username, role, last_name, first_name in DEMO_STAFF:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.portal.test",
                "is_staff": role == Role.ADMIN,
            },
        )
        if was_created:
            user.set_password(password)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
        created.append((username, str(role)))
    return created
