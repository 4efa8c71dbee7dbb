"""Report caching through Django's cache framework, invalidated by version counters.

Reports (monthly totals, account totals, budget reports) are stored in the
cache ``EXPENSE_AI["CACHE_ALIAS"]`` for ``CACHE_TIMEOUT`` seconds. Each key
holds the user id, the months the report covers, the current *version* of
each of those user-months, a version for categories (names and deletions show
in reports) and a fingerprint of the settings that shape a report
(``EXCLUDED_CLASSIFICATIONS``). A change never deletes reports: it bumps the
version of the user-month (``cache.incr``, O(1) whatever is cached), so the
next report of that month is looked up under a new key and the old entry
simply expires.

Who bumps:

* ``Transaction`` save and delete, through receivers in
  :mod:`django_expense_ai.ledger.cache_signals` (on save, also the month and user the
  row had before);
* ``Category`` save and delete bump the category version;
* code that writes transactions without ``save()`` — ``bulk_create``,
  ``QuerySet.update()``, raw SQL — must call :func:`invalidate_user_months`
  or :func:`invalidate_transactions` itself.

A version key that is missing (never set, evicted, cache flushed) is started
at the current time in nanoseconds, never at 0 or 1, so a report cached under
an earlier version cannot come back. Cache failures (a Redis server down) are
logged and the report is computed from the database: caching is an
optimisation, never a dependency. With ``DummyCache`` nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.core.cache import BaseCache, caches
from django.db import DEFAULT_DB_ALIAS
from django.db import transaction as db_transaction

from ..conf import settings as expense_settings

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Bump when a cached report's dataclass changes shape: old entries are then never read.
FORMAT = 1
#: Longest period (in months) a report may cover and still be cached.
MAX_CACHED_MONTHS = 120
CATEGORIES_KEY = "expense_ai:v:categories"

_MISS = object()

YearMonth = tuple[int, int]


def report_cache() -> BaseCache:
    """The cache reports live in: ``CACHES[EXPENSE_AI["CACHE_ALIAS"]]``.

    :returns: a Django cache backend.
    :raises django.core.cache.InvalidCacheBackendError: the alias is not in ``CACHES``.
    """
    return caches[expense_settings.CACHE_ALIAS]


def settings_fingerprint() -> str:
    """A short digest of the settings that change what a report contains.

    :returns: 12 hex characters; changes when ``EXCLUDED_CLASSIFICATIONS`` (in
        any order) or :data:`FORMAT` changes.
    """
    shape = {"format": FORMAT, "excluded": sorted(expense_settings.EXCLUDED_CLASSIFICATIONS)}
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:12]


def month_version_key(user_id: Any, year: int, month: int) -> str:
    """The cache key of the version counter of one user-month.

    :returns: e.g. ``"expense_ai:v:42:2025-03"``.
    """
    return f"expense_ai:v:{user_id}:{year:04d}-{month:02d}"


def months_between(start: dt.date, end: dt.date) -> list[YearMonth]:
    """Every ``(year, month)`` from ``start``'s month to ``end``'s, inclusive.

    :returns: a list in calendar order; empty when ``end`` is before ``start``.
    """
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _as_year_month(value: Any) -> YearMonth:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.date):  # datetime is a date too
        return value.year, value.month
    year, month = value
    return int(year), int(month)


def _fresh_version() -> int:
    return time.time_ns()


def _versions(cache: BaseCache, keys: list[str]) -> tuple[int, ...] | None:
    """Current versions of ``keys``, starting missing ones; ``None`` if the cache keeps nothing."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            # add(), not set(): a concurrent bump or start must win over ours.
            cache.add(key, _fresh_version(), timeout=None)
        found.update(cache.get_many(missing))
        if any(key not in found for key in missing):
            return None  # DummyCache, or a cache that evicts at once: do not cache
    return tuple(found[key] for key in keys)


def _report_key(name: str, key: tuple[Any, ...], user_id: Any, months: list[YearMonth], versions: tuple) -> str:
    scope = f"{months[0][0]:04d}-{months[0][1]:02d}"
    if len(months) > 1:
        scope += f"..{months[-1][0]:04d}-{months[-1][1]:02d}"
    # The full key and the versions go into a digest: cache keys stay short
    # (memcached allows 250 characters) whatever a report's key holds.
    digest = hashlib.sha256(repr((name, key, versions)).encode()).hexdigest()[:24]
    return f"expense_ai:r:{name}:{settings_fingerprint()}:u{user_id}:{scope}:{digest}"


