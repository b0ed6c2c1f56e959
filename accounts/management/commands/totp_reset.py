"""``manage.py totp_reset USERNAME``: remove a person's authenticator app (a lost phone)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import totp_device_reset
from portal.permissions import SystemActor


class Command(BaseCommand):
    help = (
        "Remove every authenticator app (TOTP device) of a staff account, for someone who lost "
        "their phone; they set up a new one at their next sign-in. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            removed = totp_device_reset(
                actor=SystemActor("totp_reset"), username=options["username"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"authenticator apps removed: {removed}")
