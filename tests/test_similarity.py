"""The statement similarity score: pure, count-aware, explainable."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from django_expense_ai.statements.similarity import (
    Statement,
    compare_statements,
    match_statement_rows,
    statement_from_parsed_json,
)
from django_expense_ai.statements.types import StatementRow

D = dt.date(2024, 5, 1)


def r(day, amount, desc="Shop", bank_id=""):
    return StatementRow(date=D + dt.timedelta(days=day), description=desc, amount=Decimal(amount), bank_id=bank_id)


def r_like(row, **changes):
    return dataclasses.replace(row, **changes)


MONTH = tuple(r(i, f"-{10 + i}.50", f"Shop {i}", f"A{i}") for i in range(30))


def test_same_rows_under_new_bank_ids_score_100():
    reissued = tuple(r_like(x, description=x.description.upper() + "  ", bank_id="B" + x.bank_id) for x in MONTH)
    c = compare_statements(Statement(MONTH), Statement(reissued))
    assert c.score == Decimal("100.00")
    assert {p.tier for p in c.matching.pairs} == {"exact"} and not c.matching.only_a


def test_shared_bank_ids_without_shared_transactions_score_low():
    # Same ids, other dates and amounts: a bank reusing ids proves nothing.
    others = tuple(r_like(x, date=x.date + dt.timedelta(days=40), amount=x.amount - 1, description="Other") for x in MONTH)
    c = compare_statements(Statement(MONTH), Statement(others))
    assert c.matching.pairs == () and c.rows == 0
    assert c.score < Decimal(30)


def test_bank_id_breaks_the_tie_only_when_date_and_amount_agree():
    a = [r(0, "-5.00", "CARD 1234 COFFEE", "X1")]
    b = [r(0, "-5.00", "Something else", "Y9"), r(0, "-5.00", "Totally different", "X1")]
    m = match_statement_rows(a, b)
    assert [(p.b, p.tier) for p in m.pairs] == [(1, "bank_id")] and m.only_b == (0,)
    moved = [r(1, "-5.00", "Totally different", "X1")]
    assert match_statement_rows(a, moved).pairs == ()


def test_matching_counts_multisets():
    fare = r(0, "-2.40", "City bus")
    m = match_statement_rows([fare, fare, fare], [fare, fare])
    assert len(m.pairs) == 2 and m.only_a == (2,)
    c = compare_statements(Statement((fare, fare, fare)), Statement((fare, fare)))
    assert c.rows == 1  # containment: the smaller side is fully inside
    assert c.totals == Decimal("0.6667")


def test_same_day_same_amount_other_wording_is_a_partial_match():
    m = match_statement_rows([r(0, "-40.00", "AMAZON MKTPLACE PMTS")], [r(0, "-40.00", "AMZN Mktp UK*2K3")])
    (pair,) = m.pairs
    assert pair.tier == "same_day" and Decimal("0.5") <= pair.weight < 1


def test_score_parts_follow_the_documented_formula():
    half = MONTH[:15]
    c = compare_statements(Statement(MONTH), Statement(half))
    assert c.rows == 1 and c.period == Decimal("0.5000")
    gross_all = sum(abs(x.amount) for x in MONTH)
    gross_half = sum(abs(x.amount) for x in half)
    totals = (gross_half / gross_all).quantize(Decimal("0.0001"))
    assert c.totals == totals
    expected = (100 * (Decimal("0.70") + Decimal("0.15") * Decimal("0.5") + Decimal("0.15") * totals))
    assert c.score == expected.quantize(Decimal("0.01"))


def test_identical_bytes_score_100_and_disjoint_statements_zero():
    assert compare_statements(Statement((), sha256="ab"), Statement(MONTH, sha256="ab")).score == 100
    later = tuple(r_like(x, date=x.date + dt.timedelta(days=60), amount=x.amount * 3, description="Else", bank_id="") for x in MONTH)
    c = compare_statements(Statement(MONTH, sha256="ab"), Statement(later, sha256="cd"))
    assert c.rows == 0 and c.period == 0 and c.score < 10


def test_explanation_is_json_safe_and_lists_every_row():
    a = MONTH[:5]
    b = MONTH[2:7]
    c = compare_statements(Statement(a), Statement(b))
    out = c.explain(Statement(a), Statement(b), a_label="primary", b_label="duplicate")
    json.dumps(out)  # no Decimal, no date
    assert [m["primary_row"] for m in out["matched"]] == [2, 3, 4]
    assert [x["row"] for x in out["only_in_primary"]] == [0, 1]
    assert [x["row"] for x in out["only_in_duplicate"]] == [3, 4]
    assert out["parts"]["rows"]["rows_primary"] == 5 and out["score"] == str(c.score)
    assert out["matched"][0]["primary"]["amount"] == "-12.50"


def test_parsed_json_is_read_and_bad_rows_skipped():
    s = statement_from_parsed_json({
        "period_start": "2024-05-01", "period_end": "2024-05-31",
        "rows": [{"date": "2024-05-02", "amount": "-1.20", "description": "X", "bank_id": None},
                 {"date": "garbage", "amount": "1"}, {"date": "2024-05-03", "amount": "NaN"}, "junk"],
    })
    assert s.rows == (StatementRow(date=dt.date(2024, 5, 2), description="X", amount=Decimal("-1.20")),)
    assert s.period() == (dt.date(2024, 5, 1), dt.date(2024, 5, 31))
    assert statement_from_parsed_json(None).rows == ()


rows_st = st.lists(
    st.builds(r, st.integers(0, 20), st.sampled_from(["-1.00", "-2.50", "3.00", "-2.5000"]),
              st.sampled_from(["a", "b", "B ", "c"]), st.sampled_from(["", "X", "Y"])),
    max_size=25,
)


@given(rows_st, rows_st)
def test_score_is_symmetric_bounded_and_pairs_are_one_to_one(a, b):
    ab, ba = compare_statements(Statement(tuple(a)), Statement(tuple(b))), compare_statements(
        Statement(tuple(b)), Statement(tuple(a)))
    assert 0 <= ab.score <= 100
    assert len(ab.matching.pairs) == len(ba.matching.pairs)
    assert len({p.b for p in ab.matching.pairs}) == len(ab.matching.pairs)
    assert len(ab.matching.pairs) + len(ab.matching.only_a) == len(a)
    assert len(ab.matching.pairs) + len(ab.matching.only_b) == len(b)
    if a and sorted(a, key=repr) == sorted(b, key=repr):
        assert ab.score == 100
