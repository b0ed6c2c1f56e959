"""Intake's permissions for the role groups.

Officers and supervisors read feedback and signals and triage unmatched feedback
(``change_feedback``); auditors read them; administrators manage channels and their keys.
"""

from django.db import migrations

from accounts.roles import Role, grant, revoke

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
    revoke(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_intake"),
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
