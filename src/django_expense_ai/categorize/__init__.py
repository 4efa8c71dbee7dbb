"""Categories that learn from the user's own history, with no AI key.

Public API::

    from django_expense_ai.categorize import suggest_category, suggest_categories

    suggestion = suggest_category(user, "SQ *BLUE BOTTLE 0423 OAKLAND CA", Decimal("-4.50"))
    if suggestion:
        suggestion.category, suggestion.confidence, suggestion.reason

Layers: :mod:`.normalize`, :mod:`.memory`, :mod:`.classifier` and :mod:`.core`
are pure (plain values, no database); :mod:`.services` reads the user's
transactions and calls them; :mod:`.plugin` wires it into imports and chat
through the ``categorize_transactions`` hook. The service names below are
loaded on first use, so importing the pure modules needs no configured Django.
"""

from __future__ import annotations

from ..exports import lazy_exports

__all__ = [
    "CategorySuggestion",
    "Decision",
    "accuracy_report",
    "categorize_new_transactions",
    "suggest_categories",
    "suggest_category",
    "train",
]


__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, ".services"))
