"""``manage.py export_verify FILE MANIFEST``: check an export against its signed manifest."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from compliance.exports.verify import manifest_verify, read_manifest


class Command(BaseCommand):
    help = (
        "Check an exported file against its manifest: the manifest's signature (with the "
        "export signing keys of this installation), the file's SHA-256 digest, its number of "
        "rows and its columns. Prints OK, or every problem found and exits with status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The exported CSV or JSON file.")
        parser.add_argument("manifest", help="The export's manifest (JSON).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = read_manifest(options["manifest"])
        except OSError as exc:
            self._fail([f"Cannot read the manifest {options['manifest']}: {exc.strerror}."])
        except ValueError:
            self._fail([f"The manifest {options['manifest']} is not a JSON object."])
        try:
            result = manifest_verify(options["file"], manifest)
        except OSError as exc:
            self._fail([f"Cannot read the file {options['file']}: {exc.strerror}."])
        if not result.ok:
            self._fail(result.problems)
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: export {manifest['export_id']} ({manifest['kind']}, {manifest['format']}), "
                f"{result.rows} rows, SHA-256 {result.sha256}, signed with key "
                f"{manifest['key_id']}."
            )
        )

    def _fail(self, problems: list[str]) -> NoReturn:
        self.stderr.write(self.style.ERROR("FAILED: the export does not match its manifest."))
        for problem in problems:
            self.stderr.write(f"- {problem}")
        sys.exit(1)
