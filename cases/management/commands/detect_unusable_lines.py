"""Run the nightly detection now: open cases for shown-but-unusable lines without one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cases.services.detection import cases_detect_unusable
from cases.tasks import DETECTION_ACTOR


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        report = cases_detect_unusable(actor=DETECTION_ACTOR)
        self.stdout.write(
            f"Scanned {report.scanned} shown-but-unusable lines: opened {report.opened} cases, "
            f"attached {report.attached} lines to cases opened in this run."
        )
