"""Provider lookup by name, built once from the ``register_providers`` hook.

The table is cached and forgotten by :func:`django_expense_ai.plugins.reset`.
"""

from __future__ import annotations

import threading

from .. import plugins
from ..conf import settings as expense_settings
from ..exceptions import ConfigurationError, UnknownProvider
from .base import Provider

#: The choice that means "no AI: the built-in statement parsers only".
SYSTEM_CHOICE = ("system", "System Parser")

_lock = threading.RLock()
_providers: dict[str, Provider] | None = None


def _collect() -> dict[str, Provider]:
    found: dict[str, Provider] = {}

    def register(provider_class: type[Provider]) -> None:
        if not (isinstance(provider_class, type) and issubclass(provider_class, Provider)):
            raise ConfigurationError(
                f"register_providers got {provider_class!r}; register a Provider subclass "
                "(django_expense_ai.providers.base.Provider)."
            )
        name = provider_class.name
        if not name or name == SYSTEM_CHOICE[0]:
            raise ConfigurationError(
                f"{provider_class.__qualname__} needs a `name` other than '' or 'system'."
            )
        if name in found:
            raise ConfigurationError(
                f"Two providers are registered as {name!r}: {type(found[name]).__qualname__} and "
                f"{provider_class.__qualname__}. Give one of them another name."
            )
        found[name] = provider_class()

    plugins.get_plugin_manager().hook.register_providers(register=register)
    return found


def _table() -> dict[str, Provider]:
    global _providers
    if _providers is None:
        with _lock:
            if _providers is None:
                _providers = _collect()
    return _providers


def clear() -> None:
    """Forget the cached table; the next lookup asks the plugins again."""
    global _providers
    with _lock:
        _providers = None


plugins.on_reset(clear)


def get_provider(name: str) -> Provider:
    """The provider registered as ``name`` (one shared instance per name).

    :returns: a :class:`Provider`.
    :raises UnknownProvider: nothing is registered under ``name``.
    """
    table = _table()
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table)) or "none"
        raise UnknownProvider(
            f"No AI provider is registered as {name!r} (known: {known}). Check the name, "
            "or install and list the plugin that provides it.",
            provider=str(name),
        ) from None


def provider_names() -> list[str]:
    """Names of every registered provider, sorted.

    :returns: e.g. ``["claude", "fake", "gemini", "openai"]``.
    """
    return sorted(_table())


def provider_choices() -> list[tuple[str, str]]:
    """Choices for a provider field: ``("system", "System Parser")`` first, then each provider.

    Test-only providers (the fake) are left out unless
    ``EXPENSE_AI["OFFER_TEST_PROVIDERS"]`` is on: a user must never pick a
    provider that answers nothing real. They stay usable by name
    (:func:`get_provider`, a settings row saved in code).

    :returns: ``[(name, label), ...]``.
    """
    table = _table()
    offer_all = bool(expense_settings.OFFER_TEST_PROVIDERS)
    return [SYSTEM_CHOICE] + [
        (name, table[name].label or name)
        for name in sorted(table)
        if offer_all or not table[name].test_only
    ]
