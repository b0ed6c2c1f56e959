"""Intake's permissions for the role groups.

Officers and supervisors read feedback and signals and triage unmatched feedback
(``change_feedback``); auditors read them; administrators manage channels and their keys.
"""

from django.db import migrations

from accounts.roles import Role, grant

PERMISSIONS = {
    Role.RISK_OFFICER.value: ["cases.view_feedback", "cases.change_feedback", "cases.view_signal"],
    Role.SUPERVISOR.value: ["cases.view_feedback", "cases.change_feedback", "cases.view_signal"],
    Role.COMPLIANCE_AUDITOR.value: [
        "cases.view_feedback",
        "cases.view_signal",
        "cases.view_channel",
    ],
    Role.ADMIN.value: [
        "cases.view_channel",
        "cases.add_channel",
        "cases.change_channel",
        "cases.view_channelkey",
        "cases.add_channelkey",
        "cases.change_channelkey",
    ],
}


def forwards(apps, schema_editor):
    grant(apps, PERMISSIONS)


def backwards(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, permissions in PERMISSIONS.items():
        group = group_model.objects.filter(name=role).first()
        if group is None:
            continue
        codenames = [p.split(".", 1)[1] for p in permissions]
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label="cases", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_intake"),
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
