"""The personal-data access log moves here from ``compliance`` (table and triggers unchanged)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0008_audit_data_customer_index"),
        ("scoring", "0007_usable_limit_permission"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are: only Django's picture of who owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PersonalDataAccess",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        (
                            "at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="time"
                            ),
                        ),
                        (
                            "actor_label",
                            models.CharField(max_length=200, verbose_name="who (name)"),
                        ),
                        ("fields", models.JSONField(default=list, verbose_name="fields")),
                        ("purpose", models.CharField(max_length=500, verbose_name="purpose")),
                        (
                            "case_id",
                            models.BigIntegerField(blank=True, null=True, verbose_name="case"),
                        ),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("page", "Portal page"),
                                    ("api", "API"),
                                    ("export", "Export"),
                                    ("privacy_request", "Data-subject request"),
                                ],
                                max_length=16,
                                verbose_name="source",
                            ),
                        ),
                        (
                            "ip_address",
                            models.GenericIPAddressField(
                                blank=True, null=True, verbose_name="address"
                            ),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="personal_data_accesses",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="who",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="personal_data_accesses",
                                to="scoring.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "personal-data access",
                        "verbose_name_plural": "personal-data accesses",
                        "db_table": "compliance_personaldataaccess",
                        "permissions": [
                            (
                                "reveal_personal_data",
                                "Can reveal a customer's personal data for a purpose",
                            )
                        ],
                        "default_permissions": ("view",),
                        "indexes": [
                            models.Index(fields=["customer", "at"], name="pda_customer_at_idx"),
                            models.Index(fields=["actor", "at"], name="pda_actor_at_idx"),
                            models.Index(fields=["at"], name="pda_at_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
