"""System checks: the encryption key, and the swapped models.

Ids: ``expense_ai.E001`` key missing, ``expense_ai.E002`` key malformed,
``expense_ai.E003`` a swapped model lacks a field the library needs.
"""

from __future__ import annotations

from django.core import checks

from .crypto import HOW_TO_GENERATE, configured_keys
from .exceptions import ConfigurationError


@checks.register(checks.Tags.security)
def check_statement_password_key(app_configs=None, **kwargs):
    """E001/E002: ``STATEMENT_PASSWORD_KEY`` must be one or more valid Fernet keys."""
    from .conf import settings

    raw = settings.STATEMENT_PASSWORD_KEY
    if raw in (None, "", b"", [], ()):
        return [
            checks.Error(
                "STATEMENT_PASSWORD_KEY is not set; stored statement passwords and API keys "
                "cannot be encrypted or read.",
                hint=HOW_TO_GENERATE,
                id="expense_ai.E001",
            )
        ]
    try:
        configured_keys()
    except ConfigurationError as err:
        return [checks.Error(str(err).split(". Generate")[0] + ".", hint=HOW_TO_GENERATE, id="expense_ai.E002")]
    return []


REQUIRED_FIELDS = {
    "CurrencyInfo": ("code", "minor_units", "name"),
    "AISettings": ("user", "active_parser_provider", "openai_api_key", "claude_api_key", "gemini_api_key"),
    "UserPreferences": ("user", "quick_add_mode", "default_chat_parser", "default_currency"),
}


@checks.register(checks.Tags.models)
def check_swapped_models(app_configs=None, **kwargs):
    """E003: a host's swapped model must carry the fields of the library's abstract base."""
    import swapper

    errors = []
    for name, fields in REQUIRED_FIELDS.items():
        model = swapper.load_model("expense_ai", name, required=False)
        if model is None:
            continue
        present = {f.name for f in model._meta.get_fields()}
        missing = [f for f in fields if f not in present]
        if missing:
            errors.append(
                checks.Error(
                    f"{model._meta.label} (the EXPENSE_AI_{name.upper()}_MODEL) lacks {', '.join(missing)}.",
                    hint=f"Subclass django_expense_ai.models.Abstract{name} and run makemigrations.",
                    obj=model,
                    id="expense_ai.E003",
                )
            )
    return errors
