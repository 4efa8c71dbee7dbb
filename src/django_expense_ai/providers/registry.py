"""Provider lookup by name, built once from the ``register_providers`` hook.

The table is cached and forgotten by :func:`django_expense_ai.plugins.reset`.
"""

from __future__ import annotations

from typing import Any

from .. import plugins
from ..conf import settings as expense_settings
from ..exceptions import PluginError, UnknownProvider
from .base import Provider

#: The choice that means "no AI: the built-in statement parsers only".
SYSTEM_CHOICE = ("system", "System Parser")


def _accept(provider_class: Any) -> Provider:
    if not (isinstance(provider_class, type) and issubclass(provider_class, Provider)):
        raise PluginError(
            f"register_providers got {provider_class!r}; register a Provider subclass "
            "(django_expense_ai.providers.base.Provider)."
        )
    if not provider_class.name or provider_class.name == SYSTEM_CHOICE[0]:
        raise PluginError(f"{provider_class.__qualname__} needs a `name` other than '' or 'system'.")
    return provider_class()  # one shared instance per name; it holds no secrets


_registry: plugins.HookRegistry[Provider] = plugins.HookRegistry("register_providers", "providers", _accept)


def clear() -> None:
    """Forget the cached table; the next lookup asks the plugins again."""
    _registry.clear()


def get_provider(name: str) -> Provider:
    """The provider registered as ``name`` (one shared instance per name).

    :returns: a :class:`Provider`.
    :raises UnknownProvider: nothing is registered under ``name``.
    """
    provider = _registry.get(name)
    if provider is None:
        known = ", ".join(provider_names()) or "none"
        raise UnknownProvider(
            f"No AI provider is registered as {name!r} (known: {known}). Check the name, "
            "or install and list the plugin that provides it.",
            provider=str(name),
        )
    return provider


def provider_names() -> list[str]:
    """Names of every registered provider, sorted.

    :returns: e.g. ``["claude", "fake", "gemini", "openai"]``.
    """
    return sorted(provider.name for provider in _registry.all())


def provider_choices() -> list[tuple[str, str]]:
    """Choices for a provider field: ``("system", "System Parser")`` first, then each provider.

    Test-only providers (the fake) are left out unless
    ``EXPENSE_AI["OFFER_TEST_PROVIDERS"]`` is on: a user must never pick a
    provider that answers nothing real. They stay usable by name
    (:func:`get_provider`, a settings row saved in code).

    :returns: ``[(name, label), ...]``.
    """
    offer_all = bool(expense_settings.OFFER_TEST_PROVIDERS)
    return [SYSTEM_CHOICE] + [
        (provider.name, provider.label or provider.name)
        for provider in sorted(_registry.all(), key=lambda provider: provider.name)
        if offer_all or not provider.test_only
    ]
