"""The five staff roles as groups; the admin role manages staff accounts and lifts
sign-in lockouts (django-axes: deleting an access attempt unlocks).

Other apps grant their own models' permissions to these groups in migrations of their own
(see ``accounts.roles.grant``).
"""

from django.db import migrations

from accounts.roles import Role, grant


def create_roles(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for role in Role:
        group_model.objects.get_or_create(name=role.value)
    grant(
        apps,
        {
            Role.ADMIN.value: [
                "accounts.add_user",
                "accounts.change_user",
                "accounts.view_user",
                "auth.view_group",
                "axes.view_accessattempt",
                "axes.delete_accessattempt",
            ]
        },
    )


def remove_roles(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.filter(name__in=[role.value for role in Role]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
