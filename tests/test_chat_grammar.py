"""The chat grammar (text → ChatParse) and its replies: pure, no database.

Most of this module is one table: a message, the keyword arguments it is
parsed with, and the fields the parse must have. Property tests then check
that no text makes the parser raise or return an out-of-range amount, and
that the amounts replies print read back to the same money.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_expense_ai.chat import grammar
from django_expense_ai.chat.grammar import DEFAULT_MAX_AMOUNT, ChatParse, parse_shortcut, parse_text
from django_expense_ai.chat.replies import format_amount, render_reply
from django_expense_ai.money import from_minor, iso_currencies, minor_units

TODAY = dt.date(2026, 11, 4)  # a Wednesday
PEOPLE = {"john": "user:john", "mary": "user:mary"}
GROUPS = {"flatmates": "group:flatmates"}
CATEGORIES = {"food": "category:food", "travel": "category:travel"}


def d(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


@dataclass
class Case:
    """One message and what its parse must say.

    ``expect`` maps ChatParse field names to values (amounts as strings,
    compared as Decimals); the extra keys ``has`` / ``lacks`` (reason codes
    that must / must not be there), ``kinds`` (mention kinds in order) and
    ``conf_below`` are checked specially.
    """

    text: Any
    expect: dict[str, Any]
    kwargs: dict[str, Any] = field(default_factory=dict)
    shortcut: bool = False


def C(text: Any, shortcut: bool = False, kw: dict[str, Any] | None = None, **expect: Any) -> Case:
    return Case(text, expect, kw or {}, shortcut)


CASES: list[Case] = [
    # -- amount forms ---------------------------------------------------------
    C("$50 lunch", amount="50.00", currency="USD", description="lunch", confidence=1.0),
    C("50$ lunch", amount="50.00", currency="USD", description="lunch"),
    C("50 USD lunch", amount="50.00", currency="USD", description="lunch"),
    C("USD 50 lunch", amount="50.00", currency="USD", description="lunch"),
    C("usd 50 lunch", amount="50.00", currency="USD", description="lunch"),
    C("$ 12 coffee", amount="12.00", currency="USD", description="coffee"),
    C("1,234.56 rent", amount="1234.56", currency="USD", description="rent", has=("currency_defaulted",)),
    C("1.234,56 € rent", amount="1234.56", currency="EUR", description="rent", confidence=1.0),
    C("€12,50 wine", amount="12.50", currency="EUR", description="wine"),
    C("5k laptop", amount="5000.00", currency="USD", description="laptop"),
    C("5K USD laptop", amount="5000.00", currency="USD", description="laptop", confidence=1.0),
    C("2.5k car repair", amount="2500.00", description="car repair"),
    C("$1.5K bonus", amount="1500.00", currency="USD", description="bonus"),
    C("$3.5 gum", amount="3.50", currency="USD", description="gum"),
    C("45 bucks pizza", amount="45.00", currency="USD", description="pizza"),
    C("lunch at pizza place $50", amount="50.00", description="lunch at pizza place"),
    C("lunch 50 USD at the diner", amount="50.00", description="lunch at the diner"),
    C("$1,000,000 house", amount="1000000.00", description="house"),
    C("1.000.000 € house", amount="1000000.00", currency="EUR"),
    C("12.345,67 EUR car", amount="12345.67", currency="EUR"),
    C("1,234,567.89 USD boat", amount="1234567.89", currency="USD"),
    C("$0.99 app", amount="0.99", description="app"),
    C("12.50 eur taxi", amount="12.50", currency="EUR", description="taxi"),
    C("EUR12 taxi", amount="12.00", currency="EUR", description="taxi"),
    C("12EUR taxi", amount="12.00", currency="EUR", description="taxi"),
    C("3,50 € bread", amount="3.50", currency="EUR", description="bread"),
    C("€ 3,5 bread", amount="3.50", currency="EUR", description="bread"),
    C("1.234,5 € tv", amount="1234.50", currency="EUR"),
    C("GBP 12.5 lunch", amount="12.50", currency="GBP"),
    C("£20 drinks", amount="20.00", currency="GBP", description="drinks"),
    C("20£ drinks", amount="20.00", currency="GBP", description="drinks"),
    C("10 quid taxi", amount="10.00", currency="GBP", description="taxi"),
    C("50 dollars dinner", amount="50.00", currency="USD", description="dinner"),
    C("20 euros museum", amount="20.00", currency="EUR", description="museum"),
    C("₹500 chai", amount="500.00", currency="INR", description="chai"),
    C("Rs 500 chai", amount="500.00", currency="INR", description="chai"),
    C("Rs.500 chai", amount="500.00", currency="INR", description="chai"),
    C("₩15000 bibimbap", amount="15000", currency="KRW", description="bibimbap"),
    C("₩15,000 bibimbap", amount="15000", currency="KRW"),
    C("₽300 metro", amount="300.00", currency="RUB", description="metro"),
    C("₺75 kebab", amount="75.00", currency="TRY", description="kebab"),
    C("₱250 jeepney", amount="250.00", currency="PHP"),
    C("A$20 beer", amount="20.00", currency="AUD", description="beer"),
    C("C$ 15 poutine", amount="15.00", currency="CAD", description="poutine"),
    C("R$30 açaí", amount="30.00", currency="BRL", description="açaí"),
    C("NZ$40 hike", amount="40.00", currency="NZD"),
    C("CHF 20 cheese", amount="20.00", currency="CHF", description="cheese"),
    C("1'234.50 CHF watch", amount="1234.50", currency="CHF", description="watch"),
    C("500 yen onigiri", amount="500", currency="JPY", description="onigiri"),
    C("980円 ramen", amount="980", currency="JPY", description="ramen"),
    C("35元 lunch", amount="35.00", currency="CNY", description="lunch"),
    C("１２＄ ramen", amount="12.00", currency="USD", description="ramen"),
    C("٥٠ KWD dinner", amount="50.000", currency="KWD", description="dinner"),
    # -- separators decided by minor units ------------------------------------
    C("¥1.250 sushi", amount="1250", currency="JPY", description="sushi", confidence=1.0),
    C("JPY 1,250 ramen", amount="1250", currency="JPY"),
    C("¥1250 ramen", amount="1250", currency="JPY"),
    C("KWD 1.250 tea", amount="1.250", currency="KWD", confidence=1.0),
    C("BHD 2.5 juice", amount="2.500", currency="BHD"),
    C("KWD 1,250 tea", amount="1.250", currency="KWD", has=("ambiguous_separator",)),
    C("$1.250 coffee", amount="1250.00", has=("ambiguous_separator",), conf_below=1.0),
    C("$1,250 rent", amount="1250.00", lacks=("ambiguous_separator",)),
    C(
        "tip 1.250",
        kw={"default_currency": "KWD"},
        amount="1.250",
        currency="KWD",
        has=("currency_defaulted",),
    ),
    C(
        "¥12.5 sushi",
        amount=None,
        currency="JPY",
        error="too_many_decimals",
        missing=("amount",),
        confidence=0.0,
    ),
    C("KWD 1.2345 tea", amount=None, error="too_many_decimals"),
    C("$0.001 candy", amount=None, error="too_many_decimals"),
    C("$12.345.6 thing", amount=None, error="no_amount", has=("unreadable_number",)),
    # -- which currency -------------------------------------------------------
    C("$50 dinner", kw={"dollar_currency": "CAD"}, amount="50.00", currency="CAD"),
    C("$50 dinner", kw={"default_currency": "AUD"}, amount="50.00", currency="AUD", confidence=1.0),
    C("$50 dinner", kw={"default_currency": "EUR"}, currency="USD", has=("dollar_assumed",)),
    C("$50 CAD dinner", amount="50.00", currency="CAD", lacks=("conflicting_currency",)),
    C("$50 EUR dinner", currency="USD", has=("conflicting_currency",)),
    C("¥100 noodles", kw={"default_currency": "CNY"}, amount="100.00", currency="CNY"),
    C(
        "lunch 12",
        kw={"default_currency": "EUR"},
        amount="12.00",
        currency="EUR",
        has=("currency_defaulted",),
    ),
    C("top 50 songs", amount="50.00", currency="USD", description="top songs", has=("currency_defaulted",)),
    C("50 ALL lek dinner", amount="50.00", currency="ALL"),
    C("paid 50 all in", amount="50.00", currency="USD", description="all in"),
    C("TOP 50 souvenir", amount="50.00", currency="TOP"),
    C("5 cup coffee", currency="USD", description="cup coffee"),
    C("try 20 shoes", currency="USD", description="try shoes"),
    C("MOP 15 egg tart", amount="15.00", currency="MOP", description="egg tart"),
    C("the XXX 50 thing", currency="USD", has=("currency_defaulted",)),
    C("ALL good $5", amount="5.00", currency="USD", description="ALL good"),
    # -- several numbers ------------------------------------------------------
    C("2 coffees $7", amount="7.00", description="2 coffees", has=("several_amounts",)),
    C("3 beers 15", amount="15.00", description="3 beers", has=("several_amounts",)),
    C("uber 23.40 to terminal 2", amount="23.40", description="uber to terminal 2"),
    C("v1.2 release party $5", amount="5.00", description="v1.2 release party", lacks=("several_amounts",)),
    C("call 555-1234 about $20", amount="20.00", lacks=("several_amounts",)),
    C("7:30 $5 breakfast", amount="5.00", description="7:30 breakfast", lacks=("several_amounts",)),
    C("20% tip $5", amount="5.00", lacks=("several_amounts",)),
    C("5km run $10 shoes", amount="10.00", lacks=("several_amounts",)),
    C("1e10 nothing", amount=None, error="no_amount"),
    C("0x1F $5", amount="5.00", lacks=("several_amounts",)),
    # -- no usable amount -----------------------------------------------------
    C("hello", amount=None, error="no_amount", missing=("amount",), confidence=0.0),
    C("lunch at pizza place", amount=None, error="no_amount", description="lunch at pizza place"),
    C("", error="empty", missing=("amount", "description")),
    C("   ", error="empty"),
    C("\x00\x01\x02", error="empty"),
    C("$0 lunch", amount=None, error="amount_not_positive", missing=("amount",)),
    C("0.00 lunch", amount=None, error="amount_not_positive"),
    C("-$5 lunch", amount=None, error="amount_not_positive"),
    C("−$5 lunch", amount=None, error="amount_not_positive"),
    C("USD -5 lunch", amount=None, error="amount_not_positive"),
    C("$-5 lunch", amount=None, error="amount_not_positive"),
    C("$999999999999 yacht", amount=None, error="amount_too_large"),
    C("$99999999999.99 jet", amount="99999999999.99", error=""),
    C("$150 tv", kw={"max_amount": Decimal("100")}, amount=None, error="amount_too_large"),
    C("1" * 900, amount=None, error="amount_too_large"),
    C("$" + "9" * 500, amount=None, error="amount_too_large"),
    C("1.2.3.4 thing", amount=None, error="no_amount"),
    C(None, error="not_text", amount=None),
    C(b"$5 lunch", error="not_text"),
    C(42, error="not_text"),
    # -- mentions -------------------------------------------------------------
    C(
        "@john $50 lunch at pizza place",
        amount="50.00",
        description="lunch at pizza place",
        kinds=("user",),
        split_with=("@john",),
        split_count=2,
        confidence=1.0,
    ),
    C("@bob $20 taxi", kinds=("person",), has=("unresolved_mention:@bob",), confidence=0.85),
    C("@flatmates $60 groceries", kinds=("group",), split_with=("@flatmates",), split_count=None),
    C("$12 lunch #food", category="food", tags=(), kinds=("category",), description="lunch"),
    C("$12 lunch #Food", category="Food", kinds=("category",)),
    C("$12 lunch #work", category=None, tags=("work",), kinds=("tag",), confidence=1.0),
    C("$12 #food #travel lunch", category="food", has=("several_categories",)),
    C("$12 lunch #food #work #team", category="food", tags=("work", "team"), description="lunch"),
    C("email john@example.com $5 fee", kinds=(), description="email john@example.com fee"),
    C("@John $5 coffee", kinds=("user",), split_with=("@John",)),
    C("@john @john $10 snacks", kinds=("user",), split_count=2),
    C("$30 dinner with @john and @mary", description="dinner", split_with=("@john", "@mary"), split_count=3),
    C("$30 dinner with @john, @mary & @bob", description="dinner", split_count=4),
    C("@john. $5", kinds=("user",), amount="5.00"),
    C("@mary-jane $5 gift", kinds=("person",), split_with=("@mary-jane",)),
    C("#1 fan $5", kinds=(), description="#1 fan", lacks=("several_amounts",)),
    C("@john $5 coffee", kw={"people": None}, kinds=("person",), has=("unresolved_mention:@john",)),
    C("$5 lunch @ cafe", kinds=(), description="lunch @ cafe"),
    C("@çağla ₺40 çay", kinds=("person",), currency="TRY", description="çay"),
    C("$5 lunch @a @b @c @d", has=("unresolved_mention:@a",), confidence=0.7, split_count=5),
    # -- dates ----------------------------------------------------------------
    C("yesterday $5 coffee", date=d(1), description="coffee"),
    C("$5 coffee today", date=TODAY, description="coffee"),
    C("$5 coffee", date=TODAY),
    C("$5 coffee 3 days ago", date=d(3), description="coffee"),
    C("$5 coffee a week ago", date=d(7)),
    C("$5 coffee two days ago", date=d(2)),
    C("$5 coffee on monday", date=d(2), description="coffee"),
    C("$5 coffee Monday", date=d(2)),
    C("$5 coffee last friday", date=d(5)),
    C("$5 coffee wednesday", date=TODAY),
    C("$5 coffee last wednesday", date=d(7)),
    C("$5 on 2026-11-03 coffee", date=d(1), description="coffee"),
    C("$5 coffee 2026/11/01", date=d(3)),
    C("$5 coffee 2026-02-30", date=TODAY, has=("invalid_date",)),
    C("$5 coffee 2027-01-01", date=dt.date(2027, 1, 1), has=("future_date",)),
    C("$5 the day before yesterday coffee", date=d(2), description="coffee"),
    C("$5 last night drinks", date=d(1), description="drinks"),
    C("$5 coffee yesterday and today", date=d(1), has=("several_dates",)),
    C("$5 coffee 9999 days ago", date=TODAY, has=("invalid_date",)),
    C("$5 sunday brunch", date=d(3), description="brunch"),
    C("birthday gift $30", date=TODAY, description="birthday gift"),
    # -- income ---------------------------------------------------------------
    C("+$50 from mom", amount="50.00", is_income=True, description="mom"),
    C("+50 found", amount="50.00", is_income=True),
    C(
        "received $50 from @john",
        is_income=True,
        split_with=(),
        split_count=None,
        kinds=("user",),
        missing=("description",),
    ),
    C("salary 3000 EUR", amount="3000.00", currency="EUR", is_income=True, description="salary"),
    C("got paid $200 for freelance work", is_income=True, description="freelance work"),
    C("refund $15 shoes", is_income=True, description="refund shoes"),
    C("reimbursed $40 taxi", is_income=True, description="taxi"),
    C("income 500", is_income=True, description="income"),
    C("$20 paid for parking", is_income=False, description="parking"),
    C("split with @john received $50", is_income=True, split_count=None, has=("split_on_income",)),
    # -- splits ---------------------------------------------------------------
    C("split 3 ways $90 dinner", split_count=3, split_with=(), description="dinner", confidence=1.0),
    C("$90 dinner split three ways", split_count=3, description="dinner"),
    C("split with @john @mary $30 pizza", split_count=3, split_with=("@john", "@mary"), description="pizza"),
    C(
        "split between @john and @mary $30 pizza",
        split_count=3,
        split_with=("@john", "@mary"),
        description="pizza",
    ),
    C("$40 taxi split with @bob", split_count=2, split_with=("@bob",), description="taxi"),
    C(
        "$40 taxi split 4 ways with @john",
        split_count=4,
        split_with=("@john",),
        lacks=("split_count_mismatch",),
    ),
    C("$40 taxi split 2 ways with @john @mary", split_count=2, has=("split_count_mismatch",)),
    C("split the bill $40", split_count=None, description="the bill", has=("split_without_people",)),
    C("split 1 ways $40", split_count=None, has=("split_count_mismatch",)),
    C(
        "$60 groceries split evenly with @flatmates",
        split_count=None,
        split_with=("@flatmates",),
        description="groceries",
    ),
    # -- description ----------------------------------------------------------
    C("paid $19.99 for spotify", amount="19.99", description="spotify"),
    C("spent 20 on coffee", amount="20.00", description="coffee"),
    C("bought lunch for $12", description="lunch"),
    C("$12 - lunch", description="lunch"),
    C("$5 coffee.", description="coffee"),
    C("at starbucks $5", description="starbucks"),
    C("45 bucks", description="", missing=("description",), has=("no_description",)),
    C("lunch\n\t$5\r\nnow", description="lunch now"),
    # -- hostile and odd input ------------------------------------------------
    C("<script>alert(1)</script> $5", amount="5.00", description="<script>alert(1)</script>"),
    C("'; DROP TABLE users; -- $5", amount="5.00", error=""),
    C("$5 {{ 7*7 }} ${7*7}", amount="5.00", error=""),
    C("%s %d $5", amount="5.00"),
    C("../../etc/passwd $5", amount="5.00", description="../../etc/passwd"),
    C("NaN Infinity $5", amount="5.00"),
    C("__import__('os') $5", amount="5.00"),
    C("\u200b$5\u200b lunch", amount="5.00", description="lunch"),
    C("$\u200d5 lunch", amount="5.00", description="lunch"),
    C("\u202e$5 lunch\u202c", amount="5.00", description="lunch"),
    C("\ufeff$5 lunch", amount="5.00", description="lunch"),
    C("$\x005 lunch", amount="5.00", description="lunch"),
    C("مرحبا $5 قهوة", amount="5.00", description="مرحبا قهوة"),
    C("שלום ₪20 קפה", amount="20.00", currency="ILS"),
    C("🍕 $12 pizza 🍕", amount="12.00", description="🍕 pizza 🍕"),
    C("ﷺ $5", amount="5.00"),
    C("$5 " + "ﷺ" * 100, error="too_long"),
    C("x" * 10_000, error="too_long", amount=None),
    C("$5 " + "a" * 997, amount="5.00", error=""),
    C("$5 " + "a" * 998, error="too_long"),
    C("$5 coffee shop", kw={"max_length": 10}, error="too_long"),
    C("@" * 500, error="no_amount"),
    C("#" * 10 + " $5", amount="5.00"),
    C("$5 " + "@x " * 300, error="", amount="5.00"),
    # -- shortcut form --------------------------------------------------------
    C("@john $50 lunch", shortcut=True, amount="50.00", kinds=("user",), split_count=2, description="lunch"),
    C("@john $50", shortcut=True, amount="50.00", missing=("description",)),
    C(
        "@bob 12.50 taxi",
        shortcut=True,
        kinds=("person",),
        has=("currency_defaulted", "unresolved_mention:@bob"),
    ),
    C("lunch @john $50", shortcut=True, error="not_shortcut", confidence=0.0),
    C("@john lunch $50", shortcut=True, error="not_shortcut"),
    C("@john $50lunch", shortcut=True, error="not_shortcut"),
    C("$50 lunch", shortcut=True, error="not_shortcut"),
    C("@flatmates €60 groceries", shortcut=True, currency="EUR", kinds=("group",), split_count=None),
    C("@john +$50 repaid", shortcut=True, is_income=True, split_with=()),
    C("@john ¥12.5 sushi", shortcut=True, error="too_many_decimals"),
    C("@john $0 nothing", shortcut=True, error="amount_not_positive"),
    C("@john $5 yesterday #food", shortcut=True, date=TODAY, description="yesterday #food"),
]

DEFAULT_KWARGS = {"today": TODAY, "people": PEOPLE, "groups": GROUPS, "categories": CATEGORIES}


def _parse(case: Case) -> ChatParse:
    kwargs = {**DEFAULT_KWARGS, **case.kwargs}
    if case.shortcut:
        kwargs.pop("categories")
        return parse_shortcut(case.text, **kwargs)
    return parse_text(case.text, **kwargs)


def _case_id(case: Case) -> str:
    text = case.text if isinstance(case.text, str) else repr(case.text)
    return ("shortcut:" if case.shortcut else "") + (text[:40] + ("…" if len(text) > 40 else ""))


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_table(case: Case) -> None:
    parse = _parse(case)
    for key, expected in case.expect.items():
        if key == "has":
            assert set(expected) <= set(parse.reasons), parse.reasons
        elif key == "lacks":
            assert not set(expected) & set(parse.reasons), parse.reasons
        elif key == "kinds":
            assert tuple(m.kind for m in parse.mentions) == expected
        elif key == "conf_below":
            assert parse.confidence < expected
        elif key == "amount":
            assert parse.amount == (None if expected is None else Decimal(expected)), parse
            if expected is not None:
                assert str(parse.amount) == expected  # quantised to the currency's minor units
        else:
            assert getattr(parse, key) == expected, (key, parse)
    # Invariants every parse keeps.
    assert 0.0 <= parse.confidence <= 1.0
    assert parse.error != "unparseable"
    if parse.error:
        assert parse.amount is None and parse.confidence == 0.0


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 150


# -- resolved targets and metadata -------------------------------------------


def test_mentions_carry_their_targets() -> None:
    parse = parse_text("@john @flatmates $50 lunch #food #work", **DEFAULT_KWARGS)
    assert [(m.kind, m.text, m.name, m.target) for m in parse.mentions] == [
        ("user", "@john", "john", "user:john"),
        ("group", "@flatmates", "flatmates", "group:flatmates"),
        ("category", "#food", "food", "category:food"),
        ("tag", "#work", "work", None),
    ]
    assert parse.category_mention is not None and parse.category_mention.target == "category:food"
    assert parse.split_with == ("@john", "@flatmates") and parse.split_count is None


def test_metadata_shape_is_json_with_decimal_strings() -> None:
    class User:
        pk = 7

    parse = parse_text("@john $50 lunch at pizza place", **{**DEFAULT_KWARGS, "people": {"john": User()}})
    meta = parse.to_metadata()
    assert json.loads(json.dumps(meta)) == meta
    assert meta["mentions"] == [{"type": "user", "text": "@john", "name": "john", "resolved": True, "id": 7}]
    assert meta["parsed"]["amount"] == "50.00" and isinstance(meta["parsed"]["amount"], str)
    assert meta["parsed"]["currency"] == "USD"
    assert meta["parsed"]["description"] == "lunch at pizza place"
    assert meta["parsed"]["category"] is None
    assert meta["parsed"]["date"] == "2026-11-04"
    assert meta["confidence"] == 1.0
    assert parse_text("hello", today=TODAY).to_metadata()["parsed"]["amount"] is None


def test_fast_constructor_matches_dataclass_init() -> None:
    parse = parse_text("@john $50 lunch #food", **DEFAULT_KWARGS)
    rebuilt = ChatParse(**{name: getattr(parse, name) for name in ChatParse.__dataclass_fields__})
    assert rebuilt == parse
    assert not hasattr(ChatParse, "__post_init__")  # _make_parse relies on it
    with pytest.raises(AttributeError):
        parse.amount = Decimal(1)  # type: ignore[misc]


def test_bad_default_currency_is_the_callers_error() -> None:
    from django_expense_ai.exceptions import UnknownCurrency

    with pytest.raises(UnknownCurrency):
        parse_text("$5", today=TODAY, default_currency="XYZ")


def test_grammar_never_imports_the_orm() -> None:
    code = (
        "import sys, django_expense_ai.chat.grammar, django_expense_ai.chat.replies; "
        "bad = [m for m in sys.modules if m.startswith('django.db') or m.startswith('django_expense_ai.models')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": "src"}, cwd=_repo_root())


def _repo_root() -> str:
    import pathlib

    return str(pathlib.Path(__file__).resolve().parent.parent)


# -- replies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("@john $50 lunch at pizza place", "Added $50.00 lunch at pizza place, split with @john."),
        ("hello", "How much was it? I couldn't find an amount."),
        ("split 3 ways $90 dinner", "Added $90.00 dinner, split 3 ways."),
        ("salary 3000 EUR yesterday", "Recorded income of €3,000.00 salary on Tue 3 Nov 2026."),
        ("lunch 12 #food #work", "Added $12.00 lunch, category food, tagged #work (I assumed USD)."),
        ("$5", "Added $5.00 (no description)."),
        ("$40 taxi split with @bob", "Added $40.00 taxi, split with @bob (I don't know @bob yet)."),
        ("$40 taxi split 4 ways with @john", "Added $40.00 taxi, split 4 ways with @john."),
        ("KWD 1.250 tea", "Added KWD 1.250 tea."),
    ],
)
def test_replies(text: str, reply: str) -> None:
    assert render_reply(parse_text(text, **DEFAULT_KWARGS), today=TODAY) == reply


def test_reply_refuses_decimals_without_rounding() -> None:
    reply = render_reply(parse_text("¥12.5 sushi", today=TODAY))
    assert "JPY" in reply and "no decimal places" in reply and "12.5" not in reply


def test_reply_echo_is_bounded() -> None:
    long_description = "pizza " * 150
    reply = render_reply(parse_text("$5 " + long_description, today=TODAY), max_echo=60)
    assert len(reply) < 100 and reply.startswith("Added $5.00 pizza")
    many = " ".join(f"@person{i}" for i in range(50))
    reply = render_reply(parse_text("$50 " + many, today=TODAY))
    assert "and 45 more" in reply and len(reply) < 400
    assert render_reply(parse_text("x" * 5000, today=TODAY)).startswith("That message is too long")


# -- properties ---------------------------------------------------------------

MESSAGEY = st.text(
    alphabet=st.sampled_from(
        list("0123456789.,'$€¥£₩k+-−@# abcdkUSDKWDJPYALL:/%\u200b\u202e\nsplit ways ago")
    ),
    max_size=80,
)


def _check_invariants(parse: ChatParse, max_amount: Decimal = DEFAULT_MAX_AMOUNT) -> None:
    assert parse.error != "unparseable", parse
    assert 0.0 <= parse.confidence <= 1.0
    if parse.amount is not None:
        assert isinstance(parse.amount, Decimal)
        assert Decimal(0) < parse.amount <= max_amount
        assert parse.amount == parse.amount.quantize(Decimal(1).scaleb(-minor_units(parse.currency)))
        assert not parse.error
    else:
        assert "amount" in parse.missing
    assert parse.currency in iso_currencies()
    json.dumps(parse.to_metadata())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=1100), MESSAGEY))
def test_never_raises_and_amount_in_range(text: str) -> None:
    parse = parse_text(text, **DEFAULT_KWARGS)
    _check_invariants(parse)
    render_reply(parse, today=TODAY)
    _check_invariants(parse_shortcut("@john " + text, today=TODAY, people=PEOPLE))


@settings(max_examples=200, deadline=None)
@given(text=MESSAGEY, max_amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e12"), places=2))
def test_max_amount_is_respected(text: str, max_amount: Decimal) -> None:
    _check_invariants(parse_text(text, today=TODAY, max_amount=max_amount), max_amount)


# Codes a person may write; "no currency" and the testing code are refused on purpose.
SPENDABLE = sorted(set(iso_currencies()) - {"XXX", "XTS"})


def _amounts(currency: str) -> st.SearchStrategy[Decimal]:
    places = minor_units(currency)
    top = int(DEFAULT_MAX_AMOUNT.scaleb(places))
    return st.integers(min_value=1, max_value=top).map(lambda units: from_minor(units, currency))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), currency=st.sampled_from(SPENDABLE))
def test_reply_amounts_read_back(data: st.DataObject, currency: str) -> None:
    amount = data.draw(_amounts(currency))
    text = format_amount(amount, currency)
    parse = parse_text(f"{text} lunch", today=TODAY)
    assert (parse.amount, parse.currency, parse.description) == (amount, currency, "lunch"), text


@settings(max_examples=300, deadline=None)
@given(data=st.data(), currency=st.sampled_from(SPENDABLE))
def test_european_and_suffix_forms_read_back(data: st.DataObject, currency: str) -> None:
    amount = data.draw(_amounts(currency))
    english = format(amount, ",f")
    european = english.translate(str.maketrans(",.", ".,"))
    for text in (f"{english} {currency}", f"{european} {currency}", f"{currency} {amount}"):
        parse = parse_text(f"dinner {text}", today=TODAY)
        assert (parse.amount, parse.currency) == (amount, currency), text


def test_internal_failure_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(grammar, "_description", boom)
    parse = parse_text("$5 lunch", today=TODAY)
    assert parse.error == "unparseable" and parse.amount is None


def test_unresolved_mentions_cost_an_outside_reading_what_they_cost_a_parse() -> None:
    # One rule for the grammar's own parse and an AI reading (chat.services passes the count).
    for names in ("@a", "@a @b", "@a @b @c"):
        parse = parse_text(f"$5 lunch {names}", today=TODAY)
        unresolved = sum(m.kind == "person" for m in parse.mentions)
        assert parse.confidence == grammar.penalise_unresolved(1.0, unresolved), names
    assert grammar.penalise_unresolved(0.9, 1) == pytest.approx(0.75)
    assert grammar.penalise_unresolved(0.9, 5) == pytest.approx(0.6)  # capped after two
    assert grammar.penalise_unresolved(1.7, 0) == 1.0 and grammar.penalise_unresolved(0.1, 2) == 0.0
