"""The service layer between users and AI providers (:mod:`.calls`).

Providers (:mod:`django_expense_ai.providers`) take text, a key and a model
and never touch the ORM; :mod:`.calls` reads the user's AI settings, applies
the consent rules and decrypts the key at call time. Names are loaded on first
use, so importing this package needs no app registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .calls import (
        active_provider_name,
        api_key_for,
        call_provider,
        check_consent,
        error_details,
        has_key_column,
        opt_in,
        opt_out,
        provider_model,
        providers_to_test,
        result_details,
        test_api_keys,
    )

__all__ = [
    "active_provider_name",
    "api_key_for",
    "call_provider",
    "check_consent",
    "error_details",
    "has_key_column",
    "opt_in",
    "opt_out",
    "provider_model",
    "providers_to_test",
    "result_details",
    "test_api_keys",
]

__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, ".calls"))
