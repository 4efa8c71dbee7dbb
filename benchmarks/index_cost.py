"""What the 2.0 transaction indexes cost on writes (PostgreSQL): bulk inserts with and without them.

Run from the repository root::

    EXPENSE_AI_TEST_DB=postgres PYTHONPATH=src:. DJANGO_SETTINGS_MODULE=tests.settings \\
        .venv/bin/python benchmarks/index_cost.py [--rows 100000] [--runs 3]

It creates its own database (``bench_ea_index_cost``, or ``EXPENSE_AI_BENCH_DBNAME``),
then, ``--runs`` times each and alternating, inserts ``--rows`` transactions
with ``bulk_create`` (batches of 2,000, as the importer writes them) into an
empty ``finance_transactions``:

* with every index the migrations create;
* without the four indexes 2.0 added (``fin_tx_classification_idx``,
  ``fin_tx_user_date_class_idx``, ``fin_tx_user_account_date_idx``,
  ``fin_tx_user_excl_date_idx``), dropped for the run and created again after.

It prints the median rows/s of each and the ratio, plus the indexes' size.
The database is dropped at the end, also after an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal

BENCH_DB = os.environ.get("EXPENSE_AI_BENCH_DBNAME", "bench_ea_index_cost")
os.environ["EXPENSE_AI_TEST_DBNAME"] = BENCH_DB
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from django_expense_ai.models import Account, Transaction  # noqa: E402

INDEXES_2_0 = (
    "fin_tx_classification_idx",
    "fin_tx_user_date_class_idx",
    "fin_tx_user_account_date_idx",
    "fin_tx_user_excl_date_idx",
)
CLASSIFICATIONS = ["regular_monthly"] * 14 + ["irregular"] * 3 + ["charity", "one_time"]


def rows(count: int, accounts: dict[int, int]) -> list[Transaction]:
    rng = random.Random(7)
    users = list(accounts)
    out = []
    for i in range(count):
        uid = users[i % len(users)]
        out.append(
            Transaction(
                user_id=uid,
                account_id=accounts[uid],
                date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365)),
                amount=Decimal(rng.randrange(-50000, 5000)) / 100,
                currency="USD",
                description=f"card purchase {i}",
                expense_classification=rng.choice(CLASSIFICATIONS),
            )
        )
    return out


def timed_insert(objs: list[Transaction]) -> float:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE finance_transactions CASCADE")
    started = time.perf_counter()
    Transaction.objects.bulk_create(objs, batch_size=2000)
    return time.perf_counter() - started


def index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'finance_transactions' "
            "AND indexname = ANY(%s)",
            [list(INDEXES_2_0)],
        )
        return dict(cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set EXPENSE_AI_TEST_DB=postgres.", file=sys.stderr)
        return 2
    old_config = setup_databases(verbosity=1, interactive=False)
    try:
        user_model = get_user_model()
        user_model.objects.bulk_create([user_model(username=f"bench{i}", password="!") for i in range(50)])
        accounts = {u.pk: Account.objects.create(user=u, name="Checking").pk for u in user_model.objects.all()}
        definitions = index_definitions()
        if set(definitions) != set(INDEXES_2_0):
            print(f"expected indexes missing: {sorted(set(INDEXES_2_0) - set(definitions))}", file=sys.stderr)
            return 1
        with_indexes: list[float] = []
        without: list[float] = []
        for _ in range(args.runs):
            # Fresh objects each run: bulk_create sets their pks.
            with_indexes.append(timed_insert(rows(args.rows, accounts)))
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY(%s)",
                    [list(INDEXES_2_0)],
                )
                size_2_0 = cursor.fetchone()[0]
                cursor.execute("SELECT pg_relation_size('finance_transactions')")
                table_size = cursor.fetchone()[0]
                for name in INDEXES_2_0:
                    cursor.execute(f'DROP INDEX "{name}"')
            try:
                without.append(timed_insert(rows(args.rows, accounts)))
            finally:
                with connection.cursor() as cursor:
                    for sql in definitions.values():
                        cursor.execute(sql)
        fast = args.rows / statistics.median(without)
        slow = args.rows / statistics.median(with_indexes)
        print()
        print(f"bulk_create of {args.rows:,} transactions (batches of 2,000), median of {args.runs} runs:")
        print(f"  without the 4 indexes of 2.0  {fast:>9,.0f} rows/s")
        print(f"  with them                     {slow:>9,.0f} rows/s   ({fast / slow:.2f}x slower, "
              f"+{(fast / slow - 1) * 100:.0f}% time per row)")
        print(f"  their size after {args.rows:,} rows: {size_2_0 / 2**20:.1f} MiB "
              f"(table {table_size / 2**20:.1f} MiB)")
        return 0
    finally:
        teardown_databases(old_config, verbosity=1)


if __name__ == "__main__":
    sys.exit(main())
