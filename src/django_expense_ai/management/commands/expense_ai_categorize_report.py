"""``manage.py expense_ai_categorize_report --user USER [--last N] [--json]``.

How well categories from the user's own history do on the user's last N
categorised transactions (see :func:`django_expense_ai.categorize.accuracy_report`).
Reads only; nothing leaves the server.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...categorize.services import accuracy_report


class Command(BaseCommand):
    help = (
        "Hold out a user's last N categorised transactions, suggest their categories from the rest "
        "of the user's history, and print how many were right."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, metavar="USER", help="Username (or numeric id) of the user.")
        parser.add_argument("--last", type=int, default=50, metavar="N", help="How many recent edits to check (50).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def _user(self, value: str) -> Any:
        model = get_user_model()
        try:
            return model._default_manager.get_by_natural_key(value)
        except model.DoesNotExist:
            pass
        if value.isdigit():
            found = model._default_manager.filter(pk=int(value)).first()
            if found is not None:
                return found
        raise CommandError(f"No user {value!r} (give a username or a numeric id).")

    def handle(self, *args: Any, user: str, last: int, json: bool = False, **options: Any) -> None:
        if last < 1:
            raise CommandError("--last must be at least 1.")
        report = accuracy_report(self._user(user), last=last)
        if json:
            self.stdout.write(_dumps(report))
            return
        if not report["evaluated"]:
            self.stdout.write(f"{user}: no categorised transactions yet; nothing to check.")
            return
        self.stdout.write(
            f"{user}: {report['correct']} of the last {report['evaluated']} categorised transactions "
            f"suggested right ({report['accuracy']:.1%}), learned from {report['trained_on']} before them; "
            f"{report['answered']} answered; {report['applied_correct']} right of {report['applied']} "
            f"sure enough to apply (>= {report['threshold']}); classifier "
            f"{'on' if report['classifier'] else 'off (payee memory only)'}."
        )
        for miss in report["misses"]:
            self.stdout.write(
                f"  #{miss['id']} {miss['description'][:60]!r}: you chose {miss['chosen']}, "
                f"suggested {miss['suggested']} ({miss['confidence']:.2f})"
            )


def _dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True)
