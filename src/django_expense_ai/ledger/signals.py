"""post_migrate: load ISO 4217 currencies into the active currency model.

Not a data migration: when a host swaps CurrencyInfo, the library's default
table does not exist, so the data goes wherever the active model lives, once
its table exists. Safe to run on every migrate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models.signals import post_migrate
from django.dispatch import receiver

if TYPE_CHECKING:
    from django.apps import AppConfig
    from django.apps.registry import Apps

from . import cache_signals  # noqa: F401  (report cache invalidation receivers)


@receiver(post_migrate, dispatch_uid="expense_ai_load_currencies")
def load_currencies_after_migrate(
    sender: AppConfig, using: str = DEFAULT_DB_ALIAS, apps: Apps | None = None, plan: Any = None, **kwargs: Any
) -> None:
    from ..models.swappable import currency_model_name
    from .reference_data import load_currencies

    if sender.label != currency_model_name().split(".")[0]:
        return
    from django.apps import apps as global_apps

    model = global_apps.get_model(currency_model_name())
    if not router.allow_migrate_model(using, model):
        return
    if model._meta.db_table not in connections[using].introspection.table_names():
        return
    load_currencies(model, using=using)


@receiver(post_migrate, dispatch_uid="expense_ai_system_categories")
def load_system_categories_after_migrate(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    if sender.label != "expense_ai":
        return
    from ..models import Category
    from .reference_data import ensure_system_categories

    if Category._meta.db_table not in connections[using].introspection.table_names():
        return
    ensure_system_categories(using=using)

