"""Load or refresh the ISO 4217 currencies (and the system categories). Safe to run twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...ledger.reference_data import ensure_system_categories, load_currencies


class Command(BaseCommand):
    help = "Load the ISO 4217 currencies with their minor units into the (possibly swapped) currency model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, database: str = "default", **options: Any) -> None:
        created, updated = load_currencies(using=database)
        categories = ensure_system_categories(using=database)
        self.stdout.write(
            f"Currencies: {created} created, {updated} updated. System categories: {categories} created."
        )