def cached_report(
    name: str,
    key: tuple[Any, ...],
    compute: Callable[[], T],
    *,
    user_id: Any,
    months: Iterable[Any],
) -> T:
    """Return ``compute()``, from the cache when a current copy is there.

    :param name: the report's name, part of the cache key.
    :param key: the report's own arguments (must have a stable ``repr``).
    :param user_id: whose transactions the report reads.
    :param months: the ``(year, month)`` pairs (or dates) the report covers;
        a change in any of them makes the cached copy stale.
    :returns: the report; the value must pickle (dataclasses, dicts, ``Decimal``).
    :raises: whatever ``compute`` raises; cache errors are logged, never raised.
    """
    months_ = sorted({_as_year_month(m) for m in months})
    if user_id is None or not months_ or len(months_) > MAX_CACHED_MONTHS:
        return compute()
    try:
        cache = report_cache()
        versions = _versions(
            cache, [month_version_key(user_id, y, m) for y, m in months_] + [CATEGORIES_KEY]
        )
        cache_key = None if versions is None else _report_key(name, key, user_id, months_, versions)
        hit = _MISS if cache_key is None else cache.get(cache_key, _MISS)
    except Exception:  # noqa: BLE001 - any cache backend failure: compute instead
        logger.warning("expense_ai: report cache unavailable; computing %s from the database", name, exc_info=True)
        return compute()
    if hit is not _MISS:
        return cast(T, hit)  # what compute() gave when it was stored
    # The versions were read before computing: a change made meanwhile bumps
    # them, so this result is stored under a key no later reader uses.
    value = compute()
    if cache_key is not None:
        try:
            cache.set(cache_key, value, expense_settings.CACHE_TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.warning("expense_ai: could not store %s in the report cache", name, exc_info=True)
    return value


def _bump(keys: Iterable[str]) -> None:
    try:
        cache = report_cache()
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:
                # Not there (never read, evicted): start it fresh; a concurrent start also does.
                cache.add(key, _fresh_version(), timeout=None)
    except Exception:  # noqa: BLE001
        # Logged as an error: reports of these months may be stale until CACHE_TIMEOUT.
        logger.error("expense_ai: could not invalidate cached reports %s", list(keys), exc_info=True)


def _bump_now_and_on_commit(keys: list[str], using: str | None) -> None:
    # Now: this connection may read its own uncommitted change. After commit
    # again: another request may have cached the old rows between the two.
    _bump(keys)
    db_transaction.on_commit(lambda: _bump(keys), using=using or DEFAULT_DB_ALIAS, robust=True)


def invalidate_user_months(user_id: Any, months: Iterable[Any], *, using: str | None = None) -> None:
    """Mark cached reports of ``user_id`` for ``months`` stale (O(1) per month).

    Call it after writing transactions without ``save()`` (``bulk_create``,
    ``QuerySet.update()``); ``save()`` and ``delete()`` call it already.

    :param months: ``(year, month)`` pairs, dates or ISO date strings.
    :param using: the database alias of the write (for the after-commit bump).
    :returns: ``None``; cache errors are logged, not raised.
    """
    keys = [month_version_key(user_id, y, m) for y, m in sorted({_as_year_month(m) for m in months})]
    if keys:
        _bump_now_and_on_commit(keys, using)


def invalidate_transactions(transactions: Iterable[Any], *, using: str | None = None) -> None:
    """:func:`invalidate_user_months` for every user and month of ``transactions``.

    :param transactions: ``Transaction`` objects, or ``(user_id, date)`` pairs
        (e.g. ``qs.values_list("user_id", "date")`` before a ``QuerySet.update()``).
    :returns: ``None``.
    """
    months: dict[Any, set[YearMonth]] = defaultdict(set)
    for item in transactions:
        user_id, date = (item.user_id, item.date) if hasattr(item, "user_id") else item
        months[user_id].add(_as_year_month(date))
    keys = [month_version_key(u, y, m) for u, ms in months.items() for y, m in sorted(ms)]
    if keys:
        _bump_now_and_on_commit(keys, using)


def invalidate_categories(*, using: str | None = None) -> None:
    """Mark every cached report stale after a category changed (rare: one counter).

    :returns: ``None``.
    """
    _bump_now_and_on_commit([CATEGORIES_KEY], using)


def cached_budget_report(budget: Any, compute: Callable[[], T]) -> T:
    """Cache a budget report; for ``budgets.services.budget_report``.

    The key holds the budget's id and every field that shapes the report
    (period, amount, currency, allocations, ``updated_at``), and the versions
    of the budget owner's months from ``start_date`` to ``end_date``: editing
    the budget or any of its owner's transactions in the period makes it stale.

    :param compute: computes the report (``_compute_budget_report(budget)``);
        its result must pickle.
    :returns: the report, cached or fresh.
    """
    key = (
        budget.pk,
        str(budget.start_date),
        str(budget.end_date),
        str(budget.amount),
        budget.currency,
        json.dumps(budget.category_allocations, sort_keys=True, default=str),
        str(getattr(budget, "updated_at", "")),
    )
    return cached_report(
        "budget_report",
        key,
        compute,
        user_id=budget.user_id,
        months=months_between(budget.start_date, budget.end_date),
    )
