"""Admin for every model. Encrypted values are never shown; staff who are not
superusers see and edit only their own rows."""

from . import budgets, ledger, secrets, statements  # noqa: F401  (registration)
