"""The audit log now belongs to ``audit`` and the access log to ``scoring``: the tables stay,
Django's state and the content types (with their permissions) move."""

from django.db import migrations

from accounts.roles import move_content_types


def forwards(apps, schema_editor):
    # Permissions hang on content types: relabelling them keeps every role's grants.
    move_content_types(
        apps, old_app="compliance", new_app="audit", models=["auditentry", "chainverification"]
    )
    move_content_types(apps, old_app="compliance", new_app="scoring", models=["personaldataaccess"])


def backwards(apps, schema_editor):
    move_content_types(apps, old_app="scoring", new_app="compliance", models=["personaldataaccess"])
    move_content_types(
        apps, old_app="audit", new_app="compliance", models=["auditentry", "chainverification"]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("audit", "0001_initial"),
        ("scoring", "0008_personal_data_access_moves_here"),
        ("compliance", "0008_audit_data_customer_index"),
    ]

    operations = [
        # The tables stay where they are: only Django's picture of who owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="chainverification",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="personaldataaccess",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="personaldataaccess",
                    name="customer",
                ),
                migrations.DeleteModel(
                    name="AuditEntry",
                ),
                migrations.DeleteModel(
                    name="ChainVerification",
                ),
                migrations.DeleteModel(
                    name="PersonalDataAccess",
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
