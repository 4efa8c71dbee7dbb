"""Load or refresh the shipped system budget templates. Safe to run twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...budgets import load_system_templates


class Command(BaseCommand):
    help = (
        "Create the shipped system budget templates and rewrite existing ones (matched by name) to the "
        "shipped data; usage counts and is_active are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--create-only",
            action="store_true",
            help="Only create missing templates; leave existing system templates as they are.",
        )

    def handle(self, *args: Any, database: str = "default", create_only: bool = False, **options: Any) -> None:
        created, updated = load_system_templates(using=database, update=not create_only)
        self.stdout.write(f"System budget templates: {created} created, {updated} updated.")
