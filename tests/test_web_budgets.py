"""The budgets page: template gallery with charts, apply, budget vs actual, 12 months, suggestion."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from django_expense_ai.budgets import create_template
from django_expense_ai.models import Budget, BudgetTemplate, Category, Transaction

pytestmark = pytest.mark.django_db


def _script_json(page: str, element_id: str):
    start = page.index(f'id="{element_id}"')
    start = page.index(">", start) + 1
    return json.loads(page[start:page.index("</script>", start)])


def test_the_gallery_shows_system_and_own_templates_with_their_allocation(client, user, other_user):
    mine = create_template(name="My lean month", user=user, category_allocations={"housing": "60", "food": "40"})
    theirs = create_template(name="Bob secret plan", user=other_user, category_allocations={"housing": "100"})
    client.force_login(user)

    page = client.get(reverse("expense_ai:budgets")).content.decode()

    assert BudgetTemplate.objects.filter(is_system=True).first().name in page
    assert "My lean month" in page and "Bob secret plan" not in page
    chart = _script_json(page, f"ea-template-{mine.pk}-data")
    # Paired label by label (PostgreSQL's jsonb does not keep the keys' order).
    pairs = dict(zip(chart["labels"], chart["values"], strict=True))
    assert sorted(pairs.values()) == ["40", "60"]
    assert pairs[next(label for label in pairs if "ousing" in label)] == "60"
    assert reverse("expense_ai:budget_apply", args=[theirs.pk]) not in page


def test_applying_a_template_makes_a_budget_and_shows_it_against_spending(client, user):
    template = create_template(name="Two pots", user=user, category_allocations={"housing": "50", "dining": "50"})
    today = timezone.localdate()
    dining = Category.objects.get(user__isnull=True, key="dining")
    Transaction.objects.create(user=user, date=today, amount=Decimal("-1400.00"), currency="USD",
                               description="Feast", category=dining)
    client.force_login(user)

    response = client.post(reverse("expense_ai:budget_apply", args=[template.pk]), {"monthly_income": "2000"})

    budget = Budget.objects.get(user=user)
    assert budget.amount == Decimal("2000") and budget.start_date == today.replace(day=1)
    assert response.status_code == 302 and response["Location"].endswith(f"?budget={budget.pk}")
    page = client.get(response["Location"]).content.decode()
    chart = _script_json(page, "ea-budget-data")
    assert chart["allocated"] == ["1000.00", "1000.00"]
    dining_at = chart["labels"].index(next(label for label in chart["labels"] if "ining" in label))
    assert chart["spent"][dining_at] == "1400.00" and chart["over"][dining_at] is True
    assert chart["over"].count(True) == 1
    assert "over budget" in page and "1,000.00 USD" in page and "1000.0000" not in page


def test_the_last_twelve_months_are_charted(client, user):
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    Transaction.objects.create(user=user, date=last_month, amount=Decimal("-75.50"), currency="USD",
                               description="Shoes")
    client.force_login(user)

    months = _script_json(client.get(reverse("expense_ai:budgets")).content.decode(), "ea-months-data")

    assert len(months["labels"]) == 12 and months["currency"] == "USD"
    assert months["values"][-2] == "-75.50" and months["values"][-1] == "0.00"


def test_a_suggested_budget_explains_itself(client, user):
    client.force_login(user)
    response = client.post(reverse("expense_ai:budget_suggest"), {"monthly_income": "3000"}, follow=True)

    budget = Budget.objects.get(user=user)
    assert budget.budget_type == "ai_suggested"
    page = response.content.decode()
    assert "How this budget was suggested" in page and "No AI provider is chosen" in page


def test_another_users_budget_and_template_are_not_found(client, user, other_user):
    theirs = create_template(name="Bob plan", user=other_user, category_allocations={"housing": "100"})
    budget = Budget.objects.create(user=other_user, name="Bob budget", start_date=dt.date(2026, 1, 1),
                                   end_date=dt.date(2026, 1, 31), amount=Decimal("10"), currency="USD")
    client.force_login(user)

    assert client.get(reverse("expense_ai:budgets"), {"budget": budget.pk}).status_code == 404
    assert client.post(reverse("expense_ai:budget_apply", args=[theirs.pk]),
                       {"monthly_income": "100"}).status_code == 404
    assert not Budget.objects.filter(user=user).exists()


def test_regular_totals_by_month_counts_one_currency_and_skips_excluded_rows(user, other_user):
    from django_expense_ai.ledger.reports import regular_totals_by_month

    def add(who, day, amount, currency="USD", **extra):
        Transaction.objects.create(user=who, date=day, amount=Decimal(amount), currency=currency,
                                   description="x", **extra)

    add(user, dt.date(2025, 12, 31), "-10.00")
    add(user, dt.date(2026, 1, 5), "-2.25")
    add(user, dt.date(2026, 1, 6), "100.00")
    add(user, dt.date(2026, 1, 7), "-5.00", currency="EUR")
    add(user, dt.date(2026, 1, 8), "-50.00", expense_classification="charity")
    add(other_user, dt.date(2026, 1, 9), "-99.00")

    rows = regular_totals_by_month(user, dt.date(2025, 12, 15), dt.date(2026, 2, 1), "usd")

    assert rows == [(2025, 12, Decimal("-10.00"), 1), (2026, 1, Decimal("97.75"), 2), (2026, 2, Decimal("0.00"), 0)]
