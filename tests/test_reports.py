"""Reports: numbers on small data (every database), index use on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_expense_ai.ledger.reports import (
    ReportError,
    account_totals,
    account_totals_query,
    monthly_totals,
    monthly_totals_query,
)
from django_expense_ai.models import Account, Category, Transaction

pytestmark = pytest.mark.django_db

OUR_INDEXES = ("fin_tx_user_date_class_idx", "fin_tx_user_excl_date_idx", "fin_tx_user_account_date_idx")


@pytest.fixture
def ledger(user, other_user):
    food = Category.objects.create(user=user, key="food", name="Food")
    gifts = Category.objects.create(user=user, key="charity", name="Charity")
    checking = Account.objects.create(user=user, name="Checking")
    card = Account.objects.create(user=user, name="Card")

    def tx(day, amount, classification="regular_monthly", currency="USD", **extra):
        return Transaction.objects.create(
            user=user, date=day, amount=Decimal(amount), currency=currency,
            expense_classification=classification, **extra,
        )

    tx(dt.date(2025, 3, 1), "-10.10", category=food, account=checking)
    tx(dt.date(2025, 3, 15), "-0.20", category=food, account=checking)
    tx(dt.date(2025, 3, 31), "2500.00", account=checking)  # salary, money in
    tx(dt.date(2025, 3, 20), "-50.00", "charity", category=gifts, account=card)
    tx(dt.date(2025, 3, 21), "-1200", currency="JPY", account=card)
    pinned = tx(dt.date(2025, 3, 22), "-40.00", "one_time", account=card)
    from django_expense_ai.ledger.writer import set_exclusion

    set_exclusion(pinned, False)  # counted in regular totals by hand
    tx(dt.date(2025, 4, 1), "-7.77", category=food, account=checking)
    tx(dt.date(2025, 2, 28), "-99.99", account=checking)  # outside March
    tx(dt.date(2024, 3, 10), "-1.00")  # another year
    Transaction.objects.create(user=other_user, date=dt.date(2025, 3, 5), amount=Decimal("-1000.00"))
    return {"food": food, "gifts": gifts, "checking": checking, "card": card}


def test_monthly_totals_for_one_month(user, ledger):
    with CaptureQueriesContext(connection) as ctx:
        [march] = monthly_totals(user, 2025, 3)
    assert len(ctx.captured_queries) <= 2  # the grouped query + category names
    assert (march.year, march.month, march.count) == (2025, 3, 6)
    assert march.regular == {"JPY": Decimal("-1200"), "USD": Decimal("2449.70")}
    assert march.excluded == {"USD": Decimal("-50.00")}
    assert march.by_currency == {"JPY": Decimal("-1200"), "USD": Decimal("2399.70")}
    assert march.by_classification == {
        "charity": {"USD": Decimal("-50.00")},
        "one_time": {"USD": Decimal("-40.00")},
        "regular_monthly": {"JPY": Decimal("-1200"), "USD": Decimal("2489.70")},
    }
    assert march.by_category == {
        ledger["food"].pk: {"USD": Decimal("-10.30")},
        ledger["gifts"].pk: {"USD": Decimal("-50.00")},
        None: {"JPY": Decimal("-1200"), "USD": Decimal("2460.00")},
    }
    assert march.category_names == {ledger["food"].pk: "Food", ledger["gifts"].pk: "Charity"}
    # amounts in the currency's minor units, exact
    assert str(march.regular["USD"]) == "2449.70" and str(march.regular["JPY"]) == "-1200"


def test_monthly_totals_for_a_year(user, ledger):
    months = monthly_totals(user.pk, 2025)
    assert [m.month for m in months] == list(range(1, 13))
    assert months[0].count == 0 and months[0].regular == {}
    assert months[1].regular == {"USD": Decimal("-99.99")}
    assert months[3].by_category == {ledger["food"].pk: {"USD": Decimal("-7.77")}}
    assert sum(m.count for m in months) == 8
    assert monthly_totals(user, 2024)[2].regular == {"USD": Decimal("-1.00")}


def test_bad_month():
    with pytest.raises(ReportError, match="Month 13"):
        monthly_totals(1, 2025, 13)


def test_account_totals(user, ledger):
    card = account_totals(ledger["card"], dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert card.count == 3
    assert card.regular == {"JPY": Decimal("-1200"), "USD": Decimal("-40.00")}
    assert card.excluded == {"USD": Decimal("-50.00")}
    assert card.money_out == {"JPY": Decimal("-1200"), "USD": Decimal("-90.00")}
    assert card.money_in == {"JPY": Decimal("0"), "USD": Decimal("0.00")}
    checking = account_totals(ledger["checking"], dt.date(2025, 3, 1), dt.date(2025, 4, 1))  # inclusive
    assert checking.total == {"USD": Decimal("2481.93")}
    assert checking.money_in == {"USD": Decimal("2500.00")}
    assert checking.money_out == {"USD": Decimal("-18.07")}
    with pytest.raises(ReportError, match="ends"):
        account_totals(ledger["card"], dt.date(2025, 3, 2), dt.date(2025, 3, 1))


@pytest.mark.postgres_only
def test_postgres_plan_uses_our_indexes(user, other_user, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN check runs on PostgreSQL only")
    users = [user, other_user] + [
        django_user_model.objects.create_user(username=f"u{i}", password="pw") for i in range(8)
    ]
    account = Account.objects.create(user=user, name="Checking")
    rows = []
    for i in range(6000):
        owner = users[i % len(users)]
        rows.append(
            Transaction(
                user=owner,
                account=account if owner == user else None,
                date=dt.date(2024, 1, 1) + dt.timedelta(days=i % 366),
                amount=Decimal(-(i % 5000)) / 100,
                expense_classification="charity" if i % 7 == 0 else "regular_monthly",
                exclude_from_totals=i % 7 == 0,
            )
        )
    Transaction.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE finance_transactions")
    plan = monthly_totals_query(user, 2024, 6).explain()
    assert any(name in plan for name in OUR_INDEXES), plan
    plan = account_totals_query(account, dt.date(2024, 6, 1), dt.date(2024, 6, 30)).explain()
    assert any(name in plan for name in OUR_INDEXES), plan
