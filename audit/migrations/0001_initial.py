"""The audit log moves here from ``compliance`` (tables, triggers and indexes unchanged)."""

import django.core.serializers.json
import django.db.models.deletion
import django.db.models.fields.json
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("compliance", "0008_audit_data_customer_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are: only Django's picture of who owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("created_at", models.DateTimeField(verbose_name="time")),
                        (
                            "actor_label",
                            models.CharField(max_length=200, verbose_name="actor label"),
                        ),
                        ("action", models.CharField(max_length=100, verbose_name="action")),
                        (
                            "target_type",
                            models.CharField(
                                blank=True, max_length=100, verbose_name="target type"
                            ),
                        ),
                        (
                            "target_id",
                            models.CharField(blank=True, max_length=64, verbose_name="target id"),
                        ),
                        (
                            "data",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                encoder=django.core.serializers.json.DjangoJSONEncoder,
                                verbose_name="data",
                            ),
                        ),
                        (
                            "prev_hash",
                            models.CharField(
                                max_length=64, unique=True, verbose_name="previous hash"
                            ),
                        ),
                        ("hash", models.CharField(max_length=64, unique=True, verbose_name="hash")),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty when the system acted (a job, a command).",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_entries",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="actor",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit entries",
                        "db_table": "compliance_auditentry",
                        "permissions": [("verify_audit_chain", "Can verify the audit chain")],
                        "default_permissions": ("view",),
                        "indexes": [
                            models.Index(fields=["action", "id"], name="audit_action_id_idx"),
                            models.Index(
                                fields=["target_type", "target_id", "id"],
                                name="audit_target_id_idx",
                            ),
                            models.Index(
                                fields=["actor_label", "id"], name="audit_actor_label_id_idx"
                            ),
                            models.Index(fields=["created_at"], name="audit_created_at_idx"),
                            models.Index(
                                django.db.models.fields.json.KeyTransform("customer", "data"),
                                name="audit_data_customer_idx",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ChainVerification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="verified at"
                            ),
                        ),
                        (
                            "actor_label",
                            models.CharField(max_length=200, verbose_name="verified by"),
                        ),
                        ("ok", models.BooleanField(verbose_name="chain intact")),
                        ("entries_checked", models.BigIntegerField(verbose_name="entries checked")),
                        (
                            "first_bad",
                            models.BigIntegerField(
                                blank=True, null=True, verbose_name="first bad entry"
                            ),
                        ),
                        (
                            "reason",
                            models.CharField(blank=True, max_length=300, verbose_name="reason"),
                        ),
                        (
                            "last_id",
                            models.BigIntegerField(
                                blank=True, null=True, verbose_name="last entry checked"
                            ),
                        ),
                        (
                            "last_hash",
                            models.CharField(
                                blank=True,
                                max_length=64,
                                verbose_name="hash of the last entry checked",
                            ),
                        ),
                        (
                            "duration_ms",
                            models.PositiveIntegerField(default=0, verbose_name="duration (ms)"),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="verified by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "chain verification",
                        "verbose_name_plural": "chain verifications",
                        "db_table": "compliance_chainverification",
                        "default_permissions": ("view",),
                        "indexes": [
                            models.Index(fields=["-created_at"], name="chainverif_created_idx")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
