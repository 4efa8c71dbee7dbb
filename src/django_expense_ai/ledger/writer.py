"""Ledger services: the one writer of transactions, classification, and what counts in totals.

Every write of a ``Transaction`` row in the library goes through this module:

* :func:`create_transactions` creates (statement imports, chat entry, the
  admin; the REST API and pages call the services that call it);
* :func:`update_transaction` changes fields of a saved row (editing, the
  admin, merges moving user data onto a twin; an amount through the split
  service, which re-derives the splits with it), and :func:`classify`,
  :func:`set_exclusion`, :func:`classify_many` and the rest below change the
  classification and its exclusion;
* :func:`delete_transactions` deletes (editing, the admin, merges) and
  :func:`restore_transactions` puts deleted rows back as they were (undoing a
  merge).

They own the policy every path shares: the rows belong to their owner and
link only to what the owner may use, the ``classify_transaction`` hook is
asked once per new row (a plugin that fails is logged and ignored, never
losing the user's row), the exclusion rule is applied, and the cached reports
of the months touched are invalidated: by ``save()``'s and ``delete()``'s
signals (whose receivers hosts may add), or explicitly where a bulk write
sends none. ``tests/test_one_writer.py`` fails when a path writes around them.
Not writes of the ledger: deleting a row a transaction points at (an account,
a category, a chat message, also when the archive deletes it) empties the
link as the foreign key says (``on_delete=SET_NULL``), and restoring the
archived message links it back.

The rule itself is pure (:mod:`django_expense_ai.models.choices`, driven by
``EXPENSE_AI["EXCLUDED_CLASSIFICATIONS"]``) and ``Transaction.save()`` applies
it on every save: ``exclude_from_totals`` follows ``expense_classification``
unless ``exclusion_overridden`` is set. These functions are the one way the
library changes either field, so the override flag is always written with the
value it protects, and bulk updates (which bypass ``save()``) apply the same
rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db import transaction as db_transaction

from .. import plugins
from ..exceptions import ClassificationError, OwnershipError, UnexpectedField
from ..models import ExpenseClassification, Transaction, bulk, ownership
from ..models.choices import excluded_classifications
from ..models.rows import insert_as_stored
from ..types import UserLike
from .report_cache import invalidate_transactions

logger = logging.getLogger(__name__)

#: The columns whose links :func:`create_transactions` checks against the owner.
_LINK_COLUMNS = ("account_id", "category_id", "group_id", "uploaded_file_id", "chat_message_id", "paid_by_id")


@dataclass
class Created:
    """What :func:`create_transactions` wrote."""

    transactions: list[Transaction]
    #: ``{classification: count}`` over the new rows.
    by_classification: dict[str, int] = field(default_factory=dict)
    #: Rows whose ``classify_transaction`` plugin raised or answered an unknown value.
    plugin_errors: int = 0


def create_transactions(
    user: UserLike, transactions: Sequence[Transaction], *, classify: bool = True, one_by_one: bool = False
) -> Created:
    """Create new transactions for ``user``: the one writer (see the module docstring).

    :param transactions: unsaved instances, each with ``user_id == user.pk``.
    :param classify: ask the ``classify_transaction`` hook (skipped when nobody listens).
    :param one_by_one: write each row with ``save()`` (its signals sent) instead of
        one bulk insert (PostgreSQL ``COPY`` for large batches; no save signals).
        Call it inside your own ``transaction.atomic()`` block when other rows
        must be written with these.
    :returns: a :class:`Created` whose transactions have their primary keys.
    :raises OwnershipError: a row is another user's, or links to a row its owner may not use.
    """
    objs = list(transactions)
    if not objs:
        return Created([])
    _check_owned(user, objs)
    result = Created([], plugin_errors=_classify(objs) if classify else 0)
    for tx in objs:
        tx.apply_exclusion_rule()  # what save() does; the bulk path skips save()
        result.by_classification[tx.expense_classification] = (
            result.by_classification.get(tx.expense_classification, 0) + 1
        )
    if one_by_one:
        with db_transaction.atomic(savepoint=len(objs) > 1):
            for tx in objs:
                tx.save(force_insert=True)  # the post_save receivers invalidate the cache
        result.transactions = objs
        return result
    result.transactions = _insert_all(user, objs)
    # A bulk insert sends no post_save: one (user, month) pair per month touched.
    invalidate_transactions({(tx.user_id, tx.date.replace(day=1)) for tx in result.transactions})
    return result


def _check_owned(user: UserLike, objs: list[Transaction]) -> None:
    if any(tx.user_id != user.pk for tx in objs):
        raise OwnershipError("A transaction can only be written for its owner.", field="user")
    # Rows of one import or message share their links: check each distinct set once.
    seen: set[tuple[Any, ...]] = set()
    for tx in objs:
        links = tuple(getattr(tx, name) for name in _LINK_COLUMNS)
        if links not in seen:
            seen.add(links)
            ownership.check_links(tx, owner=user)


def _classify(objs: list[Transaction]) -> int:
    """Ask the hook for each row; a failing plugin is logged and ignored. Returns the failures."""
    hook = plugins.hook()
    if not hook.classify_transaction.get_hookimpls():
        return 0
    errors = 0
    for tx in objs:
        try:
            chosen = hook.classify_transaction(transaction=tx)
        except Exception:  # a broken plugin must not lose the user's row
            logger.exception("A classify_transaction plugin failed; the row keeps %r.", tx.expense_classification)
            errors += 1
            continue
        if chosen is None:
            continue
        if chosen not in ExpenseClassification.values:
            logger.error(
                "A classify_transaction plugin returned %r; return one of %s or None. The row keeps %r.",
                chosen, ", ".join(ExpenseClassification.values), tx.expense_classification,
            )
            errors += 1
            continue
        tx.expense_classification = str(chosen)
    return errors


def _insert_all(user: UserLike, objs: list[Transaction]) -> list[Transaction]:
    alias = router.db_for_write(Transaction)
    before = None
    if not connections[alias].features.can_return_rows_from_bulk_insert:  # see the read-back below
        before = Transaction.objects.order_by("-pk").values_list("pk", flat=True).first()
    created = bulk.insert_all(objs, using=alias)
    if all(tx.pk is not None for tx in created):
        return list(created)
    # Backends that cannot return ids from a bulk insert: read the new rows back,
    # by their file when they have one (imports of two accounts may run at once).
    qs = Transaction.objects.filter(user=user)
    files = {tx.uploaded_file_id for tx in objs}
    if None not in files:
        qs = qs.filter(uploaded_file_id__in=files)
    if before is not None:
        qs = qs.filter(pk__gt=before)
    return list(qs.order_by("pk")[: len(objs)])


#: Links checked against the owner when :func:`update_transaction` sets one.
_LINK_NAMES = frozenset({"account", "category", "group", "uploaded_file", "chat_message", "paid_by"})
#: Set by the database or by save(), never by a caller.
_NOT_CHANGED_BY_HAND = frozenset({"id", "created_at", "updated_at"})


def update_transaction(transaction: Transaction, **changes: Any) -> Transaction:
    """Change fields of a saved transaction and save them (with ``updated_at``).

    The rules of :func:`create_transactions` hold: a changed link (or owner)
    must be one the owner may use; ``expense_classification`` must be a known
    value; ``exclude_from_totals`` given without ``exclusion_overridden`` is a
    person's decision and sets the override (as :func:`set_exclusion`), and
    ``exclusion_overridden=False`` lets the flag follow the classification
    again. ``save()`` sends its signals; the receivers invalidate the cached
    reports of the months before and after.

    Amounts are written as given (quantise them first, as the callers do), and
    the splits are not re-derived here: change an amount with
    :func:`~django_expense_ai.ledger.splits.update_transaction_amount`, or
    call :func:`~django_expense_ai.ledger.splits.rederive_splits` after.

    :param changes: field names (or attribute names such as ``category_id``) and their values.
    :returns: the saved transaction (unchanged and unsaved when ``changes`` is empty).
    :raises UnexpectedField: a name that is not a transaction field, or one the database sets.
    :raises ClassificationError: an unknown classification.
    :raises OwnershipError: a link the owner may not use.
    """
    if not changes:
        return transaction
    names: list[str] = []
    for key, value in changes.items():
        try:
            model_field = Transaction._meta.get_field(key)
        except FieldDoesNotExist:
            model_field = None
        if model_field is None or not model_field.concrete or model_field.name in _NOT_CHANGED_BY_HAND:
            raise UnexpectedField(f"update_transaction() cannot change {key!r}.")
        if model_field.name == "expense_classification":
            value = check_classification(value)
        setattr(transaction, key, value)
        names.append(model_field.name)
    if "exclude_from_totals" in names and "exclusion_overridden" not in names:
        transaction.exclusion_overridden = True
        names.append("exclusion_overridden")
    if "user" in names:
        ownership.check_links(transaction)  # a new owner: every link must be theirs to use
    else:  # only the links this call sets (an emptied link needs no check)
        ownership.check_links(transaction, fields=[
            name for name in names if name in _LINK_NAMES and getattr(transaction, f"{name}_id") is not None
        ])
    # save() applies the exclusion rule and adds exclude_from_totals when it may change.
    transaction.save(update_fields=[*names, "updated_at"])
    return transaction


def delete_transactions(user: UserLike, transactions: Iterable[Transaction]) -> int:
    """Delete transactions; their splits and mentions go with them.

    Chat messages that point at a deleted transaction stay, without the link.
    ``post_delete`` is sent for every row; its receivers invalidate the cached
    reports of the months.

    :param user: who acts: the owner of every row, or a superuser.
    :param transactions: instances or a queryset.
    :returns: the number of transactions deleted.
    :raises NotYours: a row is not ``user``'s to delete (nothing is deleted).
    """
    objs = list(transactions)
    for tx in objs:
        ownership.check_delete(user, tx)
    if not objs:
        return 0
    with db_transaction.atomic():
        _, per_model = Transaction.objects.filter(pk__in=[tx.pk for tx in objs]).delete()
    return per_model.get(Transaction._meta.label, 0)


def restore_transactions(user: UserLike, transactions: Sequence[Transaction]) -> list[Transaction]:
    """Put deleted transactions back as they were: ids, timestamps and every value as stored.

    For undoing a removal (a statement merge): nothing is re-derived, the
    classification hook is not asked and the exclusion flag is the stored one.
    The rows are checked as :func:`create_transactions` checks new ones, then
    written one by one with a raw save (:func:`..models.rows.insert_as_stored`):
    ``post_save`` is sent with ``created=True`` and ``raw=True``, and its
    receivers invalidate the cached reports of the months.

    :param user: the owner of every row.
    :param transactions: unsaved instances holding their old primary keys
        (:func:`..models.rows.from_values`).
    :returns: the transactions.
    :raises OwnershipError: a row is another user's, or links to a row its owner
        may not use (deleted since, or no longer shared).
    :raises IntegrityError: an id or a unique value is taken; the caller's
        transaction must end (roll back).
    """
    objs = list(transactions)
    if not objs:
        return objs
    _check_owned(user, objs)
    with db_transaction.atomic():
        insert_as_stored(objs)
    return objs


def lock_user(user_id: Any) -> None:
    """Lock the user's row (``SELECT ... FOR UPDATE``) until the current transaction ends.

    Serialises work that must not interleave for one user's ledger: the
    creation of an import without account and the suggestion of statement
    merges. Call it inside ``transaction.atomic``.
    """
    list(get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk"))


def check_classification(classification: str) -> str:
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
    transaction.expense_classification = check_classification(classification)
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
    classification = check_classification(classification)
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
