"""Splitting expenses between people: exact arithmetic plus the services that store it.

``split_amount`` (pure arithmetic) is imported eagerly: it needs no database
and no app registry. The service functions (``apply_split``,
``rederive_splits``, ``update_transaction_amount``, ``balances``) import
models, and this package may be imported before Django's apps are ready, so
they are loaded from :mod:`django_expense_ai.splits.services` only when first
used (module ``__getattr__``).
"""

from __future__ import annotations

from typing import Any

from .arithmetic import METHODS, allocate_minor, split_amount, tie_offset

_SERVICES = ("apply_split", "rederive_splits", "update_transaction_amount", "balances")

__all__ = ["METHODS", "allocate_minor", "split_amount", "tie_offset", *_SERVICES]


def __getattr__(name: str) -> Any:
    # Lazy: importing services pulls in the models, which needs a ready app registry.
    if name in _SERVICES:
        from . import services

        return getattr(services, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
