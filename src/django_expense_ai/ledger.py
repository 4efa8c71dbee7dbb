"""Ledger services: classify transactions and override what counts in totals.

The rule itself is pure (:mod:`django_expense_ai.classification`, driven by
``EXPENSE_AI["EXCLUDED_CLASSIFICATIONS"]``) and ``Transaction.save()`` applies
it on every save: ``exclude_from_totals`` follows ``expense_classification``
unless ``exclusion_overridden`` is set. These functions are the one way the
library changes either field, so the override flag is always written with the
value it protects, and bulk updates (which bypass ``save()``) apply the same
rule.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction as db_transaction

from .cache import invalidate_transactions
from .classification import excluded_classifications
from .exceptions import ClassificationError  # noqa: F401  (re-exported: its former home)
from .models import ExpenseClassification, Transaction


def _check_classification(classification: str) -> str:
    if classification not in ExpenseClassification.values:
        raise ClassificationError(
            f"Unknown expense classification {classification!r}; "
            f"use one of {', '.join(ExpenseClassification.values)}."
        )
    return str(classification)


# update_fields always names exclude_from_totals beside what changed, because
# save() may re-derive it; writing only the changed field would lose that.
_FIELDS = ["expense_classification", "exclude_from_totals", "exclusion_overridden", "updated_at"]


def classify(transaction: Transaction, classification: str) -> Transaction:
    """Set the classification of ``transaction`` and save it.

    ``exclude_from_totals`` follows the classification unless a person
    overrode it with :func:`set_exclusion`; that override survives.

    :returns: the saved transaction.
    :raises ClassificationError: ``classification`` is not a known value.
    """
    transaction.expense_classification = _check_classification(classification)
    transaction.save(update_fields=_FIELDS)
    return transaction


def set_exclusion(transaction: Transaction, excluded: bool) -> Transaction:
    """Decide by hand whether ``transaction`` counts in regular totals.

    Sets ``exclusion_overridden``, so later saves and re-classifications keep
    ``excluded`` until :func:`clear_exclusion_override` is called.

    :returns: the saved transaction.
    """
    transaction.exclude_from_totals = bool(excluded)
    transaction.exclusion_overridden = True
    transaction.save(update_fields=_FIELDS)
    return transaction


def clear_exclusion_override(transaction: Transaction) -> Transaction:
    """Drop a manual override: ``exclude_from_totals`` follows the classification again.

    :returns: the saved transaction, with the derived flag.
    """
    transaction.exclusion_overridden = False
    transaction.save(update_fields=_FIELDS)  # save() re-derives exclude_from_totals
    return transaction


def classify_many(transactions: Any, classification: str) -> int:
    """Bulk-classify a queryset of transactions with the same rule as ``save()``.

    ``QuerySet.update()`` bypasses ``save()``, so the exclusion flag is set
    here for every row not overridden by hand; overridden rows keep theirs.

    :returns: the number of transactions classified.
    :raises ClassificationError: ``classification`` is not a known value.
    """
    classification = _check_classification(classification)
    excluded = classification in excluded_classifications()
    # Materialise the ids: MariaDB cannot UPDATE a table it selects from.
    touched = list(transactions.values_list("pk", "user_id", "date"))
    pks = [pk for pk, _user, _date in touched]
    with db_transaction.atomic():
        rows = Transaction.objects.filter(pk__in=pks)
        count = rows.update(expense_classification=classification)
        rows.filter(exclusion_overridden=False).update(exclude_from_totals=excluded)
        # update() sends no post_save: tell the report cache itself.
        invalidate_transactions([(user, date) for _pk, user, date in touched])
    return count


def refresh_exclusions(transactions: Any = None) -> int:
    """Re-apply the classification rule to existing rows, e.g. after changing
    ``EXPENSE_AI["EXCLUDED_CLASSIFICATIONS"]``. Overridden rows are left alone.

    :param transactions: a queryset to limit the work; all transactions by default.
    :returns: the number of rows whose ``exclude_from_totals`` changed.
    """
    excluded = sorted(excluded_classifications())
    auto = Transaction.objects.filter(exclusion_overridden=False)
    if transactions is not None:
        # Materialise the ids: MariaDB cannot UPDATE a table it selects from.
        auto = auto.filter(pk__in=list(transactions.values_list("pk", flat=True)))
    to_set = auto.filter(expense_classification__in=excluded, exclude_from_totals=False)
    to_clear = auto.exclude(expense_classification__in=excluded).filter(exclude_from_totals=True)
    with db_transaction.atomic():
        touched = list(to_set.values_list("user_id", "date")) + list(to_clear.values_list("user_id", "date"))
        changed = to_set.update(exclude_from_totals=True)
        changed += to_clear.update(exclude_from_totals=False)
        invalidate_transactions(touched)  # update() sends no post_save
    return changed
