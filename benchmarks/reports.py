"""Benchmark ``monthly_totals`` on the spec's one-year projection (PostgreSQL).

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/reports.py [--rows 340000] [--runs 25]

It creates its own database (``bench_ea_reports``, or ``EXPENSE_AI_BENCH_DBNAME``)
with Django's test-database machinery, so the shipped migrations build the
schema and indexes; loads the rows with ``COPY`` (about 50 users over 12
months); runs ``ANALYZE``; then times ``monthly_totals`` for one user and
month, median of N runs:

* with the composite indexes (the target is under 20 ms);
* without them (dropped inside a transaction that is rolled back; the plain
  foreign-key index on ``user_id`` is still there);
* with no index at all (``enable_indexscan``/``bitmapscan``/``indexonlyscan`` off,
  a sequential scan);

and prints the ratios and the ``EXPLAIN ANALYZE`` plan that shows the index in
use. The database is dropped at the end, also after an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal

BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME", "bench_ea_reports")
# tests.settings reads the test database name from the environment at import:
# point it at the benchmark's own database before Django loads the settings.
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from django_expense_ai.ledger.reports import monthly_totals, monthly_totals_query  # noqa: E402
from django_expense_ai.models import Account, Category  # noqa: E402

USERS = 50
YEAR = 2025
COMPOSITE_INDEXES = ("fin_tx_user_date_class_idx", "fin_tx_user_excl_date_idx", "fin_tx_user_account_date_idx")
CLASSIFICATIONS = (
    ["regular_monthly"] * 14 + ["irregular"] * 3 + ["charity", "family_support", "reimbursable", "one_time"]
)
EXCLUDED = {"charity", "family_support", "reimbursable", "one_time"}
COLUMNS = (
    "user_id", "account_id", "date", "amount", "currency", "description", "merchant", "notes",
    "category_id", "source", "bank_id", "import_fingerprint", "is_reimbursable", "is_recurring",
    "created_at", "updated_at", "expense_classification", "exclude_from_totals", "exclusion_overridden",
)


def load(rows: int) -> tuple[int, int]:
    """Create users, accounts, categories and ``rows`` transactions; return (user id, rows)."""
    user_model = get_user_model()
    user_model.objects.bulk_create(
        [user_model(username=f"bench{i}", password="!") for i in range(USERS)]
    )
    users = list(user_model.objects.order_by("pk").values_list("pk", flat=True))
    accounts = {
        uid: Account.objects.create(user_id=uid, name="Checking").pk for uid in users
    }
    categories = [
        Category.objects.create(user=None, key=key, name=key.title(), is_system=True).pk
        for key in ("housing", "food", "transport", "health", "fun", "charity")
    ]
    rng = random.Random(2025)
    now = dt.datetime.now(dt.timezone.utc)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor, for COPY
        with raw.copy(f"COPY finance_transactions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(rows):
                uid = users[i % USERS]
                day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
                cents = rng.randrange(100, 50_000)
                amount = Decimal(cents if rng.random() < 0.05 else -cents).scaleb(-2)
                classification = rng.choice(CLASSIFICATIONS)
                copy.write_row((
                    uid, accounts[uid], day, amount, "USD" if rng.random() < 0.9 else "EUR",
                    f"bench {i}", "", "", rng.choice(categories), "manual", "", "", False, False,
                    now, now, classification, classification in EXCLUDED, False,
                ))
        cursor.execute("ANALYZE finance_transactions")
    print(f"loaded {rows:,} transactions for {USERS} users in {time.perf_counter() - start:.1f} s")
    return users[7], rows


def median_ms(func: Callable[[], object], runs: int) -> float:
    func()  # warm the cache and the connection
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=340_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--month", type=int, default=6)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set EXPENSE_AI_TEST_DB=postgres.", file=sys.stderr)
        return 2

    old_config = setup_databases(verbosity=1, interactive=False)
    try:
        user_id, _ = load(args.rows)

        def report() -> object:
            return monthly_totals(user_id, YEAR, args.month)

        [month] = report()
        print(f"user {user_id}, {YEAR}-{args.month:02d}: {month.count} transactions, "
              f"regular {month.regular}, excluded {month.excluded}")

        with_index = median_ms(report, args.runs)
        query_only = median_ms(lambda: list(monthly_totals_query(user_id, YEAR, args.month)), args.runs)
        plan = monthly_totals_query(user_id, YEAR, args.month).explain(analyze=True, buffers=True)
        used = [name for name in COMPOSITE_INDEXES if name in plan]

        with transaction.atomic():
            with connection.cursor() as cursor:
                for name in COMPOSITE_INDEXES:
                    cursor.execute(f'DROP INDEX "{name}"')
            without_composite = median_ms(report, args.runs)
            plan_without = monthly_totals_query(user_id, YEAR, args.month).explain()
            transaction.set_rollback(True)  # the indexes come back

        with transaction.atomic():
            with connection.cursor() as cursor:
                for setting in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                    cursor.execute(f"SET LOCAL {setting} = off")
            no_index = median_ms(report, max(5, args.runs // 5))
            plan_seq = monthly_totals_query(user_id, YEAR, args.month).explain()

        print()
        print(f"monthly_totals, median of {args.runs} runs, {args.rows:,} rows:")
        print(f"  with composite indexes      {with_index:8.2f} ms   (target < 20 ms: "
              f"{'met' if with_index < 20 else 'MISSED'})")
        print(f"    of which the grouped query {query_only:8.2f} ms")
        print(f"  without composite indexes   {without_composite:8.2f} ms   "
              f"ratio {without_composite / with_index:5.1f}x  (user_id FK index only)")
        print(f"  no index at all (seq scan)  {no_index:8.2f} ms   ratio {no_index / with_index:5.1f}x")
        print()
        print("EXPLAIN ANALYZE with the indexes "
              f"(uses: {', '.join(used) if used else 'NONE OF OUR INDEXES'}):")
        print(plan)
        print()
        print("EXPLAIN without the composite indexes:")
        print(plan_without)
        print()
        print("EXPLAIN with index scans off:")
        print(plan_seq)
        return 0 if used else 1
    finally:
        teardown_databases(old_config, verbosity=1)


if __name__ == "__main__":
    sys.exit(main())
