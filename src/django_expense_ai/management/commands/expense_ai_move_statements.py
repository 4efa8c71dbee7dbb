"""``manage.py expense_ai_move_statements --from default``: bring old statement files into the private storage.

Sites upgrading from a version that stored statement files in
``STORAGES["default"]`` run it once after the upgrade (see ``docs/upgrade.rst``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import ConfigurationError
from ...statements.relocate import move_statement_files


class Command(BaseCommand):
    help = (
        "Move stored statement files from another STORAGES alias (the old default: 'default') into the "
        "storage statement files now go to (EXPENSE_AI['STORAGE_ALIAS'], by default the library's private "
        "folder), renamed by their detected format. Files that are not statements are not moved. "
        "Idempotent: re-running skips what was moved."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, metavar="ALIAS",
                            help="The STORAGES alias the files are in now (earlier versions used 'default').")
        parser.add_argument("--keep-source", action="store_true",
                            help="Copy instead of move: leave the old files where they are.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; change nothing.")

    def handle(self, *args: Any, source: str, keep_source: bool = False, dry_run: bool = False,
               verbosity: int = 1, **options: Any) -> None:
        try:
            report = move_statement_files(source, keep_source=keep_source, dry_run=dry_run)
        except ConfigurationError as err:
            raise CommandError(str(err)) from err
        if verbosity < 1:
            return
        verb = "would move" if dry_run else "moved"
        self.stdout.write(
            f"{len(report.moved)} {verb}, {len(report.already_there)} already in place, "
            f"{len(report.missing)} missing from both storages, {len(report.refused)} not statements "
            f"({'would be ' if dry_run else ''}left out, their rows kept)."
        )
        for label, ids in (("missing", report.missing), ("not statements", report.refused)):
            if ids:
                self.stdout.write(f"  {label}: file ids {', '.join(map(str, ids))}")
