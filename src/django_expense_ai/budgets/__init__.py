"""Budgets: system and user templates, applying a template, suggested budgets, budget vs actual.

The pure parts (:mod:`.allocations`, :mod:`.heuristic`, :mod:`.templates_data`)
import no models. The service functions (``apply_template``,
``suggest_budget``, ``budget_report``, ``template_suggestions``,
``load_system_templates``, ``create_template``) need the app registry, and this
package may be imported before Django's apps are ready, so they are loaded
from :mod:`django_expense_ai.budgets.services` on first use (module ``__getattr__``).
"""

from __future__ import annotations

from typing import Any

from .allocations import check_suggestion, clean_allocations, default_end_date

_SERVICES = (
    "apply_template",
    "suggest_budget",
    "budget_report",
    "template_suggestions",
    "load_system_templates",
    "create_template",
    "BudgetReport",
    "BudgetLine",
    "TemplateSuggestion",
)

__all__ = ["check_suggestion", "clean_allocations", "default_end_date", *_SERVICES]


def __getattr__(name: str) -> Any:
    # Lazy: importing services pulls in the models, which needs a ready app registry.
    if name in _SERVICES:
        from . import services

        return getattr(services, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
