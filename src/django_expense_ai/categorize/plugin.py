"""The built-in categorisation plugin: suggestions from the user's own history.

Registered like any third-party plugin (see :data:`~django_expense_ai.plugins.DEFAULT_PLUGINS`),
and marked ``trylast`` so a host's own ``categorize_transactions`` plugins are
asked first and win where they answer.
"""

from __future__ import annotations

from typing import Any

from django_expense_ai import hookimpl

from ..conf import settings


@hookimpl(trylast=True)
def categorize_transactions(user_id: Any, transactions: list[Any]) -> list[Any] | None:
    """Answer from the user's payee memory and classifier (``None`` when turned off)."""
    if not settings.CATEGORIZE_FROM_HISTORY:
        return None
    from .services import suggest_categories

    return suggest_categories(user_id, transactions)
