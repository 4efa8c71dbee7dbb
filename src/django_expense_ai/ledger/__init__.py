"""The ledger: accounts, categories, transactions, splits, and the reports over them.

Where things are:

* :mod:`.writer` — the one writer of transactions (``create_transactions``,
  ``update_transaction``, ``delete_transactions``, ``restore_transactions``,
  ``classify``, exclusion rules, ``lock_user``); import, chat, merges, splits,
  the admin, the pages and the REST API all write through it;
* :mod:`.editing` — create/update/delete services for the faces (accounts,
  categories, groups, transactions);
* :mod:`.splits` — split arithmetic (pure) and the services that store splits;
* :mod:`.categories` (the system categories, pure data) and
  :mod:`.reference_data` (loading them and the ISO 4217 currencies);
* :mod:`.reports` and :mod:`.report_cache` — monthly and account totals, cached;
* :mod:`.signals` and :mod:`.cache_signals` — the receivers Django calls.

The models themselves live in :mod:`django_expense_ai.models.ledger` (and the
exclusion rule beside the classification choices, :mod:`django_expense_ai.models.choices`). The
writer's names are exported here and loaded on first use, so importing a pure
module such as :mod:`.splits.arithmetic` needs no app registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exports import lazy_exports

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .writer import (
        Created,
        check_classification,
        classify,
        classify_many,
        clear_exclusion_override,
        create_transactions,
        delete_transactions,
        lock_user,
        refresh_exclusions,
        restore_transactions,
        set_exclusion,
        update_transaction,
    )

__all__ = [
    "Created",
    "check_classification",
    "classify",
    "classify_many",
    "clear_exclusion_override",
    "create_transactions",
    "delete_transactions",
    "lock_user",
    "refresh_exclusions",
    "restore_transactions",
    "set_exclusion",
    "update_transaction",
]

__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, ".writer"))
