"""Splits: the arithmetic's examples and messages, and the services that store splits."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from django_expense_ai.exceptions import ExpenseAIError, MoneyError, SplitError, UnknownCurrency
from django_expense_ai.ledger.splits import split_amount
from django_expense_ai.ledger.splits.arithmetic import allocate_minor, tie_offset

# -- arithmetic: worked examples ----------------------------------------------


def test_equal_split_of_ten_dollars_by_three():
    assert split_amount(Decimal("10.00"), "equal", 3, currency="USD") == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]


def test_equal_accepts_a_list_of_participants():
    assert split_amount("10.00", "equal", ["ann", "bob", "cy"], currency="USD") == [
        Decimal("3.34"), Decimal("3.33"), Decimal("3.33")
    ]


def test_minor_units_per_currency():
    assert split_amount("100", "equal", 3, currency="JPY") == [Decimal("34"), Decimal("33"), Decimal("33")]
    assert split_amount("1.000", "equal", 3, currency="KWD") == [Decimal("0.334"), Decimal("0.333"), Decimal("0.333")]
    assert split_amount("1", "equal", 3, currency="CLF") == [Decimal("0.3334"), Decimal("0.3333"), Decimal("0.3333")]
    parts = split_amount("1", "equal", 3, currency="BHD")
    assert parts == [Decimal("0.334"), Decimal("0.333"), Decimal("0.333")]
    assert all(p.as_tuple().exponent == -3 for p in parts)


def test_currency_model_instance_minor_units_win():
    class Currency:  # a host's currency row that says 0 decimals
        code = "USD"
        minor_units = 0

    assert split_amount("10", "equal", 3, currency=Currency()) == [Decimal("4"), Decimal("3"), Decimal("3")]
    with pytest.raises(SplitError, match="more decimals than USD allows"):
        split_amount("10.50", "equal", 3, currency=Currency())


def test_percentage_shares_and_custom():
    assert split_amount("100.00", "percentage", ["50", "30", "20"], currency="USD") == [
        Decimal("50.00"), Decimal("30.00"), Decimal("20.00")
    ]
    assert split_amount("10.00", "percentage", ["33.33", "33.33", "33.34"], currency="USD") == [
        Decimal("3.33"), Decimal("3.33"), Decimal("3.34")
    ]
    assert split_amount("10.00", "shares", [1, 2, 3], currency="USD") == [Decimal("1.67"), Decimal("3.33"), Decimal("5.00")]
    assert split_amount("10.00", "shares", ["1.5", "0.5"], currency="USD") == [Decimal("7.50"), Decimal("2.50")]
    assert split_amount("10.00", "custom_amount", ["2.50", "7.50"], currency="USD") == [Decimal("2.50"), Decimal("7.50")]


def test_largest_remainder_beats_position():
    # quotas 1.666.., 3.333.., 5.0 cents*100: the 0.67 remainder wins the leftover cent.
    assert split_amount("0.10", "shares", [1, 2, 3], currency="USD") == [Decimal("0.02"), Decimal("0.03"), Decimal("0.05")]


def test_negative_total_keeps_the_sign_on_every_part():
    assert split_amount("-10.00", "equal", 3, currency="USD") == [Decimal("-3.34"), Decimal("-3.33"), Decimal("-3.33")]
    assert sum(split_amount("-0.05", "shares", [1, 1, 1], currency="USD")) == Decimal("-0.05")
    # custom amounts are magnitudes
    assert split_amount("-10.00", "custom_amount", ["4", "6"], currency="USD") == [Decimal("-4.00"), Decimal("-6.00")]


def test_zero_total():
    assert split_amount("0", "equal", 2, currency="USD") == [Decimal("0.00"), Decimal("0.00")]


def test_tiebreak_key_rotates_the_extra_cent():
    winners = []
    for key in range(6):
        parts = split_amount("10.00", "equal", 3, currency="USD", tiebreak_key=key)
        winners.append(parts.index(Decimal("3.34")))
    assert winners == [0, 1, 2, 0, 1, 2]


def test_tiebreak_key_that_is_not_an_int_is_stable():
    assert tie_offset("a-uuid", 7) == tie_offset("a-uuid", 7)
    assert tie_offset(None, 3) == 0
    assert tie_offset(5, 3) == 2
    # keys spread over the participants
    assert len({tie_offset(f"tx-{i}", 3) for i in range(30)}) == 3


def test_payer_absorbs_all_leftover_units():
    assert split_amount("10.00", "equal", 3, currency="USD", payer_index=2) == [
        Decimal("3.33"), Decimal("3.33"), Decimal("3.34")
    ]
    assert split_amount("0.05", "equal", 3, currency="USD", payer_index=1) == [
        Decimal("0.01"), Decimal("0.03"), Decimal("0.01")
    ]


def test_allocate_minor_zero_weight_gets_nothing():
    assert allocate_minor(101, [1, 0, 1]) == [51, 0, 50]


# -- arithmetic: messages ------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "method", "values", "message"),
    [
        ("10.00", "percentage", ["50", "49.9"], "Percentages sum to 99.9, 0.1 short of 100."),
        ("10.00", "percentage", ["50", "50.5"], "Percentages sum to 100.5, 0.5 over 100."),
        ("10.00", "custom_amount", ["5.00", "4.99"], "Custom amounts are 0.01 short of the total 10.00 USD."),
        ("10.00", "custom_amount", ["5.00", "5.02"], "Custom amounts are 0.02 over the total 10.00 USD."),
        ("10.00", "shares", [1, 0], "Share count #2 is zero"),
        ("10.00", "shares", [1, -2], "share value #2 is -2; values cannot be negative."),
        ("10.00", "percentage", ["110", "-10"], "percentage value #2 is -10; values cannot be negative."),
        ("10.00", "equal", 0, "No participants"),
        ("10.00", "equal", [], "No participants"),
        ("10.00", "shares", [], "No participants"),
        ("10.005", "equal", 2, "The total 10.005 has more decimals than USD allows (2)."),
        ("10.00", "custom_amount", ["5.005", "4.995"], "Custom amount #1 (5.005) has more decimals"),
        ("10.00", "thirds", [1], "Unknown split method 'thirds'"),
    ],
)
def test_invalid_input_says_by_how_much(total, method, values, message):
    with pytest.raises(SplitError) as info:
        split_amount(total, method, values, currency="USD")
    assert message in str(info.value)


def test_jpy_total_with_decimals_is_refused():
    with pytest.raises(SplitError, match="more decimals than JPY allows \\(0\\)"):
        split_amount("100.5", "equal", 2, currency="JPY")


def test_floats_are_refused():
    with pytest.raises(SplitError, match="float"):
        split_amount(10.0, "equal", 2, currency="USD")
    with pytest.raises(SplitError, match="float"):
        split_amount("10", "percentage", [50.0, 50.0], currency="USD")


def test_split_error_is_a_validation_error_and_ours():
    with pytest.raises(ValidationError):
        split_amount("1", "shares", [0], currency="USD")
    with pytest.raises(ExpenseAIError):
        split_amount("1", "shares", [0], currency="USD")


def test_unknown_currency():
    with pytest.raises(UnknownCurrency):
        split_amount("1", "equal", 2, currency="XYZ")


def test_package_imports_before_apps_are_ready():
    # ``django_expense_ai.ledger.splits`` must not touch models on import.
    code = (
        "import django_expense_ai.ledger.splits as s, sys; "
        "assert 'django_expense_ai.models' not in sys.modules, 'models imported'; "
        "assert 'django_expense_ai.ledger.splits.services' not in sys.modules; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         env={"PYTHONPATH": "src", "DJANGO_SETTINGS_MODULE": "tests.settings"})
    assert out.returncode == 0, out.stderr
    # and arithmetic never imports the ORM
    source = importlib.import_module("django_expense_ai.ledger.splits.arithmetic").__loader__.get_source(
        "django_expense_ai.ledger.splits.arithmetic"
    )
    assert "django.db" not in source and ".models" not in source


# -- services ------------------------------------------------------------------


@pytest.fixture
def third_user(django_user_model):
    return django_user_model.objects.create_user(username="cy", password="pw")


@pytest.fixture(autouse=True)
def _shared_group(request):
    # Splits are only with people who share a group or a transaction with the owner.
    if "user" not in request.fixturenames:
        return
    from django_expense_ai.models import Group, GroupMember

    user = request.getfixturevalue("user")
    group = Group.objects.create(name="Friends", created_by=user)
    for name in ("other_user", "third_user"):
        if name in request.fixturenames:
            GroupMember.objects.create(group=group, user=request.getfixturevalue(name))


@pytest.fixture
def tx(user):
    from django_expense_ai.models import Transaction

    return Transaction.objects.create(user=user, date=dt.date(2025, 3, 1), amount=Decimal("-10.00"), currency="USD")


pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_apply_split_writes_rows(tx, user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split

    rows = apply_split(tx, [user, other_user, third_user], "equal")
    assert [r.participant_id for r in rows] == [user.pk, other_user.pk, third_user.pk]
    assert sum(r.amount for r in rows) == Decimal("10.00")  # absolute shares
    assert sorted(r.amount for r in rows) == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert {r.split_method for r in rows} == {"equal"}
    assert {r.currency.code for r in rows} == {"USD"}
    assert rows[0].currency.minor_units == 2


@pytestmark_db
def test_apply_split_replaces_and_stores_values(tx, user, other_user):
    from django_expense_ai.ledger.splits import apply_split

    apply_split(tx, [user, other_user], "equal")
    rows = apply_split(tx, [user, other_user], "percentage", ["25", "75"])
    assert tx.splits.count() == 2
    assert [(r.amount, r.split_value, r.split_method) for r in rows] == [
        (Decimal("2.50"), Decimal("25"), "percentage"), (Decimal("7.50"), Decimal("75"), "percentage")
    ]
    rows = apply_split(tx, [user, other_user], "shares", [1, 3])
    assert [(r.amount, r.split_value) for r in rows] == [(Decimal("2.50"), Decimal("1")), (Decimal("7.50"), Decimal("3"))]


@pytestmark_db
def test_apply_split_is_atomic_on_error(tx, user, other_user):
    from django_expense_ai.ledger.splits import apply_split

    apply_split(tx, [user, other_user], "equal")
    with pytest.raises(SplitError, match="0.1 short of 100"):
        apply_split(tx, [user, other_user], "percentage", ["50", "49.9"])
    assert tx.splits.count() == 2


@pytestmark_db
def test_apply_split_input_checks(tx, user, other_user):
    from django_expense_ai.ledger.splits import apply_split
    from django_expense_ai.models import Transaction

    with pytest.raises(SplitError, match="2 participants but 1 values"):
        apply_split(tx, [user, other_user], "shares", [1])
    with pytest.raises(SplitError, match="appears twice"):
        apply_split(tx, [user, user], "equal")
    with pytest.raises(SplitError, match="No participants"):
        apply_split(tx, [], "equal")
    with pytest.raises(SplitError, match="at most 4 decimals"):
        apply_split(tx, [user, other_user], "percentage", ["33.33333", "66.66667"])
    with pytest.raises(SplitError, match="float"):
        apply_split(tx, [user, other_user], "shares", [1.0, 2.0])
    with pytest.raises(SplitError, match="Save the transaction"):
        apply_split(Transaction(user=user, date=dt.date(2025, 1, 1), amount=1), [user], "equal")


@pytestmark_db
def test_apply_split_uses_transaction_currency(user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split
    from django_expense_ai.models import Transaction

    tx = Transaction.objects.create(user=user, date=dt.date(2025, 3, 1), amount=Decimal("-1000"), currency="JPY")
    rows = apply_split(tx, [user, other_user, third_user], "equal")
    assert sorted(r.amount for r in rows) == [Decimal("333"), Decimal("333"), Decimal("334")]
    assert {r.currency.code for r in rows} == {"JPY"}


@pytestmark_db
def test_extra_cent_rotates_between_expenses(user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split
    from django_expense_ai.models import Transaction

    winners = set()
    for _ in range(3):
        tx = Transaction.objects.create(user=user, date=dt.date(2025, 3, 1), amount=Decimal("-10.00"))
        rows = apply_split(tx, [user, other_user, third_user], "equal")
        winners.add(next(r.participant_id for r in rows if r.amount == Decimal("3.34")))
    assert winners == {user.pk, other_user.pk, third_user.pk}


@pytestmark_db
@override_settings(EXPENSE_AI={"SPLIT_REMAINDER_POLICY": "payer_absorbs"})
def test_payer_absorbs_policy(tx, user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split

    rows = apply_split(tx, [user, other_user, third_user], "equal")  # payer: owner (no paid_by)
    assert rows[0].amount == Decimal("3.34")
    rows = apply_split(tx, [user, other_user, third_user], "equal", payer=third_user)
    assert rows[2].amount == Decimal("3.34")
    tx.paid_by = other_user
    tx.save()
    rows = apply_split(tx, [user, other_user, third_user], "equal")
    assert rows[1].amount == Decimal("3.34")


@pytestmark_db
@override_settings(EXPENSE_AI={"SPLIT_REMAINDER_POLICY": "bogus"})
def test_unknown_policy_is_a_configuration_error(tx, user, other_user):
    from django_expense_ai.exceptions import ConfigurationError
    from django_expense_ai.ledger.splits import apply_split

    with pytest.raises(ConfigurationError, match="SPLIT_REMAINDER_POLICY"):
        apply_split(tx, [user, other_user], "equal")


@pytestmark_db
def test_update_amount_rederives_every_method(tx, user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split, update_transaction_amount

    people = [user, other_user, third_user]
    for method, values, expected in [
        ("equal", None, [Decimal("6.67"), Decimal("6.67"), Decimal("6.66")]),
        ("percentage", ["50", "25", "25"], [Decimal("10.00"), Decimal("5.00"), Decimal("5.00")]),
        ("shares", [2, 1, 1], [Decimal("10.00"), Decimal("5.00"), Decimal("5.00")]),
        ("custom_amount", ["5.00", "2.50", "2.50"], [Decimal("10.00"), Decimal("5.00"), Decimal("5.00")]),
    ]:
        update_transaction_amount(tx, Decimal("-10.00"))
        apply_split(tx, people, method, values)
        update_transaction_amount(tx, Decimal("-20.00"))
        tx.refresh_from_db()
        assert tx.amount == Decimal("-20.00")
        amounts = [s.amount for s in tx.splits.order_by("pk")]
        assert sum(amounts) == Decimal("20.00"), method
        if method == "equal":
            assert sorted(amounts) == sorted(expected)
        else:
            assert amounts == expected, method
        assert {s.split_method for s in tx.splits.all()} == {method}


@pytestmark_db
def test_custom_rescaling_does_not_compound(tx, user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split, update_transaction_amount

    apply_split(tx, [user, other_user, third_user], "custom_amount", ["1.00", "2.00", "7.00"])
    for amount in ("-3.33", "-0.07", "-123.45"):
        update_transaction_amount(tx, Decimal(amount))
        assert sum(s.amount for s in tx.splits.all()) == -Decimal(amount)
    update_transaction_amount(tx, Decimal("-10.00"))
    assert [s.amount for s in tx.splits.order_by("pk")] == [Decimal("1.00"), Decimal("2.00"), Decimal("7.00")]


@pytestmark_db
def test_update_amount_refuses_bad_amounts_and_rolls_back(tx, user, other_user):
    from django_expense_ai.ledger.splits import apply_split, update_transaction_amount

    apply_split(tx, [user, other_user], "equal")
    with pytest.raises(MoneyError):
        update_transaction_amount(tx, "-10.001")
    with pytest.raises(MoneyError):
        update_transaction_amount(tx, -10.5)
    tx.refresh_from_db()
    assert tx.amount == Decimal("-10.00")


@pytestmark_db
def test_rederive_refuses_mixed_methods(tx, user, other_user):
    from django_expense_ai.ledger.splits import apply_split, rederive_splits

    rows = apply_split(tx, [user, other_user], "equal")
    rows[0].split_method = "shares"
    rows[0].split_value = 1
    rows[0].save()
    with pytest.raises(SplitError, match="mixes split methods"):
        rederive_splits(tx)


@pytestmark_db
def test_rederive_without_splits_is_a_no_op(tx):
    from django_expense_ai.ledger.splits import rederive_splits

    assert rederive_splits(tx) == []


@pytestmark_db
def test_balances_for_user_and_group(user, other_user, third_user):
    from django_expense_ai.ledger.splits import apply_split, balances
    from django_expense_ai.models import Group, GroupMember, Transaction

    group = Group.objects.create(name="flat", created_by=user)
    for member in (user, other_user, third_user):
        GroupMember.objects.create(group=group, user=member)
    people = [user, other_user, third_user]
    # alice pays 30.00 dinner, bob pays 1000 yen taxi, alice receives a 6.00 refund
    dinner = Transaction.objects.create(user=user, group=group, date=dt.date(2025, 3, 1), amount=Decimal("-30.00"))
    apply_split(dinner, people, "equal")
    taxi = Transaction.objects.create(user=other_user, group=group, date=dt.date(2025, 3, 2),
                                      amount=Decimal("-1000"), currency="JPY")
    apply_split(taxi, people, "shares", [1, 2, 1])
    refund = Transaction.objects.create(user=user, group=group, date=dt.date(2025, 3, 3), amount=Decimal("6.00"))
    apply_split(refund, people, "equal")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = balances(group)
    assert len(ctx.captured_queries) == 1
    assert result == {
        user.pk: {"USD": Decimal("16.00"), "JPY": Decimal("-250")},
        other_user.pk: {"USD": Decimal("-8.00"), "JPY": Decimal("500")},
        third_user.pk: {"USD": Decimal("-8.00"), "JPY": Decimal("-250")},
    }
    # per currency the balances net out
    assert sum(b.get("USD", 0) for b in result.values()) == 0
    # a user sees only debts between them and others
    assert balances(third_user) == {
        third_user.pk: {"USD": Decimal("-8.00"), "JPY": Decimal("-250")},
        user.pk: {"USD": Decimal("8.00")},
        other_user.pk: {"JPY": Decimal("250")},
    }
    assert balances(user)[user.pk] == result[user.pk]

    # settled splits no longer count
    dinner.splits.update(is_settled=True)
    assert balances(group)[user.pk]["USD"] == Decimal("-4.00")
    assert balances(group, include_settled=True) == result


@pytestmark_db
def test_balances_use_paid_by_over_owner(user, other_user):
    from django_expense_ai.ledger.splits import apply_split, balances
    from django_expense_ai.models import Transaction

    tx = Transaction.objects.create(user=user, paid_by=other_user, date=dt.date(2025, 3, 1), amount=Decimal("-9.00"))
    apply_split(tx, [user, other_user], "custom_amount", ["6.00", "3.00"])
    assert balances(user) == {user.pk: {"USD": Decimal("-6.00")}, other_user.pk: {"USD": Decimal("6.00")}}
