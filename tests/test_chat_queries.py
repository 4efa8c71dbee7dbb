"""What a chat submit costs in queries, so a regression fails here (issue 6).

Counts are upper bounds, not wall-clock times. Inside a test the atomic
blocks are savepoints (``SAVEPOINT``/``RELEASE`` count as queries), so the
bounds are those of a request (``BEGIN``/``COMMIT``) plus nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_expense_ai.chat import submit_message
from django_expense_ai.ledger.reference_data import ensure_system_categories
from django_expense_ai.ledger.splits.services import apply_split
from django_expense_ai.models import Group, GroupMember, SplitMethod, Transaction, TransactionSplit

pytestmark = pytest.mark.django_db


@pytest.fixture
def flatmates(user, django_user_model):
    make = django_user_model.objects.create_user
    john = make(username="john", first_name="John", password="pw")
    mary = make(username="mary", first_name="Mary", password="pw")
    group = Group.objects.create(name="Flatmates", created_by=user)
    GroupMember.objects.bulk_create([GroupMember(group=group, user=member) for member in (user, john, mary)])
    ensure_system_categories()
    return {"john": john, "mary": mary, "group": group}


def test_a_simple_submit_is_a_bounded_number_of_queries(user, django_assert_max_num_queries):
    # Insert the message; read the context (default account and preferences, one query); then one
    # atomic block (2 for BEGIN/COMMIT or SAVEPOINT/RELEASE): the transaction, the status update
    # (status, metadata and link in one UPDATE) and the reply; + the fingerprint
    # of the user's categorised history (categorize: with none, nothing more).
    with django_assert_max_num_queries(8):
        result = submit_message(user, "coffee 4.50")
    assert result.message.status == "completed" and result.transaction.amount == Decimal("-4.50")


def test_a_message_without_amount_is_a_bounded_number_of_queries(user, django_assert_max_num_queries):
    # Insert, context (one read), then the failed status and its reply in one atomic block.
    with django_assert_max_num_queries(6):
        result = submit_message(user, "lunch")
    assert result.message.status == "failed" and result.transaction is None


def test_a_group_split_is_a_bounded_number_of_queries(user, flatmates, django_assert_max_num_queries):
    # + people, groups, group members, the mention row, the split rule, the
    # split currency, the history fingerprint and the splits (one INSERT, none deleted or re-read).
    limit = 15 if connection.features.can_return_rows_from_bulk_insert else 16
    with django_assert_max_num_queries(limit):
        result = submit_message(user, "@flatmates $60 groceries")
    shares = TransactionSplit.objects.filter(transaction=result.transaction).order_by("pk")
    assert [(s.participant_id, s.amount) for s in shares] == [
        (user.pk, Decimal("20.00")),
        (flatmates["john"].pk, Decimal("20.00")),
        (flatmates["mary"].pk, Decimal("20.00")),
    ]


def test_a_split_with_people_resolved_in_the_same_submit_asks_the_rule_once(user, flatmates):
    # The people query applied the contacts rule; the split does not ask it again about them.
    with CaptureQueriesContext(connection) as ctx:
        result = submit_message(user, "@john @mary $60 groceries")
    assert TransactionSplit.objects.filter(transaction=result.transaction).count() == 3
    rule = [q for q in ctx.captured_queries if "finance_group_members" in q["sql"] and "auth_user" in q["sql"]]
    assert len(rule) == 1  # the people query, which holds the rule's subqueries


def _transaction(user, amount):
    return Transaction.objects.create(user=user, date="2026-11-04", amount=Decimal(amount), currency="USD")


def test_the_new_transaction_fast_path_writes_what_the_general_path_writes(user, flatmates):
    people = [user, flatmates["john"], flatmates["mary"]]
    tx = _transaction(user, "-100.00")  # a leftover cent, given by the tie-break on tx.pk
    columns = ("participant_id", "amount", "split_method", "split_value", "currency_id", "is_settled")

    def stored():
        return [tuple(getattr(row, c) for c in columns) for row in TransactionSplit.objects.filter(transaction=tx)]

    with CaptureQueriesContext(connection) as queries:
        fresh = apply_split(tx, people, SplitMethod.EQUAL, new_transaction=True)
    fast = stored()
    assert [tuple(getattr(row, c) for c in columns) for row in fresh] == fast
    assert all(row.pk is not None for row in fresh)
    assert sum(row[1] for row in fast) == Decimal("100.00")
    # The split rule (one query), the currency row and one INSERT (plus a
    # re-read where the backend returns no keys).
    assert len(queries) <= (3 if connection.features.can_return_rows_from_bulk_insert else 4)
    assert not any("DELETE" in q["sql"].upper() for q in queries.captured_queries)
    apply_split(tx, people, SplitMethod.EQUAL)  # the general path replaces them with the same rows
    assert stored() == fast


def test_the_fast_path_refuses_a_transaction_that_already_has_splits(user, flatmates):
    from django.db import IntegrityError, transaction

    tx = _transaction(user, "-30.00")
    apply_split(tx, [user, flatmates["john"]], SplitMethod.EQUAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        apply_split(tx, [user, flatmates["john"]], SplitMethod.EQUAL, new_transaction=True)
    assert TransactionSplit.objects.filter(transaction=tx).count() == 2


def test_a_split_in_another_currency_looks_its_row_up(user, flatmates):
    result = submit_message(user, "@flatmates ¥900 sushi")
    shares = TransactionSplit.objects.filter(transaction=result.transaction).order_by("pk")
    assert [(s.amount, s.currency.code) for s in shares] == [(Decimal("300"), "JPY")] * 3
