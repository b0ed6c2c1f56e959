"""Auditors and supervisors read the audit log; auditors verify the chain."""

from django.db import migrations

from accounts.roles import Role, grant

PERMISSIONS = {
    Role.SUPERVISOR.value: ["compliance.view_auditentry", "compliance.view_chainverification"],
    Role.COMPLIANCE_AUDITOR.value: [
        "compliance.view_auditentry",
        "compliance.view_chainverification",
        "compliance.verify_audit_chain",
    ],
}


def grant_permissions(apps, schema_editor):
    grant(apps, PERMISSIONS)


def revoke_permissions(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, permissions in PERMISSIONS.items():
        group = group_model.objects.filter(name=role).first()
        if group is None:
            continue
        codenames = [p.split(".", 1)[1] for p in permissions]
        group.permissions.remove(
            *permission_model.objects.filter(
                content_type__app_label="compliance", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_audit_append_only"),
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
