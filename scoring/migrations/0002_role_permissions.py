"""Scoring's permissions for the role groups.

Reading customers, credit lines and blocks: officers, supervisors and auditors; privacy
officers read customers (data-subject requests) but not credit decisions. Raising and
lifting blocks (``change_block``): officers and supervisors.
"""

from django.db import migrations

from accounts.roles import Role, grant

READ_ALL = ["scoring.view_customer", "scoring.view_creditline", "scoring.view_block"]

ROLE_PERMISSIONS = {
    Role.RISK_OFFICER.value: [*READ_ALL, "scoring.change_block"],
    Role.SUPERVISOR.value: [*READ_ALL, "scoring.change_block"],
    Role.COMPLIANCE_AUDITOR.value: READ_ALL,
    Role.PRIVACY_OFFICER.value: ["scoring.view_customer"],
}


def grant_permissions(apps, schema_editor):
    grant(apps, ROLE_PERMISSIONS)


def revoke_permissions(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, permissions in ROLE_PERMISSIONS.items():
        group = group_model.objects.filter(name=role).first()
        if group is None:
            continue
        codenames = [p.split(".", 1)[1] for p in permissions]
        group.permissions.remove(
            *permission_model.objects.filter(
                content_type__app_label="scoring", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
