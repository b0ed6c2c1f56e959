"""Create an API key for a channel (and the channel, when it does not exist); print it once.

    manage.py channel_create_key CODE NAME --kind upstream|partner [--channel-name TEXT]

The key is printed on stdout alone (one line, for scripts: ``KEY=$(manage.py …)``); what
happened goes to stderr. The key is stored only as a hash: keep the printed value.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake import channels
from intake.models import Channel
from portal.permissions import SystemActor

ACTOR = SystemActor("channel_create_key")


class Command(BaseCommand):
    help = "Create an API key for a channel (creating the channel if missing); print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="The channel's code, e.g. payments-gateway.")
        parser.add_argument("name", help="A name for the key, e.g. 'production 2026'.")
        parser.add_argument(
            "--kind",
            choices=Channel.Kind.values,
            default=Channel.Kind.UPSTREAM,
            help="For a new channel: upstream (signals) or partner (feedback).",
        )
        parser.add_argument(
            "--channel-name", default="", help="For a new channel: its name (default: the code)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code: str = options["code"]
        try:
            channel = Channel.objects.filter(code=code).first()
            if channel is None:
                channel = channels.channel_create(
                    actor=ACTOR,
                    code=code,
                    name=options["channel_name"] or code,
                    kind=options["kind"],
                )
                self.stderr.write(f"Created {channel.kind} channel {channel.code}.")
            elif channel.kind != options["kind"]:
                self.stderr.write(
                    f"Channel {channel.code} exists as a {channel.kind} channel; kept as it is."
                )
            key, plaintext = channels.channel_key_create(
                actor=ACTOR, channel_id=channel.pk, name=options["name"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"API key {key.prefix}… for {channel.code}; it is shown once, keep it safe:"
        )
        self.stdout.write(plaintext)
