"""Supervisors may grant extra reveals beyond the daily budget, and see the grants."""

from django.db import migrations

from accounts.roles import Role, grant

CODENAMES = ["add_revealallowance", "view_revealallowance"]
ROLE_PERMISSIONS = {Role.SUPERVISOR: [f"scoring.{codename}" for codename in CODENAMES]}


def grant_permissions(apps, schema_editor):
    grant(apps, ROLE_PERMISSIONS)


def revoke_permissions(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    permissions = permission_model.objects.filter(
        content_type__app_label="scoring", codename__in=CODENAMES
    )
    for group in group_model.objects.filter(name__in=list(ROLE_PERMISSIONS)):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0011_reveal_allowance")]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
