"""The 1.0 → 2.0 data migration (0006) applies the same rule as ``Transaction.save()``.

Migrates the test database back to ``0001_initial``, writes 1.0 rows with the
historical models, migrates forward and checks what 0006 derived; then goes
back and forth once more to check that no row is lost.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from django_expense_ai.models.choices import is_excluded

INITIAL = [("expense_ai", "0001_initial")]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _latest() -> list[tuple[str, str]]:
    return [node for node in _executor().loader.graph.leaf_nodes() if node[0] == "expense_ai"]


def _migrate(targets) -> None:
    executor = _executor()
    executor.migrate(targets)


@pytest.fixture
def at_initial():
    """The database at 0001 for the test; always back at the latest migration after."""
    _migrate(INITIAL)
    try:
        yield _executor().loader.project_state(INITIAL).apps
    finally:
        _migrate(_latest())


@pytest.mark.django_db(transaction=True)
def test_0006_classifies_old_rows_and_no_row_is_lost(at_initial):
    apps = at_initial
    User = apps.get_model("auth", "User")
    Category = apps.get_model("expense_ai", "Category")
    Transaction = apps.get_model("expense_ai", "Transaction")
    Split = apps.get_model("expense_ai", "TransactionSplit")

    ann = User.objects.create(username="ann")
    ben = User.objects.create(username="ben")
    charity = Category.objects.create(user=None, key="charity", name="Charity", is_system=True)
    family = Category.objects.create(user=ann, key="family-support", name="Family")
    food = Category.objects.create(user=ann, key="food", name="Food")

    def tx(description, amount="-10.00", currency="USD", **extra):
        return Transaction.objects.create(
            user=ann, date=dt.date(2024, 6, 1), amount=Decimal(amount), currency=currency,
            description=description, **extra,
        )

    reimbursable = tx("work trip", is_reimbursable=True, category=food)
    donation = tx("red cross", category=charity)
    mum = tx("mum", category=family)
    lunch = tx("lunch", category=food, is_recurring=True)
    plain = tx("misc")
    dinner = tx("dinner", amount="-30.00")
    Split.objects.create(transaction=dinner, participant=ann, amount=Decimal("15.00"))
    Split.objects.create(transaction=dinner, participant=ben, amount=Decimal("15.00"))
    taxi = tx("taxi", amount="-1000", currency="JPY")
    Split.objects.create(transaction=taxi, participant=ann, amount=Decimal("700"))
    Split.objects.create(transaction=taxi, participant=ben, amount=Decimal("300"))
    counts_before = (Transaction.objects.count(), Split.objects.count(), Category.objects.count())

    _migrate(_latest())

    from django_expense_ai.models import Transaction as Tx
    from django_expense_ai.models import TransactionSplit

    expected = {
        reimbursable.pk: "reimbursable",  # the flag wins over the category
        donation.pk: "charity",
        mum.pk: "family_support",
        lunch.pk: "regular_monthly",
        plain.pk: "regular_monthly",
        dinner.pk: "regular_monthly",
        taxi.pk: "regular_monthly",
    }
    for row in Tx.objects.all():
        assert row.expense_classification == expected[row.pk], row.description
        # the same rule as Transaction.save()
        assert row.exclude_from_totals == is_excluded(expected[row.pk]), row.description
        assert row.exclusion_overridden is False
    assert {s.split_method for s in TransactionSplit.objects.filter(transaction_id=dinner.pk)} == {"equal"}
    assert {s.split_method for s in TransactionSplit.objects.filter(transaction_id=taxi.pk)} == {"custom_amount"}
    assert {s.currency.code for s in TransactionSplit.objects.filter(transaction_id=dinner.pk)} == {"USD"}
    taxi_splits = TransactionSplit.objects.filter(transaction_id=taxi.pk).select_related("currency")
    assert {(s.currency.code, s.currency.minor_units) for s in taxi_splits} == {("JPY", 0)}

    # A migrated row saved by 2.0 code keeps what the migration derived.
    row = Tx.objects.get(pk=donation.pk)
    row.save()
    assert Tx.objects.get(pk=donation.pk).exclude_from_totals is True

    # Back to 0001 and forward again: nothing lost, same classification.
    _migrate(INITIAL)
    old = _executor().loader.project_state(INITIAL).apps
    assert (
        old.get_model("expense_ai", "Transaction").objects.count(),
        old.get_model("expense_ai", "TransactionSplit").objects.count(),
        old.get_model("expense_ai", "Category").objects.count(),
    ) == counts_before
    _migrate(_latest())
    assert (Tx.objects.count(), TransactionSplit.objects.count()) == counts_before[:2]
    assert {r.pk: r.expense_classification for r in Tx.objects.all()} == expected
    assert TransactionSplit.objects.filter(currency__isnull=True).count() == 0
