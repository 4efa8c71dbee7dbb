"""Import statement files from the command line.

::

    manage.py expense_ai_import jan.pdf feb.csv --user alice [--account 3] [--password ... | --ask-password]

Prints a progress bar (one step per pipeline stage) on stderr, then a summary
table per file (found / created / duplicates / failed), and exits non-zero when
any file failed. ``--password`` is visible to other local users in the process
list; prefer ``--ask-password``.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ... import hookimpl, plugins
from ...models import Account
from ...models.choices import FileStatus
from ...statements.pipeline import STAGES

_BAR_WIDTH = 24


class _Progress:
    """A plugin for the duration of the command: advances the bar after each stage."""

    def __init__(self, command: Command, total_files: int):
        self.command = command
        self.total_files = total_files
        self.file_number = 0
        self.filename = ""
        self.done = 0

    def start(self, filename: str) -> None:
        self.file_number += 1
        self.filename = filename
        self.done = 0
        self.draw("starting")

    @hookimpl
    def statement_stage_completed(self, stage, status):
        self.done += 1
        self.draw(f"{stage}: {status}")

    def draw(self, text: str) -> None:
        steps = len(STAGES)
        filled = _BAR_WIDTH * min(self.done, steps) // steps
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        line = f"[{self.file_number}/{self.total_files}] [{bar}] {self.filename[:30]} {text}"
        self.command.stderr.write(f"\r{line:<100}", ending="")
        self.command.stderr.flush()

    def finish(self) -> None:
        self.command.stderr.write("")


class Command(BaseCommand):
    help = "Import bank statement files (PDF, CSV, OFX/QFX) for a user through the logged pipeline."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--user", required=True, help="Username of the owner.")
        parser.add_argument("--account", type=int, help="Id of the user's account the statements belong to.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--password", help="Password for encrypted PDFs (visible in the process list).")
        group.add_argument("--ask-password", action="store_true", help="Prompt for the password.")

    def handle(self, *args, files, user, account=None, password=None, ask_password=False, **options):
        from ...statements import import_statement

        owner = self._user(user)
        target = self._account(owner, account)
        if ask_password:
            password = getpass.getpass("Statement password: ")
        paths = [Path(f) for f in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")

        progress = _Progress(self, len(paths))
        pm = plugins.get_plugin_manager()
        pm.register(progress, name=f"expense_ai_import_progress_{id(progress)}")
        results = []
        try:
            for path in paths:
                progress.start(path.name)
                results.append(import_statement(
                    owner, path, account=target, password=password or None, defer_large=False
                ))
                progress.finish()
        finally:
            if pm.is_registered(progress):
                pm.unregister(progress)

        failed = self._summary(results)
        if failed:
            raise CommandError(f"{failed} of {len(results)} file(s) failed; see the table above.")

    def _user(self, username: str):
        model = get_user_model()
        try:
            return model._default_manager.get_by_natural_key(username)
        except model.DoesNotExist as err:
            raise CommandError(f"No user {username!r}.") from err

    def _account(self, owner, account_id):
        if account_id is None:
            return None
        account = Account.objects.for_user(owner).filter(pk=account_id).first()
        if account is None:
            raise CommandError(f"User {owner} has no account #{account_id}.")
        return account

    def _summary(self, results) -> int:
        header = ("file", "status", "found", "created", "duplicates", "failed")
        rows = []
        notes = []
        failed_files = 0
        for uf in results:
            failed = uf.status == FileStatus.FAILED
            failed_files += failed
            rows.append((
                uf.filename,
                uf.status,
                str(uf.rows_found),
                str(len(uf.created_transactions)),
                str(len(uf.skipped_duplicates)),
                str(uf.rows_found if failed else 0),  # rows left unimported by a failure
            ))
            if failed:
                notes.append(f"{uf.filename}: failed at {uf.error_stage}: {uf.error_message}")
            elif uf.duplicate_of_id:
                notes.append(f"{uf.filename}: same file as #{uf.duplicate_of_id}, nothing imported again.")
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        line = "  ".join("{:<%d}" % w for w in widths)
        self.stdout.write(line.format(*header))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write(line.format(*row))
        for note in notes:
            self.stdout.write(note)
        return failed_files
