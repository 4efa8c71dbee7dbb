"""Property tests for split arithmetic: parts add up exactly, whatever the input.

Pure code, no database: these run without ``django_db``.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from django_expense_ai.ledger.splits import split_amount
from django_expense_ai.money import minor_units, quantum

# 0, 2, 3 and 4 decimals (CLF has 4), plus some odd ones.
CURRENCIES = ["USD", "EUR", "JPY", "KRW", "KWD", "BHD", "TND", "CLF", "UYW"]


@st.composite
def totals(draw, currency):
    units = draw(st.integers(min_value=-(10**11), max_value=10**11))
    return Decimal(units).scaleb(-minor_units(currency))


@st.composite
def split_cases(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    total = draw(totals(currency))
    method = draw(st.sampled_from(["equal", "percentage", "shares", "custom_amount"]))
    n = draw(st.integers(min_value=1, max_value=25))
    if method == "equal":
        values = n
    elif method == "shares":
        values = [
            Decimal(draw(st.integers(min_value=1, max_value=10_000))).scaleb(-draw(st.integers(0, 2)))
            for _ in range(n)
        ]
    elif method == "percentage":
        # n basis-point cuts of 100.00 %, as exact decimals summing to 100.
        cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1)))
        edges = [0, *cuts, 10_000]
        values = [Decimal(b - a).scaleb(-2) for a, b in zip(edges, edges[1:], strict=False)]
    else:
        total_minor = abs(int(total.scaleb(minor_units(currency))))
        cuts = sorted(draw(st.lists(st.integers(0, total_minor), min_size=n - 1, max_size=n - 1)))
        edges = [0, *cuts, total_minor]
        values = [Decimal(b - a).scaleb(-minor_units(currency)) for a, b in zip(edges, edges[1:], strict=False)]
    key = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=10**9), st.text(max_size=8)))
    return currency, total, method, values, key


@settings(max_examples=600, deadline=None)
@given(split_cases())
def test_parts_sum_exactly_are_quantised_and_never_change_sign(case):
    currency, total, method, values, key = case
    parts = split_amount(total, method, values, currency=currency, tiebreak_key=key)
    expected_count = values if isinstance(values, int) else len(values)
    assert len(parts) == expected_count
    assert sum(parts, Decimal(0)) == total
    q = quantum(currency)
    for part in parts:
        assert part == part.quantize(q)  # exactly the currency's minor units
        assert part.as_tuple().exponent == q.as_tuple().exponent
        # absolute splitting: no part is negative; a negative total's parts are all <= 0
        assert part >= 0 if total >= 0 else part <= 0


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(CURRENCIES).flatmap(lambda c: st.tuples(st.just(c), totals(c))),
    st.integers(min_value=1, max_value=40),
    st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**9)),
)
def test_equal_parts_differ_by_at_most_one_minor_unit(currency_total, n, key):
    currency, total = currency_total
    parts = split_amount(total, "equal", n, currency=currency, tiebreak_key=key)
    assert max(parts) - min(parts) <= quantum(currency)
    assert sum(parts) == total


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CURRENCIES),
    st.integers(min_value=2, max_value=12),
    st.integers(min_value=0, max_value=10**6),
)
def test_tiebreak_rotates_across_keys(currency, n, first_key):
    # One leftover unit among n equal quotas: over n consecutive keys every
    # participant gets it exactly once.
    unit = quantum(currency)
    total = unit * (n * 7 + 1)
    winners = []
    for key in range(first_key, first_key + n):
        parts = split_amount(total, "equal", n, currency=currency, tiebreak_key=key)
        winners.append(parts.index(max(parts)))
    assert sorted(winners) == list(range(n))
    assert winners[0] == first_key % n


@settings(max_examples=300, deadline=None)
@given(split_cases(), st.data())
def test_payer_absorbs_every_leftover_unit(case, data):
    currency, total, method, values, key = case
    assume(method in ("equal", "shares"))
    n = values if isinstance(values, int) else len(values)
    payer = data.draw(st.integers(min_value=0, max_value=n - 1))
    largest = split_amount(total, method, values, currency=currency, tiebreak_key=key)
    absorbed = split_amount(total, method, values, currency=currency, payer_index=payer)
    assert sum(absorbed) == total
    # everyone but the payer gets the floor of their quota: never more than under largest remainder
    for i, (a, b) in enumerate(zip(absorbed, largest, strict=True)):
        if i != payer:
            assert abs(a) <= abs(b)


@settings(max_examples=300, deadline=None)
@given(split_cases())
def test_sign_is_symmetric(case):
    currency, total, method, values, key = case
    positive = split_amount(abs(total), method, values, currency=currency, tiebreak_key=key)
    negative = split_amount(-abs(total), method, values, currency=currency, tiebreak_key=key)
    assert negative == [-p for p in positive]
