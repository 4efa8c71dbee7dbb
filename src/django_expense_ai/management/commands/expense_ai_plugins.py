"""``manage.py expense_ai_plugins``: list the loaded plugins, their hooks and versions.

Loading the plugins is the check: a plugin that fails to import or implements
an unknown hook makes the command fail with the error naming it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import plugins
from ...exceptions import PluginError
from ...providers.registry import provider_names
from ...statements.bank_profiles import get_bank_profiles
from ...statements.parsers import get_parsers


class Command(BaseCommand):
    help = (
        "List the django-expense-ai plugins that are loaded (built-ins, EXPENSE_AI['PLUGINS'] "
        "and entry points of the group 'django_expense_ai'), with the hooks each implements, "
        "its version, and the statement parsers, AI providers and bank profiles they registered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print JSON instead of a table."
        )

    def handle(self, *args: Any, as_json: bool = False, **options: Any) -> None:
        try:
            rows = plugins.loaded_plugins()
            parsers = [parser.name for parser in get_parsers()]
            providers = provider_names()
            profiles = [profile.name for profile in get_bank_profiles()]
        except PluginError as err:
            raise CommandError(str(err)) from err
        if as_json:
            self.stdout.write(_dumps({"plugins": rows, "parsers": parsers, "providers": providers, "bank_profiles": profiles}))
            return
        for row in rows:
            version = (
                " ".join(part for part in (row["distribution"], row["version"]) if part) or "unknown version"
            )
            self.stdout.write(f"{row['name']}  [{row['origin']}]  {version}")
            self.stdout.write(f"    hooks: {', '.join(row['hooks']) or '(none)'}")
        self.stdout.write(f"statement parsers: {', '.join(parsers) or '(none)'}")
        self.stdout.write(f"AI providers: system, {', '.join(providers)}")
        self.stdout.write(f"bank profiles: {', '.join(profiles) or '(none)'}")


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
