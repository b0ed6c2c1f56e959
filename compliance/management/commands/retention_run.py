"""``manage.py retention_run [--dry-run]``: apply the retention policies, or count what they
would change; print the report; exit 1 when a step failed."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.privacy.retention import retention_run
from portal.permissions import SystemActor


class Command(BaseCommand):
    help = (
        "Apply the enabled retention policies: erase customers whose data no longer serves "
        "its purpose (unless on legal hold), scrub old feedback, replace notes on long-closed "
        "cases, delete old access-log rows. With --dry-run, count what would change and "
        "change nothing. Every run is recorded and audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = retention_run(actor=SystemActor("retention_run"), dry_run=options["dry_run"])
        self.stdout.write(f"run: #{run.pk} ({'dry run' if run.dry_run else 'applied'})")
        for entry in run.report.get("policies", []):
            if not entry.get("enabled"):
                self.stdout.write(f"{entry['record_type']}: disabled")
                continue
            self.stdout.write(
                f"{entry['record_type']}: keep {entry['keep_days']} days, "
                f"found {entry.get('found', 0)}, changed {entry.get('changed', 0)}, "
                f"on legal hold {entry.get('held', 0)}"
                + (f", error {entry['error']}" if entry.get("error") else "")
            )
        if run.error:
            self.stderr.write(self.style.ERROR(f"Some steps failed: {run.error}"))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("Retention run recorded."))
