"""Feedback, signals, channels and idempotency records now belong to ``intake``: state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
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
    ]
