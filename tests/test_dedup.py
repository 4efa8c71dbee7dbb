"""De-duplication of imported rows: the pure matcher, and the one-query candidate fetch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from django_expense_ai.models import Account, Transaction
from django_expense_ai.statements.dedup import (
    description_similarity,
    fingerprint,
    match_rows,
    normalise_description,
)
from django_expense_ai.statements.ledger_candidates import find_duplicates
from django_expense_ai.statements.types import LedgerRow, StatementRow

D = dt.date(2024, 6, 10)


def row(desc="CITY BUS", amount="-2.40", date=D, bank_id=""):
    return StatementRow(date=date, description=desc, amount=Decimal(amount), bank_id=bank_id)


def existing(pk, desc="CITY BUS", amount="-2.40", date=D, bank_id="", stored=""):
    return LedgerRow(id=pk, date=date, amount=Decimal(amount), description=desc, bank_id=bank_id,
                     import_fingerprint=stored)


def match(rows, txs, *, window=3, similarity=0.8):
    return match_rows(rows, txs, account_id=1, window_days=window, min_similarity=similarity)


def test_normalisation_and_fingerprint():
    assert normalise_description("  Café-Métro  #12 ") == "café métro 12"
    a = fingerprint(1, D, Decimal("12.5"), "Coffee  SHOP")
    assert a == fingerprint(1, D, Decimal("12.5000"), "coffee shop")
    assert a != fingerprint(2, D, Decimal("12.5"), "coffee shop")
    assert a != fingerprint(1, D, Decimal("-12.5"), "coffee shop")
    assert len(a) == 64


def test_bank_id_needs_the_same_date_and_amount():
    result = match([row(bank_id="F1", desc="A"), row(bank_id="F2", desc="B", amount="-9.00")],
                   [existing(10, desc="zzz", bank_id="F1"), existing(11, desc="qqq", bank_id="F2")])
    # F1 matches (date + amount confirm it); F2 is a reused id for a different amount: new.
    assert [(m.row, m.reason, m.transaction_id) for m in result.matches] == [(0, "bank_id", 10)]
    assert result.new_rows == (1,)


def test_reissued_bank_id_is_caught_by_the_fingerprint():
    result = match([row(bank_id="NEW-ID")], [existing(10, bank_id="OLD-ID")])
    assert [(m.reason, m.transaction_id) for m in result.matches] == [("fingerprint", 10)]


def test_matching_is_count_aware():
    rows = [row(), row(), row()]
    result = match(rows, [existing(1), existing(2)])
    assert len(result.matches) == 2 and result.new_rows == (2,)
    assert {m.transaction_id for m in result.matches} == {1, 2}


def test_identical_rows_in_one_upload_are_kept_unless_they_share_a_unique_bank_id():
    assert match([row(), row()], []).new_rows == (0, 1)
    same_ref = [row(bank_id="X"), row(bank_id="X"), row(bank_id="Y")]
    assert match(same_ref, []).new_rows == (0, 1, 2)  # a CSV reference may repeat
    result = match_rows(same_ref, [], account_id=1, window_days=3, min_similarity=0.8, unique_bank_ids=True)
    assert result.new_rows == (0, 2)
    assert result.matches[0].reason == "same_upload" and result.matches[0].duplicate_of_row == 0


def test_fuzzy_needs_window_and_similarity_and_picks_the_best():
    rows = [row(desc="AMAZON MKTPLACE PMTS", date=D)]
    txs = [existing(1, desc="AMAZON MKTPLACE PMTS*2X", date=D + dt.timedelta(days=2)),
           existing(2, desc="AMAZON MKTPLACE PMTS", date=D + dt.timedelta(days=3))]
    [m] = match(rows, txs).matches
    assert m.reason == "fuzzy" and m.transaction_id == 2 and m.score == 100
    assert match(rows, txs, window=1).matches == ()
    assert match([row(desc="Totally different")], txs).matches == ()


def test_edited_description_still_matches_by_stored_fingerprint():
    stored = fingerprint(1, D, Decimal("-2.40"), "CITY BUS")
    result = match([row()], [existing(5, desc="Bus to work (edited)", stored=stored)], similarity=0.99)
    assert [(m.reason, m.transaction_id) for m in result.matches] == [("fingerprint", 5)]


def test_similarity_bounds():
    assert description_similarity("Coffee", "COFFEE") == 1.0
    assert description_similarity("", "x") == 0.0
    assert 0 < description_similarity("Coffee shop", "Coffee shp") < 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["-1.00", "-2.40", "5.00"]),
                          st.sampled_from(["BUS", "CAFE", "SHOP"])), max_size=12))
def test_reimporting_the_same_rows_matches_every_one(spec):
    rows = [row(desc=d, amount=a, date=D + dt.timedelta(days=o)) for o, a, d in spec]
    txs = [existing(i, desc=r.description, amount=str(r.amount), date=r.date) for i, r in enumerate(rows)]
    result = match(rows, txs)
    assert result.new_rows == ()
    assert sorted(m.transaction_id for m in result.matches) == list(range(len(rows)))
    # ... and against nothing, every row is new (legitimate repeats are kept).
    assert match(rows, []).new_rows == tuple(range(len(rows)))


# -- the database side ---------------------------------------------------------------


def _ledger(user, account, n, start=dt.date(2023, 1, 1)):
    Transaction.objects.bulk_create(
        Transaction(user=user, account=account, date=start + dt.timedelta(days=i // 5),
                    amount=Decimal(-(i % 997) - 1) / 100, description=f"SHOP {i}")
        for i in range(n)
    )


@pytest.mark.django_db
def test_candidates_come_from_one_query_whatever_the_number_of_rows(user):
    account = Account.objects.create(user=user, name="A")
    _ledger(user, account, 3000)
    counts = []
    for n in (100, 1000):
        rows = [row(desc=f"SHOP {i}", amount=str(Decimal(-(i % 997) - 1) / 100),
                    date=dt.date(2023, 1, 1) + dt.timedelta(days=i // 5)) for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            result = find_duplicates(user, account, rows)
        counts.append(len(ctx.captured_queries))
        assert len(result.matches) == n
    assert counts[0] == counts[1] == 1


@pytest.mark.django_db
def test_only_the_users_own_account_is_searched(user, other_user):
    mine = Account.objects.create(user=user, name="Mine")
    other = Account.objects.create(user=user, name="Other")
    theirs = Account.objects.create(user=other_user, name="Theirs")
    for owner, acct in ((user, other), (other_user, theirs), (user, None)):
        Transaction.objects.create(user=owner, account=acct, date=D, amount=Decimal("-2.40"),
                                   description="CITY BUS")
    assert find_duplicates(user, mine, [row()]).new_rows == (0,)
    assert len(find_duplicates(user, None, [row()]).matches) == 1


@pytest.mark.django_db
@override_settings(EXPENSE_AI={"DEDUP_DATE_WINDOW_DAYS": 0, "DEDUP_DESCRIPTION_SIMILARITY": 0.5})
def test_settings_drive_the_fuzzy_match(user):
    Transaction.objects.create(user=user, date=D + dt.timedelta(days=1), amount=Decimal("-2.40"),
                               description="CITY BUS")
    assert find_duplicates(user, None, [row()]).new_rows == (0,)  # window 0 days
