"""``manage.py audit_verify``: walk the audit chain; exit 1 when it is broken."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.services import audit_chain_verify
from portal.permissions import SystemActor


class Command(BaseCommand):
    help = (
        "Verify the hash chain of the audit log: recompute every entry's hash and check each "
        "link. Prints ok, the number of entries checked and the first bad entry; exits with "
        "status 1 when the chain is broken. The outcome is recorded and audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Entries read per query (memory stays constant whatever the chain's length).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verification = audit_chain_verify(
            actor=SystemActor("audit_verify"), batch_size=options["batch_size"]
        )
        self.stdout.write(f"ok: {'yes' if verification.ok else 'no'}")
        self.stdout.write(f"entries checked: {verification.entries_checked}")
        if verification.ok:
            self.stdout.write(self.style.SUCCESS("The audit chain is intact."))
            return
        self.stdout.write(f"first bad entry: {verification.first_bad}")
        self.stdout.write(f"reason: {verification.reason}")
        self.stderr.write(self.style.ERROR("The audit chain is broken."))
        sys.exit(1)
