"""Classification drives ``exclude_from_totals``; a person's override survives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from django_expense_ai.ledger.writer import (
    ClassificationError,
    classify,
    classify_many,
    clear_exclusion_override,
    refresh_exclusions,
    set_exclusion,
)
from django_expense_ai.models import ExpenseClassification, Transaction
from django_expense_ai.models.choices import is_excluded

pytestmark = pytest.mark.django_db

EXCLUDED = {"charity", "family_support", "reimbursable", "one_time"}


def make(user, classification="regular_monthly", **extra):
    return Transaction.objects.create(
        user=user, date=dt.date(2025, 5, 1), amount=Decimal("-5.00"), expense_classification=classification, **extra
    )


def fresh(tx):
    return Transaction.objects.get(pk=tx.pk)


def test_default_mapping():
    for value in ExpenseClassification.values:
        assert is_excluded(value) == (value in EXCLUDED)


@pytest.mark.parametrize("classification", ExpenseClassification.values)
def test_save_derives_the_flag(user, classification):
    tx = make(user, classification)
    assert fresh(tx).exclude_from_totals == (classification in EXCLUDED)


def test_save_ignores_a_flag_set_without_override(user):
    tx = make(user, "regular_monthly")
    tx.exclude_from_totals = True
    tx.save()
    assert fresh(tx).exclude_from_totals is False


def test_update_fields_path_writes_the_derived_flag(user):
    tx = make(user, "regular_monthly")
    tx.expense_classification = "charity"
    tx.save(update_fields=["expense_classification"])  # the model adds exclude_from_totals
    assert fresh(tx).exclude_from_totals is True


def test_classify_service(user):
    tx = make(user)
    classify(tx, "one_time")
    assert (fresh(tx).expense_classification, fresh(tx).exclude_from_totals) == ("one_time", True)
    classify(tx, "irregular")
    assert fresh(tx).exclude_from_totals is False
    with pytest.raises(ClassificationError, match="Unknown expense classification 'luxury'"):
        classify(tx, "luxury")


def test_override_survives_saves_and_reclassification(user):
    tx = make(user, "charity")
    set_exclusion(tx, False)  # "count this donation in my totals"
    row = fresh(tx)
    assert (row.exclude_from_totals, row.exclusion_overridden) == (False, True)
    row.description = "edited"
    row.save()
    assert fresh(tx).exclude_from_totals is False
    classify(row, "family_support")
    assert fresh(tx).exclude_from_totals is False
    row.expense_classification = "reimbursable"
    row.save(update_fields=["expense_classification"])
    assert fresh(tx).exclude_from_totals is False

    set_exclusion(row, True)  # override the other way on a regular expense
    classify(row, "regular_monthly")
    assert fresh(tx).exclude_from_totals is True


def test_clear_override_rederives(user):
    tx = make(user, "charity")
    set_exclusion(tx, False)
    clear_exclusion_override(tx)
    row = fresh(tx)
    assert (row.exclude_from_totals, row.exclusion_overridden) == (True, False)


def test_model_update_fields_with_only_the_override_flag(user):
    tx = make(user, "charity")
    set_exclusion(tx, False)
    tx.exclusion_overridden = False
    tx.save(update_fields=["exclusion_overridden"])
    assert fresh(tx).exclude_from_totals is True


def test_bulk_classify_respects_overrides(user, other_user):
    a, b, c = make(user), make(user), make(user)
    theirs = make(other_user)
    set_exclusion(b, False)
    # for_user() selects through a subquery on the same table: MariaDB's UPDATE restriction.
    count = classify_many(Transaction.objects.for_user(user), "charity")
    assert count == 3
    assert [fresh(t).exclude_from_totals for t in (a, b, c)] == [True, False, True]
    assert {fresh(t).expense_classification for t in (a, b, c)} == {"charity"}
    assert fresh(theirs).expense_classification == "regular_monthly"
    with pytest.raises(ClassificationError):
        classify_many(Transaction.objects.all(), "nope")


def test_setting_changes_the_mapping_and_refresh_applies_it(user):
    regular = make(user, "irregular")
    donation = make(user, "charity")
    pinned = make(user, "charity")
    set_exclusion(pinned, True)
    with override_settings(EXPENSE_AI={"EXCLUDED_CLASSIFICATIONS": ["irregular"]}):
        assert is_excluded("irregular") and not is_excluded("charity")
        assert refresh_exclusions() == 2
        assert fresh(regular).exclude_from_totals is True
        assert fresh(donation).exclude_from_totals is False
        assert fresh(pinned).exclude_from_totals is True  # overridden: untouched
        # a fresh save uses the new mapping too
        assert make(user, "irregular").exclude_from_totals is True
    assert refresh_exclusions(Transaction.objects.filter(pk=regular.pk)) == 1
    assert fresh(regular).exclude_from_totals is False


def test_regular_queryset_uses_the_flag(user):
    make(user, "regular_monthly")
    make(user, "charity")
    pinned = make(user, "charity")
    set_exclusion(pinned, False)
    assert Transaction.objects.for_user(user).regular().count() == 2


def test_bulk_classification_invalidates_cached_monthly_totals(user):
    from django_expense_ai.ledger.reports import monthly_totals

    tx = make(user, "regular_monthly")
    month = tx.date
    before = monthly_totals(user, month.year, month.month)[0]
    assert before.excluded == {}
    classify_many(Transaction.objects.filter(pk=tx.pk), "charity")
    after = monthly_totals(user, month.year, month.month)[0]
    assert after.excluded == {"USD": tx.amount}
