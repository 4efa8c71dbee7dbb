"""Expire statement reviews nobody committed (run it daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import settings


class Command(BaseCommand):
    help = (
        "Mark statement files left awaiting review longer than REVIEW_EXPIRY_DAYS as failed; "
        "nothing is created and their log rows are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="Override EXPENSE_AI['REVIEW_EXPIRY_DAYS'].")

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        from ...statements.review import expire_reviews

        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        expired = expire_reviews(days)
        used = settings.REVIEW_EXPIRY_DAYS if days is None else days
        self.stdout.write(f"Expired {expired} review(s) older than {used} day(s).")
