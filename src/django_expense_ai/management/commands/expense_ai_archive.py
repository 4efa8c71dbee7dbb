"""``manage.py expense_ai_archive``: move old chat messages and processing logs to the archive storage.

The spec's strategy by default: chat messages older than 6 months, processing
logs older than 12 months; transactions are never archived. See ``docs/archive.rst``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import ArchiveError
from ...maintenance.archive import archive, cutoff_for


class Command(BaseCommand):
    help = (
        "Archive chat messages and statement processing logs older than the given ages to gzip "
        "JSON Lines in EXPENSE_AI['ARCHIVE_STORAGE_ALIAS'], then delete them, batch by batch. "
        "Resumable: re-run after an interruption. Transactions are never archived."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chat-older-than",
            default="6m",
            help='Archive chat messages created before this age: 30d, 2w, 6m, 1y (default 6m); "off" to skip.',
        )
        parser.add_argument(
            "--logs-older-than",
            default="12m",
            help='Archive processing logs created before this age (default 12m); "off" to skip.',
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would be archived; change nothing.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help='Rows per archive file and per transaction; default EXPENSE_AI["BATCH_SIZE"].',
        )

    def handle(
        self,
        *args: Any,
        chat_older_than: str,
        logs_older_than: str,
        dry_run: bool = False,
        batch_size: int | None = None,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        ages = [None if age.strip().lower() == "off" else age for age in (chat_older_than, logs_older_than)]
        try:
            for age in ages:
                if age is not None:
                    cutoff_for(age)  # a bad age fails before anything is archived
        except ArchiveError as err:
            raise CommandError(str(err)) from err

        def progress(name: str, rows: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"  {rows} rows -> {name}")

        try:
            reports = archive(
                chat_older_than=ages[0],
                logs_older_than=ages[1],
                dry_run=dry_run,
                batch_size=batch_size,
                progress=progress,
            )
        except ArchiveError as err:
            raise CommandError(f"{err} Re-run the command to continue; finished batches stay archived.") from err
        if verbosity < 1:
            return
        for report in reports:
            cutoff = report.cutoff.isoformat(timespec="seconds")
            if report.dry_run:
                self.stdout.write(f"{report.model}: {report.rows} rows created before {cutoff} would be archived.")
            else:
                self.stdout.write(
                    f"{report.model}: {report.rows} rows created before {cutoff} archived "
                    f"in {len(report.files)} file(s) and deleted."
                )
        total = sum(r.rows for r in reports)
        if dry_run:
            self.stdout.write(f"Dry run: {total} rows would be archived; nothing was written or deleted.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Done: {total} rows archived."))
