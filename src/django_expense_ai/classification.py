"""Expense classification rule: which classifications count in regular totals.

Pure (no database). The mapping is the ``EXCLUDED_CLASSIFICATIONS`` setting;
by default charity, family support, reimbursable and one-time purchases are
left out of regular totals, ``regular_monthly`` and ``irregular`` count.
"""

from __future__ import annotations

from .conf import settings


def excluded_classifications() -> frozenset[str]:
    """The classifications excluded from regular totals (from settings)."""
    return frozenset(settings.EXCLUDED_CLASSIFICATIONS)


def is_excluded(classification: str) -> bool:
    """True when a transaction of ``classification`` is left out of regular totals."""
    return classification in excluded_classifications()
