"""Feedback, signals, channels and idempotency records move here from ``cases`` (tables unchanged)."""

import django.db.models.deletion
import django.utils.timezone
import portal.pii.fields
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0005_intake_permissions"),
        ("scoring", "0008_personal_data_access_moves_here"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are: only Django's picture of who owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Channel",
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
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("partner", "Partner channel (feedback)"),
                                    ("upstream", "Upstream system (signals)"),
                                ],
                                max_length=16,
                                verbose_name="kind",
                            ),
                        ),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="created"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "channel",
                        "verbose_name_plural": "channels",
                        "db_table": "cases_channel",
                    },
                ),
                migrations.CreateModel(
                    name="ChannelKey",
                    fields=[
                        (
                            "id",
                            models.CharField(
                                editable=False,
                                max_length=150,
                                primary_key=True,
                                serialize=False,
                                unique=True,
                            ),
                        ),
                        ("prefix", models.CharField(editable=False, max_length=8, unique=True)),
                        ("hashed_key", models.CharField(editable=False, max_length=150)),
                        ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "name",
                            models.CharField(
                                default=None,
                                help_text="A free-form name for the API key. Need not be unique. 50 characters max.",
                                max_length=50,
                            ),
                        ),
                        (
                            "revoked",
                            models.BooleanField(
                                blank=True,
                                default=False,
                                help_text="If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)",
                            ),
                        ),
                        (
                            "expiry_date",
                            models.DateTimeField(
                                blank=True,
                                help_text="Once API key expires, clients cannot use it anymore.",
                                null=True,
                                verbose_name="Expires",
                            ),
                        ),
                        (
                            "revoked_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="revoked"),
                        ),
                        (
                            "last_used_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="last used"),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="keys",
                                to="intake.channel",
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="created by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "channel API key",
                        "verbose_name_plural": "channel API keys",
                        "db_table": "cases_channelkey",
                        "ordering": ("-created",),
                        "abstract": False,
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalChannel",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, verbose_name="code")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("partner", "Partner channel (feedback)"),
                                    ("upstream", "Upstream system (signals)"),
                                ],
                                max_length=16,
                                verbose_name="kind",
                            ),
                        ),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="created"
                            ),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical channel",
                        "verbose_name_plural": "historical channels",
                        "db_table": "cases_historicalchannel",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalFeedback",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "reference",
                            models.CharField(
                                db_index=True, max_length=20, verbose_name="reference"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("limit_unusable", "My limit is shown but I cannot use it"),
                                    ("cannot_activate", "I cannot activate my credit line"),
                                    ("payment_failed", "A payment failed"),
                                    ("other", "Something else"),
                                ],
                                max_length=20,
                                verbose_name="what happened",
                            ),
                        ),
                        (
                            "name",
                            portal.pii.fields.EncryptedTextField(
                                blank=True, null=True, verbose_name="name"
                            ),
                        ),
                        (
                            "phone",
                            portal.pii.fields.EncryptedTextField(
                                blank=True, null=True, verbose_name="mobile number"
                            ),
                        ),
                        (
                            "phone_hash",
                            models.CharField(blank=True, default="", editable=False, max_length=64),
                        ),
                        (
                            "name_hash",
                            models.CharField(blank=True, default="", editable=False, max_length=64),
                        ),
                        (
                            "description",
                            portal.pii.fields.EncryptedTextField(
                                blank=True, null=True, verbose_name="description"
                            ),
                        ),
                        (
                            "happened_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="when it happened"
                            ),
                        ),
                        (
                            "language",
                            models.CharField(
                                default="zh-hans", max_length=10, verbose_name="language"
                            ),
                        ),
                        (
                            "consent_version",
                            models.CharField(max_length=32, verbose_name="consent text version"),
                        ),
                        ("consent_at", models.DateTimeField(verbose_name="consent given at")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("matched", "Linked to a case"),
                                    ("triage", "Waiting for an officer to identify the customer"),
                                    ("closed", "Closed"),
                                ],
                                default="received",
                                max_length=16,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "close_reason",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("not_a_customer", "Not one of our customers"),
                                    ("duplicate", "Duplicate of another submission"),
                                    ("spam", "Spam or abuse"),
                                    ("not_actionable", "Nothing we can act on"),
                                ],
                                max_length=20,
                                verbose_name="reason for closing",
                            ),
                        ),
                        (
                            "received_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="received"
                            ),
                        ),
                        (
                            "processed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="processed"),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="cases.case",
                                verbose_name="case",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                help_text="Empty for the public form.",
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="intake.channel",
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="scoring.customer",
                                verbose_name="customer",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical feedback",
                        "verbose_name_plural": "historical feedback",
                        "db_table": "cases_historicalfeedback",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalSignal",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "event_id",
                            models.CharField(max_length=100, verbose_name="sender's event id"),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("payment_declined", "Payment declined"),
                                    ("activation_failed", "Activation failed"),
                                    ("device_changed", "Device changed"),
                                    ("system_error", "System error during a payment or activation"),
                                    ("kyc_expired", "Identity document expired"),
                                ],
                                max_length=24,
                                verbose_name="kind",
                            ),
                        ),
                        ("occurred_at", models.DateTimeField(verbose_name="occurred")),
                        (
                            "received_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="received"
                            ),
                        ),
                        (
                            "details",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="Codes and ids only.",
                                verbose_name="details",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("attached", "Attached to a case"),
                                    ("ignored", "No case needed"),
                                    ("failed", "Failed"),
                                ],
                                default="received",
                                max_length=16,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "processed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="processed"),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="cases.case",
                                verbose_name="case",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="intake.channel",
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "credit_line",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="scoring.creditline",
                                verbose_name="credit line",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="scoring.customer",
                                verbose_name="customer",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical signal",
                        "verbose_name_plural": "historical signals",
                        "db_table": "cases_historicalsignal",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Feedback",
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
                            "reference",
                            models.CharField(max_length=20, unique=True, verbose_name="reference"),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("limit_unusable", "My limit is shown but I cannot use it"),
                                    ("cannot_activate", "I cannot activate my credit line"),
                                    ("payment_failed", "A payment failed"),
                                    ("other", "Something else"),
                                ],
                                max_length=20,
                                verbose_name="what happened",
                            ),
                        ),
                        (
                            "name",
                            portal.pii.fields.EncryptedTextField(
                                blank=True, null=True, verbose_name="name"
                            ),
                        ),
                        (
                            "phone",
                            portal.pii.fields.EncryptedTextField(
                                blank=True, null=True, verbose_name="mobile number"
                            ),
                        ),
                        (
                            "phone_hash",
                            models.CharField(blank=True, default="", editable=False, max_length=64),
                        ),
                        (
                            "name_hash",
                            models.CharField(blank=True, default="", editable=False, max_length=64),
                        ),
                        (
                            "description",
                            portal.pii.fields.EncryptedTextField(
                                blank=True, null=True, verbose_name="description"
                            ),
                        ),
                        (
                            "happened_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="when it happened"
                            ),
                        ),
                        (
                            "language",
                            models.CharField(
                                default="zh-hans", max_length=10, verbose_name="language"
                            ),
                        ),
                        (
                            "consent_version",
                            models.CharField(max_length=32, verbose_name="consent text version"),
                        ),
                        ("consent_at", models.DateTimeField(verbose_name="consent given at")),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("matched", "Linked to a case"),
                                    ("triage", "Waiting for an officer to identify the customer"),
                                    ("closed", "Closed"),
                                ],
                                default="received",
                                max_length=16,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "close_reason",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("not_a_customer", "Not one of our customers"),
                                    ("duplicate", "Duplicate of another submission"),
                                    ("spam", "Spam or abuse"),
                                    ("not_actionable", "Nothing we can act on"),
                                ],
                                max_length=20,
                                verbose_name="reason for closing",
                            ),
                        ),
                        (
                            "received_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="received"
                            ),
                        ),
                        (
                            "processed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="processed"),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(
                                default=0, verbose_name="processing attempts"
                            ),
                        ),
                        (
                            "error",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="processing error"
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="feedback",
                                to="cases.case",
                                verbose_name="case",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty for the public form.",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="feedback",
                                to="intake.channel",
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="feedback",
                                to="scoring.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "feedback",
                        "verbose_name_plural": "feedback",
                        "db_table": "cases_feedback",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("status", "received")),
                                fields=["received_at"],
                                name="feedback_unprocessed_idx",
                            ),
                            models.Index(
                                condition=models.Q(("status", "triage")),
                                fields=["received_at"],
                                name="feedback_triage_idx",
                            ),
                            models.Index(fields=["phone_hash"], name="feedback_phone_hash_idx"),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "matched"), _negated=True),
                                    ("case__isnull", False),
                                    _connector="OR",
                                ),
                                name="feedback_matched_has_case",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyRecord",
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
                        ("key", models.CharField(max_length=255, verbose_name="idempotency key")),
                        ("endpoint", models.CharField(max_length=100, verbose_name="endpoint")),
                        (
                            "request_hash",
                            models.CharField(max_length=64, verbose_name="request digest"),
                        ),
                        (
                            "response_status",
                            models.PositiveSmallIntegerField(verbose_name="response status"),
                        ),
                        (
                            "response_body",
                            models.JSONField(default=dict, verbose_name="response body"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="created"
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="intake.channel",
                                verbose_name="channel",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "idempotency record",
                        "verbose_name_plural": "idempotency records",
                        "db_table": "cases_idempotencyrecord",
                        "indexes": [
                            models.Index(fields=["created_at"], name="idempotency_created_idx")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("channel", "endpoint", "key"),
                                name="idempotency_once_per_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Signal",
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
                            "event_id",
                            models.CharField(max_length=100, verbose_name="sender's event id"),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("payment_declined", "Payment declined"),
                                    ("activation_failed", "Activation failed"),
                                    ("device_changed", "Device changed"),
                                    ("system_error", "System error during a payment or activation"),
                                    ("kyc_expired", "Identity document expired"),
                                ],
                                max_length=24,
                                verbose_name="kind",
                            ),
                        ),
                        ("occurred_at", models.DateTimeField(verbose_name="occurred")),
                        (
                            "received_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="received"
                            ),
                        ),
                        (
                            "details",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="Codes and ids only.",
                                verbose_name="details",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("attached", "Attached to a case"),
                                    ("ignored", "No case needed"),
                                    ("failed", "Failed"),
                                ],
                                default="received",
                                max_length=16,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "processed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="processed"),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(
                                default=0, verbose_name="processing attempts"
                            ),
                        ),
                        (
                            "error",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="processing error"
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="signals",
                                to="cases.case",
                                verbose_name="case",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="signals",
                                to="intake.channel",
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "credit_line",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="signals",
                                to="scoring.creditline",
                                verbose_name="credit line",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="signals",
                                to="scoring.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "signal",
                        "verbose_name_plural": "signals",
                        "db_table": "cases_signal",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("status", "received")),
                                fields=["received_at"],
                                name="signal_unprocessed_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("channel", "event_id"), name="signal_once_per_event"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
