"""Cases' permissions for the role groups.

Reading cases and decisions: officers, supervisors and auditors. Working cases and writing
notes and decisions: officers and supervisors. ``change_decision`` means "may approve or
reject a proposed decision" (supervisors only). ``delete_case`` is granted to nobody.
"""

from django.db import migrations

from accounts.roles import Role, grant

ROLE_PERMISSIONS = {
    Role.RISK_OFFICER.value: [
        "cases.view_case",
        "cases.change_case",
        "cases.add_note",
        "cases.add_decision",
        "cases.view_decision",
    ],
    Role.SUPERVISOR.value: [
        "cases.view_case",
        "cases.change_case",
        "cases.add_note",
        "cases.add_decision",
        "cases.view_decision",
        "cases.change_decision",
    ],
    Role.COMPLIANCE_AUDITOR.value: ["cases.view_case", "cases.view_decision"],
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
                content_type__app_label="cases", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_cases"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
