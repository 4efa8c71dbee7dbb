"""Import statement files from the command line.

::

    manage.py expense_ai_import jan.pdf feb.csv --user alice [--account 3] [--password ... | --ask-password]

Shows a progress bar (one step per pipeline stage) on stderr when stderr is
a terminal; when it is not (a log file, a pipe, cron), it writes one plain
line per stage instead at ``-v 2`` and nothing at the default verbosity; ``-v 0``
shows no progress at all. Then a summary table per file (found / created /
duplicates / failed) on stdout, and exits non-zero when any file failed. ``--password`` is visible to other local users in the process
list; prefer ``--ask-password``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import hookimpl, plugins
from ...models import Account, UploadedFile
from ...models.choices import FileStatus
from ...statements.pipeline import STAGES
from ...types import UserLike

_BAR_WIDTH = 24


class _Progress:
    """A plugin for the duration of the command: reports each stage as it completes.

    ``mode`` is ``"bar"`` (a redrawn line, for a terminal), ``"lines"`` (one
    plain line per stage, for logs) or ``"off"``.
    """

    def __init__(self, command: Command, total_files: int, mode: str):
        self.command = command
        self.total_files = total_files
        self.mode = mode
        self.file_number = 0
        self.filename = ""
        self.done = 0

    def start(self, filename: str) -> None:
        self.file_number += 1
        self.filename = filename
        self.done = 0
        self.draw("starting")

    @hookimpl
    def statement_stage_completed(self, stage: str, status: str) -> None:
        self.done += 1
        self.draw(f"{stage}: {status}")

    def draw(self, text: str) -> None:
        if self.mode == "off":
            return
        prefix = f"[{self.file_number}/{self.total_files}]"
        if self.mode == "lines":
            self.command.stderr.write(f"{prefix} {self.filename} {text}")
            return
        steps = len(STAGES)
        filled = _BAR_WIDTH * min(self.done, steps) // steps
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        line = f"{prefix} [{bar}] {self.filename[:30]} {text}"
        self.command.stderr.write(f"\r{line:<100}", ending="")
        self.command.stderr.flush()

    def finish(self) -> None:
        if self.mode == "bar":
            self.command.stderr.write("")  # end the redrawn line


def progress_mode(stream: Any, verbosity: int) -> str:
    """How to show progress on ``stream``: ``"bar"``, ``"lines"`` or ``"off"``.

    A redrawn bar only on a terminal (elsewhere its carriage returns are junk
    in the log); plain lines off a terminal at ``-v 2`` and more; nothing at ``-v 0``.
    """
    if verbosity <= 0:
        return "off"
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return "bar"
    return "lines" if verbosity >= 2 else "off"


class Command(BaseCommand):
    help = "Import bank statement files (PDF, CSV, OFX/QFX) for a user through the logged pipeline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--user", required=True, help="Username of the owner.")
        parser.add_argument("--account", type=int, help="Id of the user's account the statements belong to.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--password", help="Password for encrypted PDFs (visible in the process list).")
        group.add_argument("--ask-password", action="store_true", help="Prompt for the password.")
        parser.add_argument(
            "--review", action="store_true",
            help="Stop each file in awaiting_review (nothing created until the user commits it in the pages/API).",
        )

    def handle(
        self,
        *args: Any,
        files: list[str],
        user: str,
        account: int | None = None,
        password: str | None = None,
        ask_password: bool = False,
        review: bool = False,
        **options: Any,
    ) -> None:
        from ...statements import import_statement

        owner = self._user(user)
        target = self._account(owner, account)
        if ask_password:
            password = getpass.getpass("Statement password: ")
        paths = [Path(f) for f in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")

        progress = _Progress(self, len(paths), progress_mode(self.stderr, int(options.get("verbosity", 1))))
        pm = plugins.get_plugin_manager()
        pm.register(progress, name=f"expense_ai_import_progress_{id(progress)}")
        results = []
        try:
            for path in paths:
                progress.start(path.name)
                results.append(import_statement(
                    owner, path, account=target, password=password or None, defer_large=False, review=review
                ))
                progress.finish()
        finally:
            if pm.is_registered(progress):
                pm.unregister(progress)

        failed = self._summary(results)
        if failed:
            raise CommandError(f"{failed} of {len(results)} file(s) failed; see the table above.")

    def _user(self, username: str) -> UserLike:
        model = get_user_model()
        try:
            return model._default_manager.get_by_natural_key(username)
        except model.DoesNotExist as err:
            raise CommandError(f"No user {username!r}.") from err

    def _account(self, owner: UserLike, account_id: int | None) -> Account | None:
        if account_id is None:
            return None
        account = Account.objects.for_user(owner).filter(pk=account_id).first()
        if account is None:
            raise CommandError(f"User {owner} has no account #{account_id}.")
        return account

    def _summary(self, results: list[UploadedFile]) -> int:
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
            elif uf.duplicate_of is not None and uf.duplicate_of.sha256 == uf.sha256:
                notes.append(f"{uf.filename}: a duplicate of {uf.duplicate_of.filename} (file #{uf.duplicate_of_id}), "
                             "the same file byte for byte; nothing imported again.")
        widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
        line = "  ".join("{:<%d}" % w for w in widths)
        self.stdout.write(line.format(*header))
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write(line.format(*row))
        for note in notes:
            self.stdout.write(note)
        return failed_files
