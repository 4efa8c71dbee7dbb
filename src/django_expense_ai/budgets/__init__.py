"""Budgets: system and user templates, applying a template, suggested budgets, budget vs actual.

The pure parts (:mod:`.allocations`, :mod:`.heuristic`, :mod:`.templates_data`)
import no models. The service functions (``apply_template``,
``suggest_budget``, ``budget_report``, ``template_suggestions``,
``load_system_templates``, ``create_template``) need the app registry, and this
package may be imported before Django's apps are ready, so they are loaded
from :mod:`django_expense_ai.budgets.services` on first use (module ``__getattr__``).
"""

from __future__ import annotations

from ..exports import lazy_exports
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


__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(_SERVICES, ".services"))
