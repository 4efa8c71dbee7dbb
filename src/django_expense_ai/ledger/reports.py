"""Reports: monthly and per-account totals as plain data (no HTML, no ORM objects).

Each report is one grouped query over ``finance_transactions`` that filters
``user = … AND date in [start, end)`` first, so PostgreSQL and MariaDB can use
the composite indexes ``fin_tx_user_date_class_idx`` (user, date,
expense_classification) and ``fin_tx_user_account_date_idx`` (user, account,
date); the grouping by month, classification, category and currency happens
in the database and the few resulting rows are folded here.

Amounts are signed ``Decimal`` (money out negative), per ISO currency code:
currencies are never converted or added together.

Every public report goes through :func:`_run_report`, the single seam where
the cache is consulted (:mod:`django_expense_ai.ledger.report_cache`: per user-month version
counters, so a transaction change makes just that month's reports stale).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from ..exceptions import ReportError  # noqa: F401  (re-exported: its former home)
from ..models import Category, Transaction
from ..money import is_known_currency, quantize
from ..types import UserOrId
from .report_cache import cached_report, months_between

T = TypeVar("T")

#: Per currency code, a signed amount: ``{"USD": Decimal("-12.50")}``.
Amounts = dict[str, Decimal]



@dataclass(frozen=True)
class MonthTotals:
    """Totals of one calendar month for one user.

    ``regular`` counts what is in regular totals (``exclude_from_totals`` is
    false), ``excluded`` the rest; ``by_currency`` is both together.
    ``by_category`` is keyed by category id (``None``: uncategorised), with
    the names in ``category_names``.
    """

    year: int
    month: int
    regular: Amounts = field(default_factory=dict)
    excluded: Amounts = field(default_factory=dict)
    by_currency: Amounts = field(default_factory=dict)
    by_classification: dict[str, Amounts] = field(default_factory=dict)
    by_category: dict[int | None, Amounts] = field(default_factory=dict)
    category_names: dict[int, str] = field(default_factory=dict)
    count: int = 0


@dataclass(frozen=True)
class AccountTotals:
    """Totals of one account over ``start``..``end`` (both inclusive)."""

    account_id: int
    start: dt.date
    end: dt.date
    regular: Amounts = field(default_factory=dict)
    excluded: Amounts = field(default_factory=dict)
    money_in: Amounts = field(default_factory=dict)
    money_out: Amounts = field(default_factory=dict)
    total: Amounts = field(default_factory=dict)
    count: int = 0


def _run_report(
    name: str,
    key: tuple[Any, ...],
    compute: Callable[[], T],
    *,
    user_id: Any = None,
    months: Any = (),
) -> T:
    """The one caching seam: every report is computed through here.

    Looks the report up in the cache ``EXPENSE_AI["CACHE_ALIAS"]`` (key from
    ``name``, ``key``, the user, the versions of ``months`` and the settings
    fingerprint; timeout ``CACHE_TIMEOUT``) and computes it on a miss. A
    report without ``user_id`` and ``months`` is never cached.

    :returns: the report, equal whether it came from the cache or not.
    """
    return cached_report(name, key, compute, user_id=user_id, months=months)


def _money(value: Decimal, code: str) -> Decimal:
    # Sums come back with the column's 4 places; show them in the currency's.
    # They are exact sums of exact amounts, so this quantize never rounds.
    return quantize(value, code) if is_known_currency(code) else value


def _add(bucket: dict[str, Decimal], code: str, amount: Decimal) -> None:
    bucket[code] = bucket.get(code, Decimal(0)) + amount


def _finish(bucket: dict[str, Decimal]) -> Amounts:
    return {code: _money(value, code) for code, value in sorted(bucket.items())}


def _period(year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if month is None:
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if not 1 <= month <= 12:
        raise ReportError(f"Month {month} does not exist; use 1 to 12, or None for the whole year.")
    if month == 12:
        return dt.date(year, 12, 1), dt.date(year + 1, 1, 1)
    return dt.date(year, month, 1), dt.date(year, month + 1, 1)


def monthly_totals_query(user: UserOrId, year: int, month: int | None = None) -> QuerySet:
    """The grouped query behind :func:`monthly_totals` (exposed for ``EXPLAIN``).

    Filters ``user`` and the half-open date range of the month (or year), the
    leading columns of ``fin_tx_user_date_class_idx``, then groups by month,
    classification, exclusion, category and currency.

    :returns: a values queryset of dicts with ``month``,
        ``expense_classification``, ``exclude_from_totals``, ``category_id``,
        ``currency``, ``total`` and ``count``.
    :raises ReportError: ``month`` is not 1..12.
    """
    start, end = _period(year, month)
    return (
        Transaction.objects.filter(user=user, date__gte=start, date__lt=end)
        .annotate(month=ExtractMonth("date"))
        .values("month", "expense_classification", "exclude_from_totals", "category_id", "currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by()  # no Meta.ordering: it would only add a sort
    )


def monthly_totals(user: UserOrId, year: int, month: int | None = None) -> list[MonthTotals]:
    """Per-month totals of ``user``'s own transactions.

    :param user: a user or user id (transactions they own; shared ones are
        reported by their owner).
    :param month: 1..12 for one month, ``None`` for every month of ``year``.
    :returns: one :class:`MonthTotals` per month asked for (empty months
        included), in calendar order.
    :raises ReportError: ``month`` is not 1..12.
    """
    user_id = getattr(user, "pk", user)
    start, end = _period(year, month)  # raises ReportError before any cache lookup
    return _run_report(
        "monthly_totals",
        (user_id, year, month),
        lambda: _monthly_totals(user_id, year, month),
        user_id=user_id,
        months=months_between(start, end - dt.timedelta(days=1)),
    )


def _monthly_totals(user_id: Any, year: int, month: int | None) -> list[MonthTotals]:
    months = [month] if month is not None else list(range(1, 13))
    buckets: dict[int, dict[str, Any]] = {
        m: {
            "regular": {},
            "excluded": {},
            "by_currency": {},
            "by_classification": defaultdict(dict),
            "by_category": defaultdict(dict),
            "count": 0,
        }
        for m in months
    }
    category_ids: set[int] = set()
    for row in monthly_totals_query(user_id, year, month):
        bucket = buckets[int(row["month"])]
        code = (row["currency"] or "").upper()
        amount = row["total"] or Decimal(0)
        _add(bucket["excluded" if row["exclude_from_totals"] else "regular"], code, amount)
        _add(bucket["by_currency"], code, amount)
        _add(bucket["by_classification"][row["expense_classification"]], code, amount)
        _add(bucket["by_category"][row["category_id"]], code, amount)
        bucket["count"] += row["count"]
        if row["category_id"] is not None:
            category_ids.add(row["category_id"])
    # Second, tiny query: names of the categories that occur (a join would widen the grouping).
    names = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name")) if category_ids else {}
    result = []
    for m in months:
        bucket = buckets[m]
        by_category = {cid: _finish(b) for cid, b in bucket["by_category"].items()}
        result.append(
            MonthTotals(
                year=year,
                month=m,
                regular=_finish(bucket["regular"]),
                excluded=_finish(bucket["excluded"]),
                by_currency=_finish(bucket["by_currency"]),
                by_classification={k: _finish(b) for k, b in sorted(bucket["by_classification"].items())},
                by_category=by_category,
                category_names={cid: names[cid] for cid in by_category if cid is not None and cid in names},
                count=bucket["count"],
            )
        )
    return result


def account_totals_query(account: Any, start: dt.date, end: dt.date) -> QuerySet:
    """The grouped query behind :func:`account_totals` (exposed for ``EXPLAIN``).

    Filters ``user``, ``account`` and the date range: exactly the columns of
    ``fin_tx_user_account_date_idx``.
    """
    if end < start:
        raise ReportError(f"The period ends ({end}) before it starts ({start}).")
    return (
        Transaction.objects.filter(user_id=account.user_id, account=account, date__gte=start, date__lte=end)
        .values("currency", "exclude_from_totals")
        .annotate(
            total=Sum("amount"),
            money_in=Sum("amount", filter=Q(amount__gt=0)),
            money_out=Sum("amount", filter=Q(amount__lt=0)),
            count=Count("pk"),
        )
        .order_by()
    )


def account_totals(account: Any, start: dt.date, end: dt.date) -> AccountTotals:
    """Totals of ``account`` between ``start`` and ``end`` (both inclusive).

    :returns: an :class:`AccountTotals` with regular/excluded, money in/out
        (money out negative) and the net total, per currency.
    :raises ReportError: ``end`` is before ``start``.
    """
    if end < start:
        raise ReportError(f"The period ends ({end}) before it starts ({start}).")
    return _run_report(
        "account_totals",
        (account.pk, start, end),
        lambda: _account_totals(account, start, end),
        user_id=account.user_id,
        months=months_between(start, end),
    )


def _account_totals(account: Any, start: dt.date, end: dt.date) -> AccountTotals:
    regular: dict[str, Decimal] = {}
    excluded: dict[str, Decimal] = {}
    money_in: dict[str, Decimal] = {}
    money_out: dict[str, Decimal] = {}
    total: dict[str, Decimal] = {}
    count = 0
    for row in account_totals_query(account, start, end):
        code = (row["currency"] or "").upper()
        _add(excluded if row["exclude_from_totals"] else regular, code, row["total"] or Decimal(0))
        _add(total, code, row["total"] or Decimal(0))
        _add(money_in, code, row["money_in"] or Decimal(0))
        _add(money_out, code, row["money_out"] or Decimal(0))
        count += row["count"]
    return AccountTotals(
        account_id=account.pk,
        start=start,
        end=end,
        regular=_finish(regular),
        excluded=_finish(excluded),
        money_in=_finish(money_in),
        money_out=_finish(money_out),
        total=_finish(total),
        count=count,
    )


def regular_totals_query(user: UserOrId, start: dt.date, end: dt.date, currency: str) -> QuerySet:
    """The grouped query behind :func:`regular_totals_by_month` (exposed for ``EXPLAIN``).

    Filters ``user``, ``exclude_from_totals = false`` and ``date`` in
    ``[start, end)`` (the leading columns of ``fin_tx_user_excl_date_idx``)
    and ``currency``, then groups by year and month only.

    :returns: a values queryset of dicts with ``year``, ``month``, ``total`` and ``count``.
    """
    return (
        Transaction.objects.filter(user=user, exclude_from_totals=False, date__gte=start, date__lt=end,
                                   currency=currency)
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values("year", "month")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by()
    )


def regular_totals_by_month(user: UserOrId, start: dt.date, end: dt.date, currency: str) -> list[tuple[int, int, Decimal, int]]:
    """Regular totals (money in minus money out) of ``user``'s own transactions in one currency, per month.

    One small grouped query for a chart over many months (:func:`monthly_totals`
    gives every breakdown, one calendar year at a time). Cached like the other
    reports, per user-month.

    :param start: the first day counted (its whole month is reported).
    :param end: the last day counted (inclusive; its month is the last reported).
    :param currency: an ISO code; other currencies are not converted nor added.
    :returns: ``(year, month, total, count)`` for every month from ``start``'s to
        ``end``'s, in calendar order, empty months included (total ``0`` in the
        currency's minor units).
    :raises ReportError: ``end`` is before ``start``.
    """
    if end < start:
        raise ReportError(f"The period ends ({end}) before it starts ({start}).")
    user_id = getattr(user, "pk", user)
    code = (currency or "").upper()
    months = months_between(start, end)
    first = dt.date(months[0][0], months[0][1], 1)
    last_year, last_month = months[-1]
    after = dt.date(last_year + 1, 1, 1) if last_month == 12 else dt.date(last_year, last_month + 1, 1)

    def compute() -> list[tuple[int, int, Decimal, int]]:
        found = {(int(r["year"]), int(r["month"])): (r["total"] or Decimal(0), r["count"])
                 for r in regular_totals_query(user_id, first, after, code)}
        zero = _money(Decimal(0), code)
        return [(y, m, _money(found[(y, m)][0], code) if (y, m) in found else zero,
                 found.get((y, m), (0, 0))[1]) for y, m in months]

    return _run_report("regular_totals_by_month", (user_id, first.isoformat(), after.isoformat(), code), compute,
                       user_id=user_id, months=months)
