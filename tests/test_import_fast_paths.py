"""The shortcuts taken for PDF import speed (issue 5) agree with the plain computations."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db.models.signals import post_init
from hypothesis import given, settings
from hypothesis import strategies as st

from django_expense_ai.models import Transaction, bulk
from django_expense_ai.statements import dedup, validation
from django_expense_ai.statements.formats import pdf
from django_expense_ai.statements.types import StatementRow

# Words the labelled-date, card and header scans look for, glued to dates, non-ASCII
# letters (which turn the shortcut off) and the letters re.I folds specially (ſ, K, ı, İ).
_WORDS = st.sampled_from([
    " ", "  ", "\n", ":", "x", "_", "9", "Statement Date", "statement  period", "PERIOD", "Period:", "From",
    "to", "TO", "into", "Through", "as of", "As At", "ending", "closing date", "02 Jan 2024", "Mar 5, 2024",
    "2024-03-01", "1/2/24", "31-DEC-2023", "credit card", "Credit  Limit", "Minimum Due", "payment due",
    "Date", "DATUM", "Fecha", "update", "Description", "Balance", "é", "ſ", "\u212a", "ı", "\u0130",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDS, max_size=16).map("".join))
def test_folded_scans_find_what_the_case_insensitive_ones_find(text):
    folded = pdf._fold(text)
    expected = [m.group("date") for m in pdf._LABELLED_DATES.finditer(text)]
    assert list(pdf._labelled_dates(text, folded)) == expected
    card = pdf._CARD_FOLDED.search(folded) if folded is not None else pdf._CARD.search(text)
    assert bool(card) == bool(pdf._CARD.search(text))


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDS, max_size=12).map("".join))
def test_header_prefilter_never_hides_a_header(line):
    line = line.replace("\n", " ")
    found = pdf._header_columns(line)
    if pdf._HEADER_WORDS["date"].search(line) and pdf._HEADER_WORDS["description"].search(line):
        plain = pdf._Columns()
        for name, pattern in pdf._COLUMN_WORDS.items():
            for m in pattern.finditer(line):
                plain.spans.setdefault(name, (m.start(), m.end()))
        assert (found.spans if found else {}) == plain.spans
    else:
        assert found is None


def test_folding_refuses_a_pattern_with_capitals():
    with pytest.raises(ValueError):
        pdf._folded(re.compile(r"Balance\s+(?P<x>\d)", re.I))


def test_instance_builder_sends_post_init_as_construction_does():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Transaction)
    try:
        built = bulk.instance_builder(Transaction, user_id=1)(description="b")
    finally:
        post_init.disconnect(receiver, sender=Transaction)
    assert seen == [built] and built.description == "b"  # the signal a host relies on is sent


@pytest.mark.parametrize("amount, kept", [
    ("-12.50", True), ("-12.5", False), ("0.00", True), ("-0.00", True), ("7", False),
])
def test_validation_keeps_a_row_only_when_nothing_changes(amount, kept):
    row = StatementRow(date=dt.date(2024, 1, 2), description="X", amount=Decimal(amount), currency="EUR")
    report = validation.validate_rows([row], currency=None, fallback_currency="EUR", today=dt.date(2024, 2, 1))
    assert (report.rows[0] is row) is kept
    assert report.rows[0].amount.as_tuple() == Decimal(amount).quantize(Decimal("0.01")).as_tuple()
    refused = validation.validate_rows(
        [StatementRow(date=dt.date(2024, 1, 2), description="X", amount=Decimal("1.005"), currency="EUR")],
        currency=None, fallback_currency="EUR", today=dt.date(2024, 2, 1),
    )
    assert [p.field for p in refused.problems] == ["amount"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.decimals(allow_nan=False, allow_infinity=False, places=3,
                                         min_value=-10**6, max_value=10**6))
def test_fingerprint_shortcuts_match_the_general_forms(description, amount):
    import unicodedata

    general = " ".join(re.split(r"[\W_]+", unicodedata.normalize("NFKC", description).casefold())).strip()
    assert dedup.normalise_description(description) == general
    assert dedup._amount_key(amount) == format(amount.quantize(Decimal("0.0001")), "f")


def test_match_rows_without_candidates_still_finds_repeated_bank_ids():
    rows = [
        StatementRow(date=dt.date(2024, 1, 2), description="A", amount=Decimal("-1.00"), bank_id="F1"),
        StatementRow(date=dt.date(2024, 1, 2), description="A", amount=Decimal("-1.00"), bank_id="F1"),
    ]
    result = dedup.match_rows(rows, [], account_id=None, window_days=3, min_similarity=0.8, unique_bank_ids=True)
    assert result.new_rows == (0,)
    assert [(m.row, m.reason, m.duplicate_of_row) for m in result.matches] == [(1, "same_upload", 0)]
    assert len(result.fingerprints) == 2
