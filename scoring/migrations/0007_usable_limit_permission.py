"""Officers and supervisors may set a line's usable limit (through an applied decision)."""

from django.db import migrations

from accounts.roles import Role, grant

ROLE_PERMISSIONS = {
    Role.RISK_OFFICER: ["scoring.change_creditline"],
    Role.SUPERVISOR: ["scoring.change_creditline"],
}


def grant_permissions(apps, schema_editor):
    grant(apps, ROLE_PERMISSIONS)


def revoke_permissions(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    permission = permission_model.objects.filter(
        content_type__app_label="scoring", codename="change_creditline"
    ).first()
    if permission is not None:
        for group in group_model.objects.filter(name__in=list(ROLE_PERMISSIONS)):
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0006_assessment_once_per_bulk_job")]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
