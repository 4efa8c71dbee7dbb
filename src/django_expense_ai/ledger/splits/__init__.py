"""Splitting expenses between people: exact arithmetic plus the services that store it.

``split_amount`` (pure arithmetic) is imported eagerly: it needs no database
and no app registry. The service functions (``apply_split``,
``rederive_splits``, ``update_transaction_amount``, ``balances``) import
models, and this package may be imported before Django's apps are ready, so
they are loaded from :mod:`django_expense_ai.ledger.splits.services` only when first
used (module ``__getattr__``).
"""

from __future__ import annotations

from ...exports import lazy_exports
from .arithmetic import METHODS, allocate_minor, split_amount, tie_offset

_SERVICES = ("apply_split", "rederive_splits", "update_transaction_amount", "balances")

__all__ = ["METHODS", "allocate_minor", "split_amount", "tie_offset", *_SERVICES]


__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(_SERVICES, ".services"))
