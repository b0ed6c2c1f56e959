"""The five staff roles. Each is a ``Group``; its permissions are granted by data migrations
(each app grants its own models' permissions, see ``accounts.roles.grant``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    RISK_OFFICER = "risk_officer"
    SUPERVISOR = "supervisor"
    COMPLIANCE_AUDITOR = "compliance_auditor"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"


def grant(apps: Any, role_permissions: dict[str, list[str]]) -> None:
    """Grant ``app_label.codename`` permissions to role groups, from a data migration.

    Each app grants its own models' permissions in a migration of its own, so roles grow
    with the apps. Permissions are normally created after all migrations (post_migrate);
    this creates them first for the apps the calling migration can see.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, permissions in role_permissions.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for permission in permissions:
            app_label, codename = permission.split(".", 1)
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
