"""The audit log now belongs to ``audit`` and the access log to ``scoring``: state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
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
    ]
