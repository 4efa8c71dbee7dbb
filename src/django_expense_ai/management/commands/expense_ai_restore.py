"""``manage.py expense_ai_restore ARCHIVE``: bring archived rows back.

``ARCHIVE`` is one ``.jsonl.gz`` file in the archive storage, or a prefix
whose files are all restored. Rows whose id exists are skipped, so it is safe
to run twice. See ``docs/archive.rst``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import ArchiveError
from ...maintenance.archive import restore


class Command(BaseCommand):
    help = (
        "Restore archived chat messages / processing logs from a file or a prefix in "
        "EXPENSE_AI['ARCHIVE_STORAGE_ALIAS']. Idempotent: rows whose id exists are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="A storage name ending in .jsonl.gz, or a prefix to restore every file under.")

    def handle(self, *args: Any, archive: str, verbosity: int = 1, **options: Any) -> None:
        def progress(name: str, rows: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"  {name}: {rows} rows restored")

        try:
            report = restore(archive, progress=progress)
        except ArchiveError as err:
            raise CommandError(f"{err} Files listed before this one were restored.") from err
        if verbosity < 1:
            return
        for label, count in sorted(report.restored.items()):
            self.stdout.write(f"{label}: {count} rows restored.")
        if report.already_present:
            self.stdout.write(f"{report.already_present} rows were already present and left as they are.")
        for key, count in sorted(report.skipped.items()):
            self.stdout.write(f"{count} rows not restored: their {key} no longer exists.")
        for key, count in sorted(report.unlinked.items()):
            self.stdout.write(f"{count} rows restored with {key} empty: the linked row no longer exists.")
        for key, count in sorted(report.relinked.items()):
            self.stdout.write(f"{count} links {key} restored.")
        for key, count in sorted(report.not_relinked.items()):
            self.stdout.write(f"{count} links {key} not restored: the row is gone or now links elsewhere.")
        self.stdout.write(
            self.style.SUCCESS(f"Done: {report.total_restored} rows restored from {len(report.files)} file(s).")
        )
