"""Built-in bank profiles for common CSV export shapes, registered like any plugin.

* ``nl-debit-credit``: Dutch exports with a ``CreditDebet`` (``D``/``C``) column,
  a currency column and decimal commas (Knab and its kind);
* ``nl-af-bij``: Dutch exports with an ``Af Bij`` column (ING-style);
* ``debit-credit``: the generic ``Date, Description, Debit, Credit, Balance`` shape.

See :data:`.formats.profiles.BUILTIN_PROFILES`.
"""

from __future__ import annotations

from collections.abc import Callable

from django_expense_ai import hookimpl

from .formats.profiles import BUILTIN_PROFILES, BankProfile

__all__ = ["register_bank_profiles"]


@hookimpl
def register_bank_profiles(register: Callable[[BankProfile], None]) -> None:
    """Register the built-in bank profiles."""
    for profile in BUILTIN_PROFILES:
        register(profile)
