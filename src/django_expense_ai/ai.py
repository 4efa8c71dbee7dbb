"""The service layer between users and AI providers.

It reads the user's :class:`AISettings`, checks that AI is enabled for the
site (``EXPENSE_AI["AI_ENABLED"]``) and, for statement text, that the user
opted in; decrypts the key at call time and hands the provider the key and
model as arguments (providers never touch the ORM). Never call these inside an
open database transaction: a provider call is network I/O.
"""

from __future__ import annotations

from typing import Any

from .conf import settings
from .exceptions import ProviderUnavailable
from .providers.registry import get_provider
from .swappable import ai_settings_for

SYSTEM = "system"

#: Methods that send a person's statement text to the vendor need their opt-in.
NEEDS_OPT_IN = frozenset({"parse_statement"})


def active_provider_name(user: Any) -> str:
    """The provider the user chose (``AISettings.active_parser_provider``), ``system`` by default."""
    return ai_settings_for(user).active_parser_provider or SYSTEM


def provider_model(ai_settings: Any, provider_name: str) -> str | None:
    """The model name the user configured for ``provider_name`` (``None``: provider default)."""
    return getattr(ai_settings, f"{provider_name}_model", None) or None


def call_provider(user: Any, method: str, *, provider_name: str | None = None, **kwargs: Any):
    """Call ``method`` (``parse_statement``, ``parse_chat``, ``suggest_budget``) on the user's provider.

    :param provider_name: overrides the user's ``active_parser_provider``.
    :return: the provider's :class:`~django_expense_ai.providers.ProviderResult`.
    :raises ProviderUnavailable: AI is disabled for the site, the user chose
        ``system``, or statement text would leave the site without the user's opt-in.
    :raises ProviderError: the vendor call failed (key never in the message).
    """
    ai_settings = ai_settings_for(user)
    name = provider_name or ai_settings.active_parser_provider or SYSTEM
    if name == SYSTEM:
        raise ProviderUnavailable("The user's parser is the system parser; no AI provider is selected.",
                                  provider=name)
    provider = get_provider(name)
    if getattr(provider, "sends_data", True) and not settings.AI_ENABLED:
        raise ProviderUnavailable(
            'AI providers are disabled for this site (EXPENSE_AI["AI_ENABLED"] is False).', provider=name
        )
    if method in NEEDS_OPT_IN and getattr(provider, "sends_data", True) and not ai_settings.ai_opt_in_at:
        raise ProviderUnavailable(
            "The user has not agreed to send statement text to their AI provider (AISettings.ai_opt_in_at).",
            provider=name,
            kind="consent",
        )
    api_key = ai_settings.get_api_key(name) or ""
    model = provider_model(ai_settings, name)
    return getattr(provider, method)(api_key=api_key, model=model, **kwargs)


def result_details(result: Any, *, max_raw: int = 4000) -> dict[str, Any]:
    """JSON-safe facts about a provider call for logs and audit fields (never the key)."""
    return {
        "provider": result.provider,
        "model": result.model,
        "latency_ms": result.latency_ms,
        "usage": dict(result.usage or {}),
        "confidence": result.confidence,
        "raw_response": (result.raw_response or "")[:max_raw],
    }


def error_details(err: Exception) -> dict[str, Any]:
    """JSON-safe facts about a failed provider call (messages are already scrubbed)."""
    return {
        "error": type(err).__name__,
        "kind": getattr(err, "kind", "error"),
        "provider": getattr(err, "provider", ""),
        "status_code": getattr(err, "status_code", None),
        "message": str(err)[:500],
        "raw_response": (getattr(err, "raw_response", "") or "")[:4000],
    }
