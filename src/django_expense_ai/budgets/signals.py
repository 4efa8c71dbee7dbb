"""post_migrate: create the shipped system budget templates that are missing.

Create-only (``update=False``): an administrator's edits to a system template
survive ``migrate``; ``manage.py expense_ai_load_templates`` rewrites them to
the shipped data. One SELECT, plus one INSERT when something is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models.signals import post_migrate
from django.dispatch import receiver

if TYPE_CHECKING:
    from django.apps import AppConfig


@receiver(post_migrate, dispatch_uid="expense_ai_system_budget_templates")
def load_system_templates_after_migrate(sender: AppConfig, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    if sender.label != "expense_ai":
        return
    from ..models import BudgetTemplate
    from .services import load_system_templates

    if not router.allow_migrate_model(using, BudgetTemplate):
        return
    if BudgetTemplate._meta.db_table not in connections[using].introspection.table_names():
        return
    load_system_templates(using=using, update=False)
