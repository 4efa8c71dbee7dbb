"""AI providers: text in, validated rows and parses out. No ORM here.

Look providers up by name with :func:`get_provider`; write one by subclassing
:class:`Provider` and registering it from a ``register_providers`` hook.
SDKs are imported only when a provider is first used.
"""

from __future__ import annotations

from .base import (
    ChatEntry,
    Provider,
    ProviderResult,
    parse_json,
    validate_budget,
    validate_chat,
    validate_statement,
)
from .registry import get_provider, provider_choices, provider_names
from .scrub import mask_account_numbers, scrub

__all__ = [
    "ChatEntry",
    "Provider",
    "ProviderResult",
    "get_provider",
    "mask_account_numbers",
    "parse_json",
    "provider_choices",
    "provider_names",
    "scrub",
    "validate_budget",
    "validate_chat",
    "validate_statement",
]
