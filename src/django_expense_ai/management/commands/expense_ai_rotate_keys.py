"""``manage.py expense_ai_rotate_keys``: re-encrypt every stored secret with the newest key.

Procedure (see ``docs/security.rst``): put the new key first in
``STATEMENT_PASSWORD_KEY`` keeping the old one after it, deploy, run this
command until it reports 0 unreadable, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import ConfigurationError
from ...maintenance.rotation import rotate_secrets

#: Exit status when some token could not be read with any configured key.
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = (
        "Re-encrypt stored statement passwords and AI API keys with the newest "
        "STATEMENT_PASSWORD_KEY. Idempotent: safe to re-run, and re-running after an "
        "interruption finishes the rest. Exits non-zero when a token cannot be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help='Rows per batch (one transaction each); default EXPENSE_AI["BATCH_SIZE"].',
        )

    def handle(self, *args: Any, batch_size: int | None = None, verbosity: int = 1, **options: Any) -> None:
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = rotate_secrets(
                batch_size=batch_size,
                stdout=self.stdout if verbosity >= 1 else None,
                progress=verbosity >= 2,
            )
        except ConfigurationError as err:
            raise CommandError(str(err)) from err
        if not report.ok:
            raise CommandError(
                f"{report.unreadable} secret(s) could not be decrypted with any configured key and "
                "were left untouched (row ids above). Add the key they were encrypted with to "
                "STATEMENT_PASSWORD_KEY and run this command again; do not drop any old key yet.",
                returncode=EXIT_UNREADABLE,
            )
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Done: {report.rotated} rotated, {report.current} already current. "
                    "Every stored secret is on the newest key; older keys may now be removed."
                )
            )
