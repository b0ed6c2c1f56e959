"""The five staff roles. Each is a ``Group``; its permissions are granted by data migrations
(each app grants its own models' permissions, see ``accounts.roles.grant``)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    RISK_OFFICER = "risk_officer"
    SUPERVISOR = "supervisor"
    COMPLIANCE_AUDITOR = "compliance_auditor"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"


# What people read: group names are identifiers, these are their names in the user's language.
ROLE_LABELS: dict[Role, Promise] = {
    Role.RISK_OFFICER: _("Risk officer"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.COMPLIANCE_AUDITOR: _("Compliance auditor"),
    Role.PRIVACY_OFFICER: _("Privacy officer"),
    Role.ADMIN: _("Administrator"),
}


def role_labels(names: Iterable[str]) -> list[str]:
    """The translated names of the given role groups, in the order of ``Role``.

    Groups that are not roles (made by hand in the admin) keep their own name, after the roles.
    """
    names = set(names)
    known = [str(ROLE_LABELS[role]) for role in Role if role in names]
    others = sorted(name for name in names if name not in set(Role))
    return known + others


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


def revoke(apps: Any, role_permissions: dict[str, list[str]]) -> None:
    """Take back permissions given by ``grant`` (the reverse of a role data migration)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, permissions in role_permissions.items():
        group = group_model.objects.filter(name=role).first()
        if group is None:
            continue
        for permission in permissions:
            app_label, codename = permission.split(".", 1)
            group.permissions.remove(
                *permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )


def move_content_types(apps: Any, *, old_app: str, new_app: str, models: Iterable[str]) -> None:
    """Give models that moved from ``old_app`` to ``new_app`` their content types, from a data
    migration, keeping every role's grants.

    Permissions hang on content types, so the row is relabelled in place. If the new label has
    a row already (a migration in between created permissions for both apps), its permissions
    take over the old row's grants and the old row goes.
    """
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    for model in models:
        old = content_type_model.objects.filter(app_label=old_app, model=model).first()
        if old is None:
            continue
        new = content_type_model.objects.filter(app_label=new_app, model=model).first()
        if new is None:
            old.app_label = new_app
            old.save(update_fields=["app_label"])
            continue
        for permission in permission_model.objects.filter(content_type=old):
            twin = permission_model.objects.filter(
                content_type=new, codename=permission.codename
            ).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for group in permission.group_set.all():
                group.permissions.add(twin)
            for user in permission.user_set.all():
                user.user_permissions.add(twin)
            permission.delete()
        old.delete()
