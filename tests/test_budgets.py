"""Budgets: apply a template, suggest a budget (plugin, AI, heuristic), budget vs actual."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from django_expense_ai import hookimpl
from django_expense_ai.ai import calls as ai
from django_expense_ai.budgets import (
    apply_template,
    budget_report,
    create_template,
    default_end_date,
    suggest_budget,
)
from django_expense_ai.budgets import services as budget_services
from django_expense_ai.budgets.heuristic import allocate_by_spending, history_window
from django_expense_ai.exceptions import BudgetError, NotYours, ProviderAuthError, UnknownCurrency
from django_expense_ai.ledger.splits import split_amount
from django_expense_ai.ledger.writer import set_exclusion
from django_expense_ai.models import Budget, BudgetTemplate, Category, Transaction
from django_expense_ai.models.swappable import ai_settings_for, preferences_for
from django_expense_ai.providers.fake import FakeProvider
from tests.fakeapi import OPENAI_PATH, FakeAPI, Reply, fake_api, openai_completion  # noqa: F401

URBAN = "Urban Professional (50-75k/year)"


def system(key: str) -> Category:
    return Category.objects.get(user__isnull=True, key=key)


def tx(user, day, amount, *, category=None, classification="regular_monthly", currency="USD"):
    return Transaction.objects.create(
        user=user, date=day, amount=Decimal(amount), currency=currency, category=category,
        expense_classification=classification,
    )


# -- pure: periods and the heuristic ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
        (dt.date(2025, 1, 15), dt.date(2025, 2, 14)),
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 30), dt.date(2024, 2, 29)),
        (dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        (dt.date(2025, 12, 20), dt.date(2026, 1, 19)),
    ],
)
def test_default_end_date(start, end) -> None:
    assert default_end_date(start) == end


def test_history_window_is_three_full_months_before_this_one() -> None:
    assert history_window(dt.date(2025, 4, 10)) == (dt.date(2025, 1, 1), dt.date(2025, 4, 1))
    assert history_window(dt.date(2025, 2, 28)) == (dt.date(2024, 11, 1), dt.date(2025, 2, 1))


def test_heuristic_formula_with_savings_remainder() -> None:
    spend = {"housing": Decimal("3000"), "groceries": Decimal("900"), "dining": Decimal("120"),
             "other": Decimal("60")}
    result = allocate_by_spending(spend, monthly_income=Decimal("2000.00"), currency="USD")
    # averages 1000/300/40/20 of 2000; savings 2000 - 1360 = 640
    assert result.percentages == {"housing": Decimal("50.00"), "groceries": Decimal("15.00"),
                                  "dining": Decimal("2.00"), "other": Decimal("1.00"), "savings": Decimal("32.00")}
    assert result.average_monthly_spend == {"housing": Decimal("1000.00"), "groceries": Decimal("300.00"),
                                            "dining": Decimal("40.00"), "other": Decimal("20.00")}
    assert result.savings == Decimal("640.00") and not result.scaled_down


def test_heuristic_scales_spending_down_to_the_income() -> None:
    spend = {"housing": Decimal("3000"), "groceries": Decimal("900"), "dining": Decimal("120"),
             "other": Decimal("60")}
    result = allocate_by_spending(spend, monthly_income=Decimal("1000"), currency="USD")
    # 3000/4080 = 73.529..., largest remainders get the two leftover hundredths
    assert result.percentages == {"housing": Decimal("73.53"), "groceries": Decimal("22.06"),
                                  "dining": Decimal("2.94"), "other": Decimal("1.47")}
    assert result.scaled_down and result.savings == 0


def test_heuristic_refuses_without_spending() -> None:
    with pytest.raises(BudgetError, match="No regular spending"):
        allocate_by_spending({"food": Decimal("-5"), "x": Decimal(0)}, monthly_income=Decimal(10), currency="USD")


@hsettings(max_examples=200, deadline=None)
@given(
    spend=st.dictionaries(
        st.sampled_from(["housing", "food", "fun", "savings", "other", "travel"]),
        st.decimals(min_value=0, max_value=10**7, places=2),
        min_size=1,
    ),
    income=st.decimals(min_value=Decimal("0.01"), max_value=10**7, places=2),
)
def test_heuristic_percentages_always_sum_to_exactly_100(spend, income) -> None:
    if not any(v > 0 for v in spend.values()):
        with pytest.raises(BudgetError):
            allocate_by_spending(spend, monthly_income=income, currency="USD")
        return
    result = allocate_by_spending(spend, monthly_income=income, currency="USD")
    assert sum(result.percentages.values()) == 100
    assert all(p >= 0 and p == p.quantize(Decimal("0.01")) for p in result.percentages.values())
    parts = split_amount(income, "percentage", list(result.percentages.values()), currency="USD")
    assert sum(parts) == income and all(p >= 0 for p in parts)


# -- apply a template -----------------------------------------------------------


@pytest.mark.django_db
def test_apply_system_template(user) -> None:
    urban = BudgetTemplate.objects.get(name=URBAN, is_system=True)
    before = urban.usage_count
    budget = apply_template(urban, user, monthly_income="5000", start_date=dt.date(2025, 3, 1), currency="usd")
    budget.refresh_from_db()
    assert (budget.budget_type, budget.template_source, budget.name) == ("template", URBAN, URBAN)
    assert (budget.start_date, budget.end_date, budget.period) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31),
                                                                   "monthly")
    assert budget.amount == Decimal("5000") and budget.currency == "USD"
    assert budget.category_allocations["housing"] == {"name": "Housing", "amount": "1500.00", "percentage": "30"}
    assert {k: v["amount"] for k, v in budget.category_allocations.items()} == {
        "housing": "1500.00", "transportation": "750.00", "food": "600.00", "utilities": "400.00",
        "healthcare": "500.00", "savings": "750.00", "entertainment": "250.00", "other": "250.00",
    }
    assert urban.usage_count == before + 1  # refreshed on the instance too
    assert BudgetTemplate.objects.get(pk=urban.pk).usage_count == before + 1
    # every key is a system category: the user got no copies
    assert not Category.objects.filter(user=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("income", "currency"), [("100.01", "USD"), ("100001", "JPY"), ("10.001", "KWD")])
def test_category_amounts_sum_exactly_to_the_income(user, income, currency) -> None:
    template = create_template(user, name="Thirds", category_allocations={"housing": "33.33", "food": "33.33",
                                                                          "fun": "33.34"})
    budget = apply_template(template, user, monthly_income=income, start_date=dt.date(2025, 1, 15),
                            currency=currency)
    amounts = [Decimal(v["amount"]) for v in budget.category_allocations.values()]
    assert sum(amounts) == Decimal(income)
    assert budget.end_date == dt.date(2025, 2, 14)


@pytest.mark.django_db
def test_apply_creates_missing_categories_as_the_users_own(user, other_user) -> None:
    preferences = preferences_for(user)
    preferences.default_currency = "EUR"
    preferences.save()
    name = "Weekend warrior " * 10  # 160 characters
    template = create_template(user, name=name, category_allocations={
        "housing": "50", "my-hobby": {"name": "Climbing gear", "percentage": "50"}})
    budget = apply_template(template, user, monthly_income=Decimal("999.99"), start_date=dt.date(2025, 5, 1),
                            end_date=dt.date(2025, 5, 10))
    assert budget.currency == "EUR" and budget.period == "custom" and budget.end_date == dt.date(2025, 5, 10)
    assert len(budget.template_source) == 100 and name.startswith(budget.template_source)
    hobby = Category.objects.get(key="my-hobby")
    assert (hobby.user, hobby.name, hobby.is_system) == (user, "Climbing gear", False)
    assert not Category.objects.filter(user=user, key="housing").exists()  # the system one is used
    apply_template(template, user, monthly_income=1, start_date=dt.date(2025, 6, 1))
    assert Category.objects.filter(key="my-hobby").count() == 1  # not created twice


@pytest.mark.django_db
def test_apply_refuses_and_writes_nothing(user, other_user) -> None:
    urban = BudgetTemplate.objects.get(name=URBAN)
    theirs = create_template(other_user, name="Theirs", category_allocations={"housing": "100"})
    start = dt.date(2025, 3, 1)
    cases = [
        (dict(template=urban, monthly_income=0), "must be positive"),
        (dict(template=urban, monthly_income="-5"), "must be positive"),
        (dict(template=urban, monthly_income="12.345"), "more decimals than USD"),
        (dict(template=urban, monthly_income="lots"), "not an amount"),
        (dict(template=urban, monthly_income=100, end_date=dt.date(2025, 2, 1)), "ends (2025-02-01) before"),
    ]
    with pytest.raises(NotYours):  # another user's template does not exist for this user
        apply_template(theirs, user, monthly_income=100, start_date=start)
    for kwargs, needle in cases:
        template = kwargs.pop("template")
        with pytest.raises(BudgetError) as info:
            apply_template(template, user, start_date=start, **kwargs)
        assert needle in str(info.value)
    BudgetTemplate.objects.filter(pk=urban.pk).update(is_active=False)
    urban.refresh_from_db()
    with pytest.raises(BudgetError, match="inactive"):
        apply_template(urban, user, monthly_income=100, start_date=start)
    broken = BudgetTemplate.objects.create(name="Broken", created_by=user,
                                           category_allocations={"housing": {"percentage": "80"}})
    with pytest.raises(BudgetError, match="20 short of 100"):
        apply_template(broken, user, monthly_income=100, start_date=start)
    with pytest.raises(UnknownCurrency):
        apply_template(theirs, other_user, monthly_income=100, start_date=start, currency="ZZZ")
    assert not Budget.objects.exists()
    assert BudgetTemplate.objects.get(pk=urban.pk).usage_count == 0


@pytest.mark.django_db
def test_apply_is_atomic(user, monkeypatch) -> None:
    template = create_template(user, name="New keys", category_allocations={"alpha": "50", "beta": "50"})

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Budget.objects, "create", boom)
    with pytest.raises(RuntimeError):
        apply_template(template, user, monthly_income=100, start_date=dt.date(2025, 3, 1))
    assert not Category.objects.filter(key__in=["alpha", "beta"]).exists()
    assert BudgetTemplate.objects.get(pk=template.pk).usage_count == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_applications_do_not_lose_usage_counts(user) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite gives each thread its own empty database; run on PostgreSQL/MariaDB")
    from django.db import connections

    urban = BudgetTemplate.objects.get(name=URBAN)
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            # Each thread loads its own copy, as separate requests would.
            template = BudgetTemplate.objects.get(pk=urban.pk)
            barrier.wait(timeout=10)
            apply_template(template, user, monthly_income=1000, start_date=dt.date(2025, 3, 1))
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert BudgetTemplate.objects.get(pk=urban.pk).usage_count == urban.usage_count + threads_n
    assert Budget.objects.filter(user=user, template_source=URBAN).count() == threads_n


# -- suggest a budget ---------------------------------------------------------------

TODAY = dt.date(2025, 4, 10)  # history window: January to March 2025


@pytest.fixture
def history(user, other_user):
    """Three months of spending; regular USD totals 3000 housing, 900 groceries, 120 dining, 60 other."""
    for month in (1, 2, 3):
        tx(user, dt.date(2025, month, 5), "-1000.00", category=system("housing"))
        tx(user, dt.date(2025, month, 6), "-300.00", category=system("groceries"))
        tx(user, dt.date(2025, month, 25), "2500.00")  # salary, uncategorised: not spending
        tx(user, dt.date(2025, month, 25), "3000.00", category=system("income"))
    tx(user, dt.date(2025, 2, 14), "-150.00", category=system("dining"))
    tx(user, dt.date(2025, 2, 15), "30.00", category=system("dining"))  # refund
    tx(user, dt.date(2025, 3, 9), "-60.00")  # uncategorised -> other
    tx(user, dt.date(2025, 3, 10), "-500.00", category=system("charity"), classification="charity")  # excluded
    tx(user, dt.date(2025, 3, 11), "-999.00", category=system("groceries"), currency="EUR")  # another currency
    tx(user, dt.date(2025, 4, 2), "-5000.00", category=system("housing"))  # this month: not history
    tx(user, dt.date(2024, 12, 31), "-5000.00", category=system("housing"))  # before the window
    tx(other_user, dt.date(2025, 2, 1), "-7777.00", category=system("travel"))


@pytest.fixture
def fake(settings, user):
    settings.EXPENSE_AI = {"AI_ENABLED": True}
    ai_settings = ai_settings_for(user)
    ai_settings.active_parser_provider = "fake"
    ai_settings.save()
    FakeProvider.reset()
    yield FakeProvider
    FakeProvider.reset()


def amounts(budget: Budget) -> dict[str, str]:
    return {k: v["amount"] for k, v in budget.category_allocations.items()}


@pytest.mark.django_db
def test_heuristic_budget_when_no_provider(user, history) -> None:
    budget = suggest_budget(user, monthly_income="2000", currency="USD", today=TODAY)
    assert budget.budget_type == "ai_suggested" and budget.currency == "USD"
    assert (budget.start_date, budget.end_date) == (dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    assert amounts(budget) == {"housing": "1000.00", "groceries": "300.00", "dining": "40.00", "other": "20.00",
                               "savings": "640.00"}
    assert budget.category_allocations["savings"]["percentage"] == "32"
    ctx = budget.ai_generation_context
    assert ctx["method"] == "heuristic" and ctx["fallback_reason"] == "no_provider" and ctx["basis"] == "spending"
    assert ctx["window"] == {"start": "2025-01-01", "end": "2025-03-31", "months": 3}
    assert ctx["average_monthly_spend"] == {"housing": "1000.00", "groceries": "300.00", "dining": "40.00",
                                            "other": "20.00"}
    assert ctx["ignored_currencies"] == ["EUR"] and ctx["savings"] == "640.00"
    assert ctx["prompt"]["monthly_income"] == "2000.00" and "income" not in ctx["prompt"]["categories"]


@pytest.mark.django_db
def test_heuristic_without_history_uses_the_best_shipped_template(user) -> None:
    budget = suggest_budget(user, monthly_income="5000", currency="USD", today=TODAY, context={"city": "Austin"})
    ctx = budget.ai_generation_context
    assert (ctx["basis"], ctx["template"]) == ("template", URBAN)  # 60k a year
    assert amounts(budget)["housing"] == "1500.00"
    assert ctx["prompt"]["context"] == {"city": "Austin"}


@pytest.mark.django_db
def test_ai_suggestion_with_the_fake_provider(user, fake) -> None:
    fake.queue({"housing": Decimal("40"), "groceries": "35.5", "savings": "24.5"})
    budget = suggest_budget(user, monthly_income=Decimal("3000"), context={"city": "Lisbon", "kids": 2},
                            today=TODAY)
    assert budget.currency == "USD"  # the user's default currency
    assert amounts(budget) == {"housing": "1200.00", "groceries": "1065.00", "savings": "735.00"}
    assert budget.category_allocations["groceries"]["name"] == "Groceries"
    ctx = budget.ai_generation_context
    assert ctx["method"] == "ai" and "fallback_reason" not in ctx
    assert (ctx["provider"], ctx["model"], ctx["latency_ms"]) == ("fake", "fake-model", 0)
    assert ctx["response"] == {"housing": "40", "groceries": "35.5", "savings": "24.5"}
    assert ctx["prompt"] == {"monthly_income": "3000.00", "currency": "USD",
                             "categories": ctx["prompt"]["categories"], "context": {"city": "Lisbon", "kids": 2}}
    [call] = fake.calls
    assert call.method == "suggest_budget"
    assert call.kwargs["monthly_income"] == Decimal("3000.00") and call.kwargs["currency"] == "USD"
    assert call.kwargs["categories"] == ctx["prompt"]["categories"]
    assert "housing" in call.kwargs["categories"] and "income" not in call.kwargs["categories"]
    assert call.kwargs["context"] == {"city": "Lisbon", "kids": 2}


@pytest.mark.django_db
def test_ai_answer_within_tolerance_is_normalised(user, fake) -> None:
    fake.queue('{"allocations": {"housing": "33.33", "groceries": "33.33", "savings": "33.33"}}')
    budget = suggest_budget(user, monthly_income="100", currency="USD", today=TODAY)
    assert budget.ai_generation_context["method"] == "ai"
    assert sum(Decimal(v["percentage"]) for v in budget.category_allocations.values()) == 100
    assert sum(Decimal(a) for a in amounts(budget).values()) == Decimal("100")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "reason", "needle"),
    [
        ({"housing": "90"}, "invalid_answer", "10 short of 100"),
        ({"housing": "50", "yachts": "50"}, "invalid_answer", "unknown category 'yachts'"),
        ({"housing": "150", "groceries": "-50"}, "invalid_answer", "-50 is negative"),
        ('{"allocations": {"housing": 90}}', "provider_failed", "add up to 90"),
        ("not json at all", "provider_failed", ""),
        (ProviderAuthError("key refused", provider="fake", status_code=401), "provider_failed", "key refused"),
    ],
)
def test_invalid_ai_answers_fall_back_to_the_heuristic(user, fake, history, answer, reason, needle) -> None:
    fake.queue(answer)
    budget = suggest_budget(user, monthly_income="2000", currency="USD", today=TODAY)
    ctx = budget.ai_generation_context
    assert ctx["method"] == "heuristic" and ctx["fallback_reason"] == reason
    assert needle in ctx["provider_error"]["message"]
    assert amounts(budget)["savings"] == "640.00"  # the heuristic's numbers
    assert len(fake.calls) == 1


@pytest.mark.django_db
def test_ai_disabled_for_the_site_falls_back(user, history, settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": False}
    ai_settings = ai_settings_for(user)
    ai_settings.active_parser_provider = "openai"
    ai_settings.set_api_key("openai", "sk-test-never-used-0123456789")
    ai_settings.save()
    budget = suggest_budget(user, monthly_income="2000", currency="USD", today=TODAY)
    ctx = budget.ai_generation_context
    assert (ctx["fallback_reason"], ctx["provider_error"]["kind"]) == ("provider_failed", "disabled")
    assert "sk-test-never-used" not in json.dumps(ctx)


@pytest.mark.django_db
def test_real_provider_over_http_records_audit_without_the_key(user, fake_api: FakeAPI, settings) -> None:  # noqa: F811
    key = "tk-live-QWERTYUIOPASDFGH-9876543210"
    settings.EXPENSE_AI = {"AI_ENABLED": True, "PROVIDER_BASE_URLS": fake_api.provider_base_urls,
                           "PROVIDER_MAX_RETRIES": 0}
    ai_settings = ai_settings_for(user)
    ai_settings.active_parser_provider = "openai"
    ai_settings.set_api_key("openai", key)
    ai_settings.save()
    fake_api.script(OPENAI_PATH, Reply(500, {}))
    no_consent = suggest_budget(user, monthly_income="1000", currency="USD", today=TODAY)
    assert no_consent.ai_generation_context["provider_error"]["kind"] == "consent"
    assert fake_api.requests_to(OPENAI_PATH) == []  # nothing was sent
    ai.opt_in(user)
    # The model echoes the key back: the stored raw response must not carry it.
    answer = json.dumps({"allocations": {"housing": "60", "savings": "40"}, "confidence": 0.9, "note": key})
    fake_api.script(OPENAI_PATH, Reply(200, openai_completion(answer)))
    budget = suggest_budget(user, monthly_income="1000", currency="USD", today=TODAY)
    ctx = budget.ai_generation_context
    assert ctx["method"] == "ai" and ctx["provider"] == "openai" and ctx["confidence"] == 0.9
    assert amounts(budget) == {"housing": "600.00", "savings": "400.00"}
    assert ctx["raw_response"] and key not in json.dumps(ctx) and "QWERTYUIOPASDFGH" not in json.dumps(ctx)
    [request] = fake_api.requests_to(OPENAI_PATH)
    assert "1000.00" in request.body.decode()  # the prompt carries the income


@pytest.mark.django_db
def test_undecryptable_key_falls_back_with_the_reason(user, history, settings) -> None:
    settings.EXPENSE_AI = {"AI_ENABLED": True}
    ai_settings = ai_settings_for(user)
    ai_settings.active_parser_provider = "openai"
    ai_settings.openai_api_key = b"gAAAAA-not-a-fernet-token"
    ai_settings.ai_opt_in_at = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    ai_settings.save()
    ctx = suggest_budget(user, monthly_income="2000", currency="USD", today=TODAY).ai_generation_context
    assert (ctx["method"], ctx["fallback_reason"]) == ("heuristic", "provider_failed")
    assert ctx["provider_error"]["error"] == "DecryptionError"
    assert "not-a-fernet" not in json.dumps(ctx)


class PercentPlugin:
    def __init__(self, answer):
        self.answer = answer
        self.seen = []

    @hookimpl
    def suggest_budget(self, user, monthly_income, currency, context):
        self.seen.append((user.pk, monthly_income, currency, context))
        return self.answer


@pytest.mark.django_db
def test_plugin_answer_wins_over_the_provider(user, fake, register_plugin) -> None:
    plugin = register_plugin(PercentPlugin({"housing": Decimal("70"), "savings": "30"}))
    budget = suggest_budget(user, monthly_income="1000", currency="eur", context={"a": 1}, today=TODAY)
    assert plugin.seen == [(user.pk, Decimal("1000.00"), "EUR", {"a": 1})]
    assert amounts(budget) == {"housing": "700.00", "savings": "300.00"}
    assert budget.ai_generation_context["method"] == "plugin"
    assert fake.calls == []  # the provider was not asked


@pytest.mark.django_db
def test_plugin_returning_none_lets_the_provider_answer(user, fake, register_plugin) -> None:
    register_plugin(PercentPlugin(None))
    fake.queue({"housing": "100"})
    assert suggest_budget(user, monthly_income="10", today=TODAY).ai_generation_context["method"] == "ai"


@pytest.mark.django_db
def test_invalid_plugin_answer_raises(user, register_plugin) -> None:
    register_plugin(PercentPlugin({"housing": "99.5"}))
    with pytest.raises(BudgetError, match="0.5 short of 100"):
        suggest_budget(user, monthly_income="10", today=TODAY)
    assert not Budget.objects.exists()


@pytest.mark.django_db
def test_suggest_refuses_bad_income_and_currency(user) -> None:
    with pytest.raises(BudgetError, match="must be positive"):
        suggest_budget(user, monthly_income="0", today=TODAY)
    with pytest.raises(UnknownCurrency):
        suggest_budget(user, monthly_income="10", currency="ZZZ", today=TODAY)
    assert not Budget.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_provider_is_called_outside_any_transaction(user, fake, monkeypatch) -> None:
    seen = []
    original = FakeProvider.run

    def spy(self, *args, **kwargs):
        seen.append(connection.in_atomic_block)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FakeProvider, "run", spy)
    fake.queue({"housing": "100"})
    suggest_budget(user, monthly_income="10", today=TODAY)
    assert seen == [False]


# -- budget vs actual ---------------------------------------------------------------


@pytest.fixture
def march_budget(user, other_user):
    urban = BudgetTemplate.objects.get(name=URBAN)
    budget = apply_template(urban, user, monthly_income="5000", start_date=dt.date(2025, 3, 1), currency="USD")
    own_food = Category.objects.create(user=user, key="food", name="My food")
    tx(user, dt.date(2025, 3, 1), "-1500.00", category=system("housing"))
    tx(user, dt.date(2025, 3, 2), "-200.00", category=system("food"))
    tx(user, dt.date(2025, 3, 3), "-100.50", category=own_food)  # same key, same line
    tx(user, dt.date(2025, 3, 4), "20.50", category=own_food)  # refund
    tx(user, dt.date(2025, 3, 5), "-45.00", category=system("dining"))  # not allocated
    tx(user, dt.date(2025, 3, 6), "-30.00")  # uncategorised
    tx(user, dt.date(2025, 3, 25), "2000.00")  # salary, uncategorised money in
    tx(user, dt.date(2025, 3, 26), "5000.00", category=system("income"))
    tx(user, dt.date(2025, 3, 7), "-100.00", category=system("other"), classification="charity")  # excluded
    pinned = tx(user, dt.date(2025, 3, 8), "-40.00", category=system("entertainment"), classification="one_time")
    set_exclusion(pinned, False)  # counted by hand
    tx(user, dt.date(2025, 3, 9), "-12.34", category=system("food"), currency="EUR")
    tx(user, dt.date(2025, 3, 31), "-0.01", category=system("utilities"))  # last day: inside
    tx(user, dt.date(2025, 4, 1), "-999.00", category=system("housing"))  # after
    tx(user, dt.date(2025, 2, 28), "-999.00", category=system("housing"))  # before
    tx(other_user, dt.date(2025, 3, 1), "-999.00", category=system("housing"))  # someone else
    return budget


@pytest.mark.django_db
def test_budget_report(march_budget) -> None:
    with CaptureQueriesContext(connection) as ctx:
        report = budget_report(march_budget)
    assert len(ctx.captured_queries) == 2  # the grouped spending query, then category names
    assert (report.currency, report.start, report.end) == ("USD", dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    rows = {line.key: (line.allocated, line.spent, line.remaining, line.percent_used) for line in report.lines}
    assert rows == {
        "housing": (Decimal("1500.00"), Decimal("1500.00"), Decimal("0.00"), Decimal("100.00")),
        "transportation": (Decimal("750.00"), Decimal("0.00"), Decimal("750.00"), Decimal("0.00")),
        "food": (Decimal("600.00"), Decimal("280.00"), Decimal("320.00"), Decimal("46.67")),
        "utilities": (Decimal("400.00"), Decimal("0.01"), Decimal("399.99"), Decimal("0.00")),
        "healthcare": (Decimal("500.00"), Decimal("0.00"), Decimal("500.00"), Decimal("0.00")),
        "savings": (Decimal("750.00"), Decimal("0.00"), Decimal("750.00"), Decimal("0.00")),
        "entertainment": (Decimal("250.00"), Decimal("40.00"), Decimal("210.00"), Decimal("16.00")),
        "other": (Decimal("250.00"), Decimal("0.00"), Decimal("250.00"), Decimal("0.00")),
        "dining": (Decimal("0.00"), Decimal("45.00"), Decimal("-45.00"), None),
        None: (Decimal("0.00"), Decimal("30.00"), Decimal("-30.00"), None),
    }
    assert [line.key for line in report.lines][-2:] == ["dining", None]  # unallocated, then uncategorised
    assert report.line(None).name == "Uncategorised" and report.line("dining").name == "Dining"
    assert report.line("food").name == "Food"  # the allocation's name
    assert (report.allocated, report.spent, report.remaining, report.percent_used) == (
        Decimal("5000.00"), Decimal("1895.01"), Decimal("3104.99"), Decimal("37.90"))
    assert report.other_currencies == {"EUR": {"food": Decimal("12.34")}}
    assert all(str(line.spent).count(".") == 1 and len(str(line.spent).split(".")[1]) == 2 for line in report.lines)
    with pytest.raises(KeyError):
        report.line("yachts")


@pytest.mark.django_db
def test_budget_report_goes_through_the_caching_seam(march_budget, monkeypatch) -> None:
    calls = []
    original = budget_services._compute_budget_report

    def spy(budget):
        calls.append(budget.pk)
        return original(budget)

    monkeypatch.setattr(budget_services, "_compute_budget_report", spy)
    assert budget_report(march_budget).spent == Decimal("1895.01")
    assert calls == [march_budget.pk]


@pytest.mark.django_db
def test_budget_report_of_a_manual_budget_without_allocations(user) -> None:
    budget = Budget.objects.create(user=user, name="Plain", start_date=dt.date(2025, 3, 1),
                                   end_date=dt.date(2025, 3, 31), amount=Decimal("100"), currency="JPY")
    tx(user, dt.date(2025, 3, 2), "-120", category=system("groceries"), currency="JPY")
    report = budget_report(budget)
    assert [(line.key, line.allocated, line.spent) for line in report.lines] == [
        ("groceries", Decimal("0"), Decimal("120"))
    ]
    assert (report.allocated, report.spent, report.remaining, report.percent_used) == (
        Decimal("100"), Decimal("120"), Decimal("-20"), Decimal("120.00"))
    assert report.other_currencies == {}
