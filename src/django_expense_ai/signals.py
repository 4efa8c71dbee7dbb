"""post_migrate: load ISO 4217 currencies into the active currency model.

Not a data migration: when a host swaps CurrencyInfo, the library's default
table does not exist, so the data goes wherever the active model lives, once
its table exists. Safe to run on every migrate.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from . import cache_signals  # noqa: F401  (report cache invalidation receivers)
from .statements import signals as _statement_signals  # noqa: F401  (post_delete: stored files)


@receiver(post_migrate, dispatch_uid="expense_ai_load_currencies")
def load_currencies_after_migrate(sender, using=DEFAULT_DB_ALIAS, apps=None, plan=None, **kwargs):
    from .currencies import load_currencies
    from .swappable import currency_model_name

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
def load_system_categories_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    if sender.label != "expense_ai":
        return
    from .categories import ensure_system_categories
    from .models import Category

    if Category._meta.db_table not in connections[using].introspection.table_names():
        return
    ensure_system_categories(using=using)


from .budgets import signals as _budget_signals  # noqa: E402, F401  (post_migrate system templates)
