"""Feedback, signals, channels and idempotency records now belong to ``intake``: the tables
stay, Django's state and the content types (with their permissions) move."""

from django.db import migrations

from accounts.roles import move_content_types


def forwards(apps, schema_editor):
    # Permissions hang on content types: relabelling them keeps every role's grants.
    move_content_types(
        apps,
        old_app="cases",
        new_app="intake",
        models=[
            "channel",
            "channelkey",
            "feedback",
            "signal",
            "idempotencyrecord",
            "historicalchannel",
            "historicalfeedback",
            "historicalsignal",
        ],
    )


def backwards(apps, schema_editor):
    move_content_types(
        apps,
        old_app="intake",
        new_app="cases",
        models=[
            "channel",
            "channelkey",
            "feedback",
            "signal",
            "idempotencyrecord",
            "historicalchannel",
            "historicalfeedback",
            "historicalsignal",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("intake", "0001_initial"),
        ("cases", "0005_intake_permissions"),
    ]

    operations = [
        # The tables stay where they are: only Django's picture of who owns them moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="historicalfeedback",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="historicalsignal",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="channelkey",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="signal",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="feedback",
                    name="channel",
                ),
                migrations.RemoveField(
                    model_name="channelkey",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="feedback",
                    name="case",
                ),
                migrations.RemoveField(
                    model_name="feedback",
                    name="customer",
                ),
                migrations.RemoveField(
                    model_name="historicalchannel",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalfeedback",
                    name="case",
                ),
                migrations.RemoveField(
                    model_name="historicalfeedback",
                    name="customer",
                ),
                migrations.RemoveField(
                    model_name="historicalfeedback",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalsignal",
                    name="case",
                ),
                migrations.RemoveField(
                    model_name="historicalsignal",
                    name="credit_line",
                ),
                migrations.RemoveField(
                    model_name="historicalsignal",
                    name="customer",
                ),
                migrations.RemoveField(
                    model_name="historicalsignal",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="signal",
                    name="case",
                ),
                migrations.RemoveField(
                    model_name="signal",
                    name="credit_line",
                ),
                migrations.RemoveField(
                    model_name="signal",
                    name="customer",
                ),
                migrations.DeleteModel(
                    name="IdempotencyRecord",
                ),
                migrations.DeleteModel(
                    name="Channel",
                ),
                migrations.DeleteModel(
                    name="ChannelKey",
                ),
                migrations.DeleteModel(
                    name="Feedback",
                ),
                migrations.DeleteModel(
                    name="HistoricalChannel",
                ),
                migrations.DeleteModel(
                    name="HistoricalFeedback",
                ),
                migrations.DeleteModel(
                    name="HistoricalSignal",
                ),
                migrations.DeleteModel(
                    name="Signal",
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
