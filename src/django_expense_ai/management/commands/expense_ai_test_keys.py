"""``manage.py expense_ai_test_keys --user USERNAME``: check a user's AI keys.

Makes one cheap request per configured provider (every saved key plus the
active provider), stores the outcome in ``AISettings.api_key_test_status`` and
prints it. Keys are never printed. Exits non-zero when a key failed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...ai import calls as ai
from ...models.swappable import ai_settings_for


class Command(BaseCommand):
    help = (
        "Test a user's AI provider keys with one cheap request each and store the result in "
        "their AI settings (api_key_test_status, api_key_last_tested). Exits non-zero when a "
        "key failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, metavar="USERNAME", help="The user whose keys to test.")

    def handle(self, *args: Any, user: str, **options: Any) -> None:
        user_model = get_user_model()
        try:
            account = user_model._default_manager.get_by_natural_key(user)
        except user_model.DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        statuses = ai.test_api_keys(ai_settings_for(account))
        if not statuses:
            self.stdout.write(f"{user}: no API key saved and no AI provider selected; nothing to test.")
            return
        for name, status in statuses.items():
            if status["status"] == "ok":
                self.stdout.write(self.style.SUCCESS(f"{name}: ok"))
            else:
                self.stdout.write(self.style.ERROR(f"{name}: failed ({status['kind']}): {status['message']}"))
        failed = sorted(name for name, status in statuses.items() if status["status"] != "ok")
        if failed:
            raise CommandError(f"{len(failed)} of {len(statuses)} provider(s) failed: {', '.join(failed)}.")
