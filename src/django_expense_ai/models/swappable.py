"""Accessors for the host-replaceable models (CurrencyInfo, AISettings, UserPreferences).

Library code reaches these models only through the functions below, never by
importing a concrete class, so a host that swaps them (``swapper`` settings
``EXPENSE_AI_CURRENCYINFO_MODEL``, ``EXPENSE_AI_AISETTINGS_MODEL``,
``EXPENSE_AI_USERPREFERENCES_MODEL``) gets its own model everywhere.
"""

from __future__ import annotations

from typing import Any

import swapper

from ..types import UserLike

APP_LABEL = "expense_ai"


def currency_model_name() -> str:
    """``app_label.ModelName`` of the active currency model."""
    return swapper.get_model_name(APP_LABEL, "CurrencyInfo")


def get_currency_model() -> Any:
    """The active CurrencyInfo model class."""
    return swapper.load_model(APP_LABEL, "CurrencyInfo")


def get_ai_settings_model() -> Any:
    """The active AISettings model class."""
    return swapper.load_model(APP_LABEL, "AISettings")


def get_user_preferences_model() -> Any:
    """The active UserPreferences model class."""
    return swapper.load_model(APP_LABEL, "UserPreferences")


def ai_settings_for(user: UserLike) -> Any:
    """The user's AISettings row, created with defaults when missing."""
    obj, _ = get_ai_settings_model().objects.get_or_create(user=user)
    return obj


def preferences_for(user: UserLike) -> Any:
    """The user's UserPreferences row, created with defaults when missing."""
    obj, _ = get_user_preferences_model().objects.get_or_create(user=user)
    return obj


def currency_for_code(code: str) -> Any:
    """The currency model row for an ISO code, loading it from ISO data if absent.

    Raises :class:`~django_expense_ai.exceptions.UnknownCurrency` for a code
    that is neither in the table nor in ISO 4217.
    """
    from ..money import iso_currencies, normalize_currency

    model = get_currency_model()
    code = code.upper()
    row = model.objects.filter(code=code).first()
    if row is not None:
        return row
    code = normalize_currency(code)
    name, minor, numeric = iso_currencies()[code]
    row, _ = model.objects.get_or_create(
        code=code, defaults={"name": name, "minor_units": minor, "numeric_code": numeric or 0}
    )
    return row
