"""Report caching: same results cached or not, invalidation on every change, any cache backend.

Runs against the real Redis server at 127.0.0.1:6379 (database 15; skipped
when it is not reachable), LocMemCache (the test settings' default) and
DummyCache (nothing cached: everything still works).

Each test session uses its own key prefix in Redis and clears only its own
keys: several test runs may share the server at once, and a FLUSHDB from one
would empty another's cache in the middle of a test.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import socket
import uuid
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from django_expense_ai.ledger import report_cache as report_cache_mod
from django_expense_ai.ledger.report_cache import (
    cached_budget_report,
    invalidate_transactions,
    invalidate_user_months,
    month_version_key,
    months_between,
    settings_fingerprint,
)
from django_expense_ai.ledger.reports import (
    _account_totals,
    _monthly_totals,
    account_totals,
    monthly_totals,
)
from django_expense_ai.models import Account, Budget, Category, Transaction

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS_PREFIX = f"ea-tests-{os.getpid()}-{uuid.uuid4().hex[:8]}"
BACKENDS = {
    "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
              "KEY_PREFIX": REDIS_PREFIX},
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "expense-ai-tests"},
    "dummy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=sorted(BACKENDS), autouse=True)
def backend(request):
    """Each test runs once per cache backend, with that cache empty."""
    if request.param == "redis" and not _redis_reachable():
        pytest.skip("no Redis server on 127.0.0.1:6379 (start one to run the Redis cache tests)")
    with override_settings(CACHES={"default": BACKENDS[request.param]}):
        _clear(request.param)
        yield request.param
        _clear(request.param)


def _clear(backend: str) -> None:
    cache = caches["default"]
    if backend != "redis":
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{REDIS_PREFIX}:*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def caching(backend):
    """True when the backend keeps values (everything but DummyCache)."""
    return backend != "dummy"


@pytest.fixture
def ledger(user, other_user):
    food = Category.objects.create(user=user, key="food", name="Food")
    checking = Account.objects.create(user=user, name="Checking")

    def tx(day, amount, who=None, **extra):
        return Transaction.objects.create(
            user=who or user, date=day, amount=Decimal(amount), account=checking, **extra
        )

    rows = {
        "lunch": tx(dt.date(2025, 3, 3), "-12.50", category=food),
        "salary": tx(dt.date(2025, 3, 31), "2500.00"),
        "gift": tx(dt.date(2025, 3, 10), "-40.00", expense_classification="charity"),
        "yen": tx(dt.date(2025, 3, 11), "-1200", currency="JPY"),
        "april": tx(dt.date(2025, 4, 2), "-7.77", category=food),
        "bob": Transaction.objects.create(user=other_user, date=dt.date(2025, 3, 5), amount=Decimal("-1000.00")),
    }
    return {"food": food, "checking": checking, **rows}


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


# -- the seam: equal results, hits, misses -------------------------------------------


def test_cached_monthly_totals_equal_the_computed_ones(user, ledger, caching):
    first, n_first = _queries(lambda: monthly_totals(user, 2025, 3))
    second, n_second = _queries(lambda: monthly_totals(user, 2025, 3))
    assert first == second == _monthly_totals(user.pk, 2025, 3)
    assert n_first >= 1
    assert n_second == (0 if caching else n_first)
    [march] = second
    assert march.regular == {"JPY": Decimal("-1200"), "USD": Decimal("2487.50")}
    assert march.category_names == {ledger["food"].pk: "Food"}


def test_a_whole_year_is_cached_and_invalidated_by_any_of_its_months(user, ledger, caching):
    year = monthly_totals(user, 2025)
    assert year == _monthly_totals(user.pk, 2025, None) and len(year) == 12
    assert _queries(lambda: monthly_totals(user, 2025))[1] == (0 if caching else 2)
    Transaction.objects.create(user=user, date=dt.date(2025, 11, 5), amount=Decimal("-3.00"))
    year = monthly_totals(user, 2025)
    assert year[10].regular == {"USD": Decimal("-3.00")}
    assert year == _monthly_totals(user.pk, 2025, None)


def test_reports_pickle_to_equal_values(user, ledger):
    months = _monthly_totals(user.pk, 2025, None)
    assert pickle.loads(pickle.dumps(months)) == months
    totals = _account_totals(ledger["checking"], dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert pickle.loads(pickle.dumps(totals)) == totals


def test_users_do_not_share_entries(user, other_user, ledger):
    [mine] = monthly_totals(user, 2025, 3)
    [theirs] = monthly_totals(other_user, 2025, 3)
    assert theirs.regular == {"USD": Decimal("-1000.00")} and mine.regular != theirs.regular


def test_account_totals_are_cached_and_invalidated(user, ledger, caching):
    start, end = dt.date(2025, 3, 1), dt.date(2025, 4, 30)
    before = account_totals(ledger["checking"], start, end)
    assert _queries(lambda: account_totals(ledger["checking"], start, end))[1] == (0 if caching else 1)
    ledger["april"].amount = Decimal("-17.77")
    ledger["april"].save()
    after = account_totals(ledger["checking"], start, end)
    assert after == _account_totals(ledger["checking"], start, end)
    assert after.money_out["USD"] == before.money_out["USD"] - Decimal("10.00")


# -- invalidation --------------------------------------------------------------------


def test_saving_a_transaction_invalidates_its_month_only(user, ledger, caching):
    monthly_totals(user, 2025, 3)
    monthly_totals(user, 2025, 4)
    ledger["lunch"].amount = Decimal("-22.50")
    ledger["lunch"].save()
    [march], n = _queries(lambda: monthly_totals(user, 2025, 3))
    assert n >= 1 and march.regular["USD"] == Decimal("2477.50")
    assert _queries(lambda: monthly_totals(user, 2025, 4))[1] == (0 if caching else 2)


def test_moving_a_transaction_to_another_month_invalidates_both(user, ledger):
    [march] = monthly_totals(user, 2025, 3)
    [april] = monthly_totals(user, 2025, 4)
    lunch = Transaction.objects.get(pk=ledger["lunch"].pk)  # a fresh instance, as a view would load it
    lunch.date = dt.date(2025, 4, 20)
    lunch.save()
    [march2] = monthly_totals(user, 2025, 3)
    [april2] = monthly_totals(user, 2025, 4)
    assert march2.count == march.count - 1 and april2.count == april.count + 1
    assert april2.by_category[ledger["food"].pk] == {"USD": Decimal("-20.27")}
    assert [march2, april2] == _monthly_totals(user.pk, 2025, 3) + _monthly_totals(user.pk, 2025, 4)


def test_save_with_update_fields_of_the_date_invalidates_both(user, ledger):
    monthly_totals(user, 2025, 3)
    monthly_totals(user, 2025, 4)
    lunch = Transaction.objects.get(pk=ledger["lunch"].pk)
    lunch.date = dt.date(2025, 4, 20)
    lunch.save(update_fields=["date"])
    assert monthly_totals(user, 2025, 3) == _monthly_totals(user.pk, 2025, 3)
    assert monthly_totals(user, 2025, 4) == _monthly_totals(user.pk, 2025, 4)


def test_giving_a_transaction_to_another_user_invalidates_both(user, other_user, ledger):
    monthly_totals(user, 2025, 3)
    monthly_totals(other_user, 2025, 3)
    lunch = Transaction.objects.get(pk=ledger["lunch"].pk)
    lunch.user = other_user
    lunch.save()
    assert monthly_totals(user, 2025, 3) == _monthly_totals(user.pk, 2025, 3)
    assert monthly_totals(other_user, 2025, 3)[0].count == 2


def test_deleting_a_transaction_invalidates(user, ledger):
    monthly_totals(user, 2025, 3)
    ledger["salary"].delete()
    [march] = monthly_totals(user, 2025, 3)
    assert march.regular == {"JPY": Decimal("-1200"), "USD": Decimal("-12.50")}


def test_category_rename_and_delete_invalidate(user, ledger):
    monthly_totals(user, 2025, 3)
    ledger["food"].name = "Groceries"
    ledger["food"].save()
    assert monthly_totals(user, 2025, 3)[0].category_names == {ledger["food"].pk: "Groceries"}
    food_pk = ledger["food"].pk
    ledger["food"].delete()  # transactions' category becomes NULL without a save()
    [march] = monthly_totals(user, 2025, 3)
    assert food_pk not in march.by_category and march.category_names == {}


def test_bulk_writes_need_the_explicit_call(user, ledger, caching):
    [march] = monthly_totals(user, 2025, 3)
    created = Transaction.objects.bulk_create(
        [Transaction(user=user, date=dt.date(2025, 3, d), amount=Decimal("-1.00")) for d in (1, 2)]
    )
    # bulk_create sends no signal: the cached copy is stale until the importer says so ...
    assert monthly_totals(user, 2025, 3)[0].count == (march.count if caching else march.count + 2)
    invalidate_transactions(created)
    assert monthly_totals(user, 2025, 3)[0].count == march.count + 2
    # ... and the same for QuerySet.update(), by user and month.
    Transaction.objects.filter(pk__in=[t.pk for t in created]).update(amount=Decimal("-2.00"))
    invalidate_user_months(user.pk, [(2025, 3)])
    assert monthly_totals(user, 2025, 3) == _monthly_totals(user.pk, 2025, 3)


def test_changed_excluded_classifications_use_other_keys(user, ledger, settings, caching):
    fingerprint = settings_fingerprint()
    monthly_totals(user, 2025, 3)
    settings.EXPENSE_AI = {"EXCLUDED_CLASSIFICATIONS": ["charity"]}
    assert settings_fingerprint() != fingerprint
    assert _queries(lambda: monthly_totals(user, 2025, 3))[1] >= 1  # a miss under the new fingerprint
    settings.EXPENSE_AI = {"EXCLUDED_CLASSIFICATIONS": ["one_time", "reimbursable", "family_support", "charity"]}
    assert settings_fingerprint() == fingerprint  # order does not matter
    assert _queries(lambda: monthly_totals(user, 2025, 3))[1] == (0 if caching else 2)


def test_versions_are_counters_bumped_in_place(user, ledger, backend):
    if backend == "dummy":
        pytest.skip("DummyCache keeps no versions")
    cache = caches["default"]
    monthly_totals(user, 2025, 3)
    key = month_version_key(user.pk, 2025, 3)
    start = cache.get(key)
    assert isinstance(start, int) and start > 10**18  # started at the clock in ns, never at 1
    invalidate_user_months(user.pk, [dt.date(2025, 3, 9), "2025-03-20"])
    assert cache.get(key) == start + 1  # one bump per month, however many dates in it
    assert cache.get(month_version_key(user.pk, 2025, 6)) is None  # a month never read nor written: no key


def test_an_evicted_version_never_revives_an_old_entry(user, ledger, backend):
    if backend == "dummy":
        pytest.skip("DummyCache keeps no versions")
    monthly_totals(user, 2025, 3)
    # A write the cache does not hear about, then the version key is evicted.
    Transaction.objects.filter(pk=ledger["lunch"].pk).update(amount=Decimal("-99.00"))
    caches["default"].delete(month_version_key(user.pk, 2025, 3))
    assert monthly_totals(user, 2025, 3) == _monthly_totals(user.pk, 2025, 3)


def test_invalidation_is_repeated_after_commit(user, ledger, backend, django_capture_on_commit_callbacks):
    if backend == "dummy":
        pytest.skip("DummyCache keeps no versions")
    monthly_totals(user, 2025, 3)
    key = month_version_key(user.pk, 2025, 3)
    start = caches["default"].get(key)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ledger["lunch"].save()
    assert len(callbacks) == 1
    assert caches["default"].get(key) == start + 2  # at save, and again at commit


def test_a_broken_cache_server_falls_back_to_the_database(user, ledger, caplog):
    broken = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES={"default": broken}), caplog.at_level(logging.WARNING, logger="django_expense_ai"):
        assert monthly_totals(user, 2025, 3) == _monthly_totals(user.pk, 2025, 3)
        ledger["lunch"].save()  # invalidation fails: logged, the save still works
    assert "report cache unavailable" in caplog.text
    assert "could not invalidate cached reports" in caplog.text


def test_bad_month_raises_before_the_cache(user):
    from django_expense_ai.ledger.reports import ReportError

    with pytest.raises(ReportError):
        monthly_totals(user, 2025, 13)


# -- budgets -----------------------------------------------------------------------


def test_cached_budget_report(user, ledger, caching):
    budget = Budget.objects.create(
        user=user, name="Spring", start_date=dt.date(2025, 3, 1), end_date=dt.date(2025, 4, 30),
        amount=Decimal("800.0000"), category_allocations={"food": {"amount": "300.00"}},
    )
    calls = []

    def compute():
        calls.append(1)
        return {"spent": sum(t.amount for t in Transaction.objects.filter(user=user, date__month__in=(3, 4)))}

    first = cached_budget_report(budget, compute)
    assert cached_budget_report(budget, compute) == first
    assert len(calls) == (1 if caching else 2)
    # A transaction in the budget's period ...
    Transaction.objects.create(user=user, date=dt.date(2025, 4, 9), amount=Decimal("-5.00"))
    assert cached_budget_report(budget, compute)["spent"] == first["spent"] - Decimal("5.00")
    # ... and an edit of the budget itself make it stale; a month outside does not.
    calls.clear()
    budget.amount = Decimal("900.0000")
    budget.save()
    cached_budget_report(budget, compute)
    Transaction.objects.create(user=user, date=dt.date(2025, 6, 1), amount=Decimal("-5.00"))
    cached_budget_report(budget, compute)
    assert len(calls) == (1 if caching else 2)


def test_months_between():
    assert months_between(dt.date(2024, 11, 30), dt.date(2025, 2, 1)) == [(2024, 11), (2024, 12), (2025, 1), (2025, 2)]
    assert months_between(dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == [(2025, 3)]
    assert months_between(dt.date(2025, 3, 1), dt.date(2025, 2, 1)) == []


def test_very_long_periods_are_not_cached(user, ledger, caching):
    start, end = dt.date(2000, 1, 1), dt.date(2025, 12, 31)  # 312 months > MAX_CACHED_MONTHS
    account_totals(ledger["checking"], start, end)
    assert _queries(lambda: account_totals(ledger["checking"], start, end))[1] == 1
    assert len(months_between(start, end)) > report_cache_mod.MAX_CACHED_MONTHS
