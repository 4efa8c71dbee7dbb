from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpenseAIConfig(AppConfig):
    name = "django_expense_ai"
    label = "expense_ai"
    verbose_name = _("Expense AI")
    # Pinned so makemigrations does not drift between Django 5.2 (AutoField
    # default) and 6.x (BigAutoField default).
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .budgets import signals as budget_signals  # noqa: F401  (post_migrate system templates)
        from .ledger import signals  # noqa: F401  (post_migrate currency loading, report cache receivers)
        from .statements import signals as statement_signals  # noqa: F401  (post_delete: stored files)
